"""Restore without loss: work acknowledged after the backup comes back from the devices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.ops_backup import backup_to, restore_from
from server.settings import Settings
from tests.support import login
from tests.sync_support import add_note, push, seed_world, set_answer


def _create_case(seq: int) -> dict[str, Any]:
    return {
        "op": "create_case",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": now_iso(),
        "case_id": uuid7(),
        "inspection_id": uuid7(),
        "checklist_id": uuid7(),
        "template": "sync-test@1",
        "subject": {"business": {"name": "Nagekomen zaak", "kvk": "87654321"}},
        "reason": {"category": "eigen-waarneming", "explanation": "Na de back-up aangemaakt."},
    }


async def test_restore_then_resend_recovers_every_acknowledged_op_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    acked: dict[str, dict[str, Any]] = {}  # op_id -> op, for every op the server acknowledged
    outbox: dict[str, list[dict[str, Any]]] = {"anna": [], "bert": [], "tablet": []}

    async def send(
        client: Any, who: str, session: dict[str, Any], ops: list[dict[str, Any]]
    ) -> None:
        resp = await push(client, session, ops)
        assert resp.status_code == 200, resp.text
        for op, result in zip(ops, resp.json()["results"], strict=True):
            assert result["status"] == "applied", result
            acked[op["op_id"]] = op
        outbox[who] += ops

    async with AsyncTestClient(app=create_app(settings)) as client:
        db: Database = client.app.state.db
        world = await seed_world(db)
        gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
        anna, bert = await login(client, "anna"), await login(client, "bert")
        tablet = await login(client, "anna")
        await send(
            client,
            "anna",
            anna,
            [set_answer(1, gem, "open", "yes"), add_note(2, gem, "voor de back-up")],
        )
        await send(client, "bert", bert, [set_answer(1, pol, "aantal", 3)])
        first = await client.get("/api/v1/sync/pull", headers=anna["headers"])
        cursor = first.json()["cursor"]
        backup = tmp_path / "backup.schouw"
        backup_to(settings, backup)
        await send(
            client,
            "anna",
            anna,
            [
                set_answer(3, gem, "soort", "winkel"),
                add_note(4, gem, "na de back-up"),
                _create_case(5),
            ],
        )
        await send(
            client,
            "bert",
            bert,
            [set_answer(2, pol, "aantal", 4), set_answer(3, pol, "tijd", "10:15")],
        )
        await send(
            client,
            "tablet",
            tablet,
            [set_answer(1, gem, "tijd", "09:00"), add_note(2, gem, "tablet")],
        )

    restore_from(settings, backup)

    async with AsyncTestClient(app=create_app(settings)) as client:
        db = client.app.state.db
        stale = await client.get(
            "/api/v1/sync/pull", params={"cursor": cursor}, headers=anna["headers"]
        )
        assert stale.status_code == 410
        # Each device re-sends what it still holds; the tablet's seq 1 fell out of retention.
        results: dict[str, list[str]] = {}
        for who, session in (("anna", anna), ("bert", bert), ("tablet", tablet)):
            retained = outbox[who][1:] if who == "tablet" else outbox[who]
            resp = await push(client, session, retained)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["epoch"] == 2
            results[who] = [r["status"] for r in body["results"]]
        assert results["anna"] == ["duplicate", "duplicate", "applied", "applied", "applied"]
        assert results["bert"] == ["duplicate", "applied", "applied"]
        assert results["tablet"] == ["applied"]
        lost = {outbox["tablet"][0]["op_id"]}
        counts = await db.read(
            lambda c: dict(c.execute("SELECT op_id, count(*) FROM ops GROUP BY op_id").fetchall())
        )
        for op_id in acked:
            assert counts.get(op_id, 0) == (0 if op_id in lost else 1), op_id
        hole = await db.read(
            lambda c: c.execute(
                "SELECT device_id, detail FROM audit_events WHERE action = 'sync.hole'"
            ).fetchall()
        )
        assert [(r[0], r[1]) for r in hole] == [
            (tablet["device_id"], '{"first_seq":1,"last_seq":1,"epoch":2}')
        ]
        again = (await push(client, anna, outbox["anna"])).json()
        assert {r["status"] for r in again["results"]} == {"duplicate"}
        value = await db.read(
            lambda c: c.execute(
                "SELECT value FROM answers WHERE checklist_id = ? AND item_key = 'aantal'", (pol,)
            ).fetchone()[0]
        )
        assert value == "4"
