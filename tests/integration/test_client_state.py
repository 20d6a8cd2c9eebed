"""``client_state`` in the push envelope: stored per device, decoded leniently, and an empty
push is a state report that is not audited one by one."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.sync_support import envelope, quick_session, seed_world, set_answer

STATE = {
    "outbox": 3,
    "photos_pending": 2,
    "photo_bytes_pending": 8123456,
    "app_version": "2026.05.1",
    "storage_persisted": True,
    "reported_at": "2026-05-04T09:12:03.120+02:00",
}


async def _push(client: Any, session: dict[str, Any], ops: list[Any], state: Any) -> Any:
    body = envelope(session["device_id"], ops)
    if state is not ...:
        body["client_state"] = state
    return await client.post("/api/v1/sync/push", json=body, headers=session["headers"])


async def _state(db: Database, device_id: str) -> dict[str, Any] | None:
    row = await db.read(
        lambda c: c.execute(
            "SELECT * FROM device_states WHERE device_id = ?", (device_id,)
        ).fetchone()
    )
    return dict(row) if row is not None else None


async def _pushes_audited(db: Database) -> int:
    return int(
        await db.read(
            lambda c: c.execute(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'sync.push'"
            ).fetchone()[0]
        )
    )


async def test_empty_push_is_a_state_report_stored_not_audited(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    resp = await _push(client, anna, [], STATE)
    assert resp.status_code == 200, resp.text
    stored = await _state(db, anna["device_id"])
    assert stored is not None
    assert (stored["outbox"], stored["photos_pending"], stored["photo_bytes_pending"]) == (
        3,
        2,
        8123456,
    )
    assert stored["app_version"] == "2026.05.1" and stored["storage_persisted"] == 1
    assert stored["reported_at"] == STATE["reported_at"] and stored["received_at"]
    assert await _pushes_audited(db) == 0
    # The latest report replaces the previous one; a push with ops is audited as before.
    resp = await _push(
        client,
        anna,
        [set_answer(1, world.checklists["gemeente-groningen"], "opmerking", "hallo")],
        {"outbox": 0, "photos_pending": 0},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["results"][0]["status"] == "applied"
    stored = await _state(db, anna["device_id"])
    assert stored is not None and (stored["outbox"], stored["photos_pending"]) == (0, 0)
    assert stored["app_version"] is None
    assert await _pushes_audited(db) == 1


async def test_malformed_client_state_is_ignored_never_refusing_the_push(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    checklist = world.checklists["gemeente-groningen"]
    bad_states: list[Any] = [
        {"outbox": "drie"},
        {"outbox": -1},
        {"reported_at": "gisteren"},
        {"app_version": "x" * 500},
        "kapot",
        [1, 2],
        None,
    ]
    for seq, bad in enumerate(bad_states, start=1):
        resp = await _push(client, anna, [set_answer(seq, checklist, "opmerking", f"v{seq}")], bad)
        assert resp.status_code == 200, (bad, resp.text)
        assert resp.json()["results"][0]["status"] == "applied", bad
    assert await _state(db, anna["device_id"]) is None
    # Unknown extra fields are ignored like everywhere in the protocol.
    resp = await _push(client, anna, [], {"outbox": 1, "battery": 80})
    assert resp.status_code == 200
    stored = await _state(db, anna["device_id"])
    assert stored is not None and stored["outbox"] == 1


async def test_old_clients_without_client_state_still_push(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    resp = await _push(client, anna, [], ...)
    assert resp.status_code == 200
    assert await _state(db, anna["device_id"]) is None
