"""The case file's server side: return to officer, overwritten values, automatic progress."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from tests.sync_support import World, pull_all, push, quick_session, seed_world, set_answer

Client = AsyncTestClient[Litestar]


def _submit(seq: int, checklist_id: str) -> dict[str, Any]:
    return {
        "op": "submit_checklist",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T10:00:00.000+02:00",
        "checklist_id": checklist_id,
    }


def _amend(seq: int, checklist_id: str, key: str, value: Any, base_rev: int) -> dict[str, Any]:
    return {
        "op": "amend_answer",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T10:05:00.000+02:00",
        "checklist_id": checklist_id,
        "item_key": key,
        "value": value,
        "reason": "Teruggestuurd door de teamleider: opnieuw bekeken.",
        "base_rev": base_rev,
    }


async def _sessions(db: Database, world: World, *names: str) -> dict[str, dict[str, Any]]:
    return {name: await quick_session(db, world.users[name]) for name in names}


async def _one(db: Database, sql: str, *args: Any) -> Any:
    return await db.read(lambda c: c.execute(sql, args).fetchone())


async def test_return_to_officer_then_amend_and_resubmit(client: Client, db: Database) -> None:
    world = await seed_world(db)
    s = await _sessions(db, world, "anna", "tara")
    gem = world.checklists["gemeente-groningen"]
    first = await push(client, s["anna"], [set_answer(1, gem, "open", "yes"), _submit(2, gem)])
    assert [r["status"] for r in first.json()["results"]] == ["applied", "applied"]
    answer_rev = first.json()["results"][0]["rev"]

    url = f"/api/v1/checklists/{gem}/return"
    body = {"text": "Graag de openingstijden controleren.", "item_keys": ["open", "aantal"]}
    resp = await client.post(url, json=body, headers=s["tara"]["headers"])
    assert resp.status_code == 200, resp.text
    returned = resp.json()
    assert returned["status"] == "submitted" and returned["returned_at"]
    assert [c["item_key"] for c in returned["comments"]] == ["open", "aantal"]

    # The inspector's next pull carries returned_at on the checklist and the comments.
    records, _ = await pull_all(client, s["anna"])
    checklist = next(r for r in records if r["kind"] == "checklist" and r["id"] == gem)
    assert checklist["data"]["status"] == "submitted"
    assert checklist["data"]["returned_at"] == returned["returned_at"]
    assert checklist["data"]["returned_by"] == world.users["tara"]
    comments = [r["data"] for r in records if r["kind"] == "comment"]
    assert {c["item_key"] for c in comments} == {"open", "aantal"}
    assert all(c["text"] == body["text"] for c in comments)

    # While returned: amend_answer works, a resubmit is valid again and clears the return.
    again = await push(
        client, s["anna"], [_amend(3, gem, "open", "no", answer_rev), _submit(4, gem)]
    )
    assert [r["status"] for r in again.json()["results"]] == ["applied", "applied"]
    row = await _one(
        db, "SELECT status, returned_at, returned_by FROM checklists WHERE id = ?", gem
    )
    assert tuple(row) == ("submitted", None, None)
    # A further submit of a submitted, not returned checklist stays a harmless duplicate.
    third = await push(client, s["anna"], [_submit(5, gem)])
    assert third.json()["results"][0]["status"] == "applied"
    assert third.json()["results"][0]["rev"] == again.json()["results"][1]["rev"]

    ops = await _one(db, "SELECT COUNT(*) FROM ops WHERE kind = 'return_checklist'")
    audits = await _one(db, "SELECT COUNT(*) FROM audit_events WHERE action = 'checklist.return'")
    assert (ops[0], audits[0]) == (1, 1)


async def test_return_refusals_change_nothing(client: Client, db: Database) -> None:
    world = await seed_world(db)
    s = await _sessions(db, world, "anna", "tara", "piet", "otto")
    gem = world.checklists["gemeente-groningen"]
    url = f"/api/v1/checklists/{gem}/return"
    body = {"text": "Nog eens kijken."}

    still_open = await client.post(url, json=body, headers=s["tara"]["headers"])
    assert still_open.status_code == 409
    assert still_open.json()["type"] == "/problems/checklist-open"

    await push(client, s["anna"], [_submit(1, gem)])
    other_agency = await client.post(url, json=body, headers=s["piet"]["headers"])
    assert other_agency.status_code == 403
    inspector = await client.post(url, json=body, headers=s["anna"]["headers"])
    assert inspector.status_code == 403
    not_on_case = await client.post(url, json=body, headers=s["otto"]["headers"])
    assert not_on_case.status_code == 404
    unknown = await client.post(
        url, json={**body, "item_keys": ["bestaat-niet"]}, headers=s["tara"]["headers"]
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "item_keys"
    empty = await client.post(url, json={"text": ""}, headers=s["tara"]["headers"])
    assert empty.status_code == 400
    assert (await _one(db, "SELECT returned_at FROM checklists WHERE id = ?", gem))[0] is None
    assert (await _one(db, "SELECT COUNT(*) FROM comments"))[0] == 0

    good = await client.post(url, json=body, headers=s["tara"]["headers"])
    assert good.status_code == 200
    twice = await client.post(url, json=body, headers=s["tara"]["headers"])
    assert twice.status_code == 409
    assert twice.json()["type"] == "/problems/checklist-returned"


async def test_conflict_candidates_keep_the_value_they_overwrote(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    phone1 = await quick_session(db, world.users["anna"])
    phone2 = await quick_session(db, world.users["anna"])
    gem = world.checklists["gemeente-groningen"]
    await push(client, phone1, [set_answer(1, gem, "aantal", 3)])
    second = await push(client, phone1, [set_answer(2, gem, "aantal", 4)])
    seen = second.json()["results"][0]["rev"]
    # phone2 never saw phone1's writes: a conflict holding both values
    resp = await push(client, phone2, [set_answer(1, gem, "aantal", 7, base_rev=None)])
    assert resp.json()["results"][0]["status"] == "conflict"
    row = await _one(db, "SELECT candidates FROM conflicts")
    old, new = msgspec.json.decode(row[0])
    assert (old["value"], old["overwrote"], old["rev"]) == (4, 3, seen)
    assert (new["value"], new["overwrote"]) == (7, 4)
    # the team lead's conflict list carries it too
    tara = await quick_session(db, world.users["tara"])
    listed = await client.get("/api/v1/conflicts", headers=tara["headers"])
    (conflict,) = listed.json()["conflicts"]
    assert [c["overwrote"] for c in conflict["candidates"]] == [3, 4]


async def test_planned_case_becomes_inspected_when_every_checklist_is_submitted(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    s = await _sessions(db, world, "anna", "bert", "tara")
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    await push(client, s["anna"], [_submit(1, gem)])
    status = await _one(db, "SELECT status FROM cases WHERE id = ?", world.case_id)
    assert status[0] == "planned"  # the politie checklist is still open
    await push(client, s["bert"], [_submit(1, pol)])
    status = await _one(db, "SELECT status FROM cases WHERE id = ?", world.case_id)
    assert status[0] == "inspected"
    event = await _one(
        db,
        "SELECT actor_type, detail FROM audit_events WHERE action = 'case.status'"
        " AND object_id = ?",
        world.case_id,
    )
    assert event[0] == "system" and '"automatic":true' in event[1]
    # The phones hear about the new status through pull.
    records, _ = await pull_all(client, s["anna"])
    case = next(r for r in records if r["kind"] == "case")
    assert case["data"]["status"] == "inspected"


async def test_automatic_progress_only_from_planned(client: Client, db: Database) -> None:
    world = await seed_world(db)
    s = await _sessions(db, world, "anna", "bert")
    await db.write(
        lambda c: c.execute("UPDATE cases SET status = 'selected' WHERE id = ?", (world.case_id,))
    )
    await push(client, s["anna"], [_submit(1, world.checklists["gemeente-groningen"])])
    await push(client, s["bert"], [_submit(1, world.checklists["politie"])])
    status = await _one(db, "SELECT status FROM cases WHERE id = ?", world.case_id)
    assert status[0] == "selected"
