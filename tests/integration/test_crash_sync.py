"""Crash test: a real uvicorn process receives pushes and is SIGKILLed at random moments.

After every restart each acknowledged op is present exactly once, and resending everything
gives only ``duplicate`` for acknowledged ops.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.admin.common import connect, write
from server.settings import Settings
from tests.live_server import LiveServer, uvicorn_command
from tests.support import PASSWORD, insert_user, seed_agencies
from tests.sync_support import add_note, insert_case, publish_test_template, set_answer

KILLS = 20
ROOT = Path(__file__).resolve().parents[2]


class Device:
    """A simulated phone: an outbox of ops with consecutive seqs and an ack pointer."""

    def __init__(self, name: str, device_id: str, headers: dict[str, str], checklist: str) -> None:
        self.name = name
        self.device_id = device_id
        self.headers = headers
        self.checklist = checklist
        self.ops: list[dict[str, Any]] = []
        self.acked = 0  # ops[:acked] are acknowledged
        self.rng = random.Random(name)

    def grow(self, n: int) -> None:
        for _ in range(n):
            seq = len(self.ops) + 1
            if self.rng.random() < 0.5:
                self.ops.append(add_note(seq, self.checklist, f"{self.name} notitie {seq}"))
            else:
                item = self.rng.choice(["aantal", "opmerking"])
                value: Any = seq % 100 if item == "aantal" else f"tekst {seq}"
                self.ops.append(set_answer(seq, self.checklist, item, value))


def _pusher(
    base: str, devices: list[Device], stop: threading.Event, errors: list[BaseException]
) -> None:
    try:
        _push_until_killed(base, devices, stop)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def _push_until_killed(base: str, devices: list[Device], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            for device in devices:
                device.grow(10)
                batch = device.ops[device.acked : device.acked + 40]
                try:
                    resp = http.post(
                        "/api/v1/sync/push",
                        headers=device.headers,
                        json={"device_id": device.device_id, "schema_version": 1, "ops": batch},
                    )
                except httpx.HTTPError:
                    return
                assert resp.status_code == 200, resp.text
                body = resp.json()
                for result in body["results"]:
                    assert result["status"] in ("applied", "duplicate"), result
                device.acked = body["last_seq"]


def _check_db(db_path: Path, devices: list[Device]) -> None:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for device in devices:
            rows = conn.execute(
                "SELECT seq, op_id FROM ops WHERE device_id = ? ORDER BY seq", (device.device_id,)
            ).fetchall()
            stored = dict(rows)
            assert len(stored) == len(rows)
            for op in device.ops[: device.acked]:
                assert stored.get(op["seq"]) == op["op_id"], (device.name, op["seq"])
            notes = {
                r[0]
                for r in conn.execute(
                    "SELECT id FROM notes WHERE device_id = ?", (device.device_id,)
                )
            }
            applied_notes = {
                op["note_id"] for op in device.ops if op["op"] == "add_note" and op["seq"] in stored
            }
            assert notes == applied_notes
    finally:
        conn.close()


def _resend_all(base: str, devices: list[Device]) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        for device in devices:
            for start in range(0, len(device.ops), 500):
                batch = device.ops[start : start + 500]
                resp = http.post(
                    "/api/v1/sync/push",
                    headers=device.headers,
                    json={"device_id": device.device_id, "schema_version": 1, "ops": batch},
                )
                assert resp.status_code == 200, resp.text
                body = resp.json()
                for op, result in zip(batch, body["results"], strict=False):
                    if op["seq"] <= device.acked:
                        assert result["status"] == "duplicate", (device.name, result)
                        assert result["original_status"] == "applied"
                device.acked = body["last_seq"]
            assert device.acked == len(device.ops)


@pytest.mark.slow
def test_sigkill_never_loses_or_duplicates_acknowledged_ops(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    conn = connect(settings)

    def seed(c: sqlite3.Connection) -> tuple[str, str, dict[str, str]]:
        from server.checklists.library import load_dir, publish

        seed_agencies(c)
        publish(c, load_dir())
        publish_test_template(c)
        anna = insert_user(c, "anna", "gemeente-groningen", ["inspector"])
        bert = insert_user(c, "bert", "politie", ["inspector"])
        world = insert_case(
            c, agencies=["gemeente-groningen", "politie"], inspectors=[anna, bert], creator=anna
        )
        return anna, bert, world.checklists

    _, _, checklists = write(conn, seed)
    conn.close()
    server = LiveServer(
        settings.data_dir,
        command=lambda port: uvicorn_command(port, "--loop", "uvloop", "--http", "httptools"),
    )
    server.start()
    base = server.url
    devices: list[Device] = []
    from server.lib.ids import uuid7

    for name, agency in (("anna", "gemeente-groningen"), ("bert", "politie")):
        device_id = uuid7()
        resp = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"username": name, "password": PASSWORD, "device_id": device_id},
        )
        assert resp.status_code == 200, resp.text
        headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        devices.append(Device(name, device_id, headers, checklists[agency]))
    rng = random.Random(20261128)
    try:
        for _ in range(KILLS):
            stop = threading.Event()
            errors: list[BaseException] = []
            thread = threading.Thread(target=_pusher, args=(base, devices, stop, errors))
            thread.start()
            time.sleep(rng.uniform(0.02, 0.4))
            server.kill()
            stop.set()
            thread.join(30)
            assert not thread.is_alive()
            assert not errors, errors
            _check_db(settings.db_path, devices)
            server.start()
            _check_db(settings.db_path, devices)
            _resend_all(base, devices)
        assert all(d.acked >= KILLS for d in devices)
    finally:
        server.stop()
