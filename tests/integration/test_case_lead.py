"""The case's team lead: hand over, close with a result, link and unlink duplicates."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.support import insert_user
from tests.sync_support import World, insert_case, quick_session, seed_world

Client = AsyncTestClient[Litestar]


async def _one(db: Database, sql: str, *args: Any) -> Any:
    return await db.read(lambda c: c.execute(sql, args).fetchone())


async def _heads(db: Database, world: World, *names: str) -> dict[str, dict[str, str]]:
    return {n: (await quick_session(db, world.users[n]))["headers"] for n in names}


async def test_hand_over_to_another_team_lead(client: Client, db: Database) -> None:
    world = await seed_world(db)
    h = await _heads(db, world, "tara", "piet", "anna")
    url = f"/api/v1/cases/{world.case_id}/handover"

    wrong = [
        ({"teamlead_id": world.users["anna"]}, h["tara"], 422),  # an inspector
        ({"teamlead_id": world.users["tara"]}, h["tara"], 422),  # already the team lead
        ({"teamlead_id": "nobody"}, h["tara"], 422),
        ({"teamlead_id": world.users["piet"]}, h["piet"], 403),  # not the case's team lead
        ({"teamlead_id": world.users["piet"]}, h["anna"], 403),  # not a team lead at all
        ({"team_lead": world.users["piet"]}, h["tara"], 400),
    ]
    for body, headers, status in wrong:
        resp = await client.post(url, json=body, headers=headers)
        assert resp.status_code == status, (body, resp.text)
    assert (await _one(db, "SELECT teamlead_id FROM cases"))[0] == world.users["tara"]

    body = {"teamlead_id": world.users["piet"], "reason": "Tara met verlof."}
    resp = await client.post(url, json=body, headers=h["tara"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["teamlead"]["id"] == world.users["piet"]
    event = await _one(
        db, "SELECT actor_id, detail FROM audit_events WHERE action = 'case.handover'"
    )
    assert event[0] == world.users["tara"] and world.users["piet"] in event[1]
    # Tara stays on the case as a gemeente team lead, but no longer leads it.
    assert (
        await client.get(f"/api/v1/cases/{world.case_id}", headers=h["tara"])
    ).status_code == 200
    again = await client.post(url, json={"teamlead_id": world.users["tara"]}, headers=h["tara"])
    assert again.status_code == 403


async def test_hand_over_to_a_team_lead_of_a_new_agency_grants_the_case(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    nvwa = await db.write(lambda c: insert_user(c, "nadia", "nvwa", ["teamlead"]))
    tara = await quick_session(db, world.users["tara"])
    resp = await client.post(
        f"/api/v1/cases/{world.case_id}/handover",
        json={"teamlead_id": nvwa},
        headers=tara["headers"],
    )
    assert resp.status_code == 200, resp.text
    assert "nvwa" in resp.json()["agencies"]
    grant = await _one(
        db, "SELECT COUNT(*) FROM changes WHERE kind = 'grant' AND user_id = ?", nvwa
    )
    assert grant[0] == 1


async def test_close_needs_the_case_team_lead_and_confirms_open_interventions(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    h = await _heads(db, world, "tara", "piet")
    base = f"/api/v1/cases/{world.case_id}"
    intervention = {"agency": "politie", "type": "proces-verbaal", "status": "lopend"}
    added = await client.post(f"{base}/interventions", json=intervention, headers=h["piet"])
    assert added.status_code == 201, added.text
    result = {"category": "overtredingen-afgehandeld", "text": "Proces-verbaal opgemaakt."}

    assert (await client.post(f"{base}/close", json=result, headers=h["piet"])).status_code == 403
    bad = await client.post(f"{base}/close", json={**result, "category": "x"}, headers=h["tara"])
    assert bad.status_code == 400
    empty = await client.post(f"{base}/close", json={**result, "text": ""}, headers=h["tara"])
    assert empty.status_code == 400
    unconfirmed = await client.post(f"{base}/close", json=result, headers=h["tara"])
    assert unconfirmed.status_code == 409
    problem = unconfirmed.json()
    assert problem["type"] == "/problems/open-interventions"
    assert "proces-verbaal (politie, lopend)" in problem["detail"]
    assert (await _one(db, "SELECT status, result FROM cases"))[:] == ("planned", None)

    confirmed = {**result, "confirm_open_interventions": True}
    resp = await client.post(f"{base}/close", json=confirmed, headers=h["tara"])
    assert resp.status_code == 200, resp.text
    case = resp.json()
    assert case["status"] == "closed" and case["closed_at"]
    assert case["result"]["category"] == "overtredingen-afgehandeld"
    assert case["result"]["confirmed"] is True
    assert case["result"]["open_interventions"] == [added.json()["interventions"][0]["id"]]
    event = await _one(db, "SELECT detail FROM audit_events WHERE action = 'case.close'")
    assert '"confirmed":true' in event[0]
    # Every phone drops the case: evict rows for the assigned inspectors.
    evicted = await _one(
        db,
        "SELECT COUNT(DISTINCT user_id) FROM changes WHERE kind = 'evict' AND user_id IN (?, ?)",
        world.users["anna"],
        world.users["bert"],
    )
    assert evicted[0] == 2
    final = await client.post(f"{base}/close", json=confirmed, headers=h["tara"])
    assert final.status_code == 422


async def test_close_without_open_interventions_needs_no_confirmation(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    tara = await quick_session(db, world.users["tara"])
    resp = await client.post(
        f"/api/v1/cases/{world.case_id}/close",
        json={"category": "geen-overtredingen", "text": "Alles in orde."},
        headers=tara["headers"],
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"]["confirmed"] is False


async def test_link_and_unlink_a_duplicate_case(client: Client, db: Database) -> None:
    world = await seed_world(db)

    def second(conn: sqlite3.Connection) -> str:
        return insert_case(
            conn,
            agencies=["gemeente-groningen"],
            inspectors=[world.users["anna"]],
            creator=world.users["anna"],
            reference="RIT-TEST-VELD",
        ).case_id

    field_case = await db.write(second)
    h = await _heads(db, world, "tara", "anna", "piet")
    url = f"/api/v1/cases/{field_case}/duplicate-links"

    self_link = await client.post(url, json={"duplicate_of": field_case}, headers=h["tara"])
    assert self_link.status_code == 422
    unknown = await client.post(url, json={"duplicate_of": "nope"}, headers=h["tara"])
    assert unknown.status_code == 422
    inspector = await client.post(url, json={"duplicate_of": world.case_id}, headers=h["anna"])
    assert inspector.status_code == 403
    not_on_both = await client.post(url, json={"duplicate_of": world.case_id}, headers=h["piet"])
    assert not_on_both.status_code == 404  # piet is not on the field-created case

    resp = await client.post(url, json={"duplicate_of": world.case_id}, headers=h["tara"])
    assert resp.status_code == 201, resp.text
    (link,) = resp.json()["links"]
    assert (link["case_id"], link["direction"]) == (world.case_id, "duplicate_of")
    other = (await client.get(f"/api/v1/cases/{world.case_id}", headers=h["tara"])).json()
    assert [(x["reference"], x["direction"]) for x in other["links"]] == [
        ("RIT-TEST-VELD", "duplicated_by")
    ]
    # Piet sees the main case but not the field case: the link is not mentioned to him.
    piet_view = (await client.get(f"/api/v1/cases/{world.case_id}", headers=h["piet"])).json()
    assert piet_view["links"] == []
    twice = await client.post(url, json={"duplicate_of": world.case_id}, headers=h["tara"])
    assert twice.status_code == 409
    # Findings are never merged: each case keeps its own checklists.
    counts = await _one(
        db,
        "SELECT (SELECT COUNT(*) FROM checklists WHERE case_id = ?),"
        " (SELECT COUNT(*) FROM checklists WHERE case_id = ?)",
        world.case_id,
        field_case,
    )
    assert tuple(counts) == (2, 1)

    undo = await client.delete(f"{url}/{link['id']}", headers=h["tara"])
    assert undo.status_code == 200, undo.text
    assert undo.json()["links"] == []
    gone = await client.delete(f"{url}/{link['id']}", headers=h["tara"])
    assert gone.status_code == 404
    audits = await _one(
        db,
        "SELECT COUNT(*) FROM audit_events WHERE action IN"
        " ('case.link_duplicate', 'case.unlink_duplicate')",
    )
    assert audits[0] == 4  # each act on both cases
