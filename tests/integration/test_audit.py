"""The audit chain: intact passes, an edited or deleted event is named; logins are audited."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import PASSWORD, add_user, login, run_schouw


async def _some_events(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    for _ in range(3):
        session = await login(client, "anna")
        await client.post("/api/v1/auth/logout", headers=session["headers"])


def _events(settings: Settings) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
    finally:
        conn.close()


def _tamper(db_path: Path, *statements: str) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


async def test_intact_chain_verifies(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await _some_events(client, db)
    count = len(_events(settings))
    assert count >= 6
    result = run_schouw(settings.data_dir, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"audit chain intact: {count} events" in result.stdout


async def test_edited_event_is_named(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await _some_events(client, db)
    victim = _events(settings)[3]["id"]
    # The trigger refuses updates, so a tamperer drops it first.
    try:
        _tamper(settings.db_path, f"UPDATE audit_events SET ip = '10.6.6.6' WHERE id = {victim}")
    except sqlite3.IntegrityError as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("the audit_no_update trigger let an update through")
    _tamper(
        settings.db_path,
        "DROP TRIGGER audit_no_update",
        f"UPDATE audit_events SET result = 'ok', detail = '{{}}', ip = '10.6.6.6'"
        f" WHERE id = {victim}",
    )
    result = run_schouw(settings.data_dir, "audit", "verify")
    assert result.returncode == 1
    assert f"audit chain BROKEN at event {victim}:" in result.stdout
    assert "altered" in result.stdout
    assert f"{victim - 1} events before it are intact" in result.stdout


async def test_deleted_event_is_detected(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await _some_events(client, db)
    ids = [r["id"] for r in _events(settings)]
    victim = ids[2]
    _tamper(settings.db_path, f"DELETE FROM audit_events WHERE id = {victim}")
    result = run_schouw(settings.data_dir, "audit", "verify")
    assert result.returncode == 1
    assert f"BROKEN at event {ids[3]}:" in result.stdout
    assert "removed or reordered" in result.stdout


async def test_logins_and_failures_are_audited(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    user_id = await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    session = await login(client, "anna")
    wrong = await client.post(
        "/api/v1/auth/login",
        json={"username": "anna", "password": "niet goed genoeg", "device_id": uuid7()},
    )
    assert wrong.status_code == 401
    unknown = await client.post(
        "/api/v1/auth/login",
        json={"username": "niemand", "password": PASSWORD, "device_id": uuid7()},
    )
    assert unknown.status_code == 401

    logins = [e for e in _events(settings) if e["action"] == "login"]
    ok = [e for e in logins if e["result"] == "ok"]
    denied = [e for e in logins if e["result"] == "denied"]
    assert len(ok) == 1
    assert ok[0]["actor_id"] == user_id and ok[0]["device_id"] == session["device_id"]
    assert ok[0]["ip"]
    assert sorted(e["object_id"] for e in denied) == ["anna", "niemand"]
    assert all('"reason":"bad-credentials"' in e["detail"] for e in denied)
    assert all(e["ip"] for e in denied)
    assert PASSWORD not in "".join(str(tuple(e)) for e in _events(settings))
    assert run_schouw(settings.data_dir, "audit", "verify").returncode == 0


async def test_throttled_logins_are_audited(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    statuses = []
    for _ in range(settings.login_max_failures + 1):
        resp = await client.post(
            "/api/v1/auth/login",
            json={"username": "anna", "password": "fout wachtwoord", "device_id": uuid7()},
        )
        statuses.append(resp.status_code)
    assert statuses[-1] == 429
    throttled = [e for e in _events(settings) if e["result"] == "throttled"]
    assert len(throttled) == 1 and throttled[0]["object_id"] == "anna"


def test_privilege_changes_by_cli_are_audited(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_schouw(data, "init").returncode == 0
    conn = sqlite3.connect(data / "schouw.db")
    with conn:
        conn.execute("INSERT INTO agencies (id, name, kind) VALUES ('nla', 'NLA', 'rijk')")
    conn.close()
    add = run_schouw(
        data, "user", "add", "frank", "--agency", "nla", "--role", "admin", stdin=PASSWORD
    )
    assert add.returncode == 0, add.stderr
    assert run_schouw(data, "user", "disable", "frank").returncode == 0
    conn = sqlite3.connect(data / "schouw.db")
    actions = [r[0] for r in conn.execute("SELECT action FROM audit_events ORDER BY id")]
    conn.close()
    assert actions[-2:] == ["user.add", "user.disable"]
