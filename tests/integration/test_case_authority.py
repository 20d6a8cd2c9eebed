"""Team-lead authority: staffing per agency, closing by the case's team lead, closed is final,
and the grant/evict fan-outs addressing the same users."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import add_user, login
from tests.sync_support import World, pull_all, push, seed_world, set_answer

Client = AsyncTestClient[Any]


async def _count(db: Database, sql: str, *args: Any) -> int:
    return int(await db.read(lambda c: c.execute(sql, args).fetchone()[0]))


async def _sessions(client: Client, *names: str) -> dict[str, dict[str, Any]]:
    return {name: await login(client, name) for name in names}


def _inspectors_url(world: World) -> str:
    return f"/api/v1/cases/{world.case_id}/inspections/{world.inspection_id}/inspectors"


async def test_only_an_agencys_own_team_leads_staff_its_inspectors(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)  # anna (gemeente) and bert (politie) on one inspection
    s = await _sessions(client, "tara", "piet")
    bert2 = await add_user(db, "bert2", "politie", ["inspector"])
    anna, bert, otto = world.users["anna"], world.users["bert"], world.users["otto"]
    before = await _count(db, "SELECT count(*) FROM changes")
    # tara (gemeente) may not remove bert, nor add a politie inspector
    for inspectors in ([anna], [anna, bert, bert2], [anna, bert2]):
        resp = await client.put(
            _inspectors_url(world), json={"inspectors": inspectors}, headers=s["tara"]["headers"]
        )
        assert resp.status_code == 403, resp.text
        assert resp.json()["type"] == "/problems/other-agency-inspectors"
    # ... nor assign politie inspectors when planning
    plan = {
        "date": "2026-05-05",
        "checklists": [{"agency": "politie", "template": "sync-test@1"}],
        "inspectors": [bert],
    }
    resp = await client.post(
        f"/api/v1/cases/{world.case_id}/inspections", json=plan, headers=s["tara"]["headers"]
    )
    assert resp.status_code == 403 and resp.json()["type"] == "/problems/other-agency-inspectors"
    assert await _count(db, "SELECT count(*) FROM changes") == before
    assert await _count(db, "SELECT count(*) FROM inspections") == 1
    # her own agency's people she staffs; piet staffs politie's
    resp = await client.put(
        _inspectors_url(world), json={"inspectors": [otto, bert]}, headers=s["tara"]["headers"]
    )
    assert resp.status_code == 200, resp.text
    resp = await client.put(
        _inspectors_url(world),
        json={"inspectors": [otto, bert2]},
        headers=s["piet"]["headers"],
    )
    assert resp.status_code == 200, resp.text
    # refusals are audited
    refused = await _count(
        db,
        "SELECT count(*) FROM audit_events WHERE result = 'denied' AND actor_id = ?",
        world.users["tara"],
    )
    assert refused == 4


async def test_other_team_leads_on_the_case_cannot_close_it(client: Client, db: Database) -> None:
    world = await seed_world(db)  # tara is the case's team lead, piet leads politie
    s = await _sessions(client, "tara", "piet")
    url = f"/api/v1/cases/{world.case_id}/close"
    body = {"category": "geen-overtredingen", "text": "Niets gevonden."}
    resp = await client.post(url, json=body, headers=s["piet"]["headers"])
    assert resp.status_code == 403, resp.text
    assert resp.json()["type"] == "/problems/not-case-teamlead"
    assert await _count(db, "SELECT count(*) FROM cases WHERE status = 'closed'") == 0
    resp = await client.post(url, json=body, headers=s["tara"]["headers"])
    assert resp.status_code == 200, resp.text


async def test_closed_is_final_for_team_lead_calls(client: Client, db: Database) -> None:
    world = await seed_world(db)
    s = await _sessions(client, "tara", "piet")
    phone, tablet = await login(client, "anna"), await login(client, "anna")
    gem = world.checklists["gemeente-groningen"]
    await push(client, phone, [set_answer(1, gem, "soort", "horeca")])
    conflict = (await push(client, tablet, [set_answer(1, gem, "soort", "winkel")])).json()
    conflict_id = conflict["results"][0]["conflict_id"]
    assert conflict_id
    tara = s["tara"]["headers"]
    intervention = await client.post(
        f"/api/v1/cases/{world.case_id}/interventions",
        json={"agency": "gemeente-groningen", "type": "waarschuwing"},
        headers=tara,
    )
    assert intervention.status_code == 201, intervention.text
    intervention_id = intervention.json()["interventions"][0]["id"]
    closed = await client.post(
        f"/api/v1/cases/{world.case_id}/close",
        json={"category": "overig", "text": "Afgerond.", "confirm_open_interventions": True},
        headers=tara,
    )
    assert closed.status_code == 200, closed.text

    def state(conn: sqlite3.Connection) -> list[Any]:
        return [
            conn.execute("SELECT max(seq) FROM changes").fetchone()[0],
            conn.execute("SELECT value FROM answers WHERE item_key = 'soort'").fetchall(),
            conn.execute("SELECT status FROM conflicts").fetchall(),
            conn.execute("SELECT count(*) FROM comments").fetchone()[0],
            conn.execute("SELECT count(*) FROM releases").fetchone()[0],
            conn.execute("SELECT status, type FROM interventions").fetchall(),
            conn.execute("SELECT count(*) FROM inspections").fetchone()[0],
        ]

    before = await db.read(state)
    base = f"/api/v1/cases/{world.case_id}"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        (
            "POST",
            f"/api/v1/conflicts/{conflict_id}/resolve",
            {"candidate": 1, "reason": "Winkel volgens KvK"},
        ),
        ("POST", f"/api/v1/checklists/{gem}/comments", {"text": "Graag aanvullen"}),
        ("POST", f"/api/v1/checklists/{gem}/releases", {"item_keys": ["open"], "basis": "RIEC"}),
        (
            "POST",
            f"{base}/inspections",
            {
                "date": "2026-05-09",
                "checklists": [{"agency": "gemeente-groningen", "template": "sync-test@1"}],
                "inspectors": [],
            },
        ),
        ("PUT", _inspectors_url(world), {"inspectors": [world.users["anna"]]}),
        ("POST", f"{base}/interventions", {"agency": "gemeente-groningen", "type": "hercontrole"}),
        ("PATCH", f"{base}/interventions/{intervention_id}", {"status": "opgelegd"}),
    ]
    for method, url, body in calls:
        resp = await client.request(method, url, json=body, headers=tara)
        assert resp.status_code == 409, (url, resp.text)
        assert resp.json()["type"] == "/problems/case-closed", url
    assert await db.read(state) == before


async def test_grant_and_evict_fan_outs_address_the_same_users(
    client: Client, db: Database
) -> None:
    """A disabled team lead of a joining agency gets a grant, and the same user set gets the
    evicts when the case closes."""
    world = await seed_world(db)
    s = await _sessions(client, "tara")
    nvwa_lead = await add_user(db, "nvwa-lead", "nvwa", ["teamlead"])
    gone_lead = await add_user(db, "nvwa-weg", "nvwa", ["teamlead"])
    await db.write(
        lambda c: c.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now_iso(), gone_lead))
    )
    plan = {
        "date": "2026-05-06",
        "checklists": [{"agency": "nvwa", "template": "sync-test@1"}],
        "inspectors": [],
    }
    resp = await client.post(
        f"/api/v1/cases/{world.case_id}/inspections", json=plan, headers=s["tara"]["headers"]
    )
    assert resp.status_code == 201, resp.text
    granted = await db.read(
        lambda c: {
            r[0]
            for r in c.execute(
                "SELECT user_id FROM changes WHERE kind = 'grant' AND case_id = ?",
                (world.case_id,),
            )
        }
    )
    assert {nvwa_lead, gone_lead} <= granted
    resp = await client.post(
        f"/api/v1/cases/{world.case_id}/close",
        json={"category": "overig", "text": "Afgerond."},
        headers=s["tara"]["headers"],
    )
    assert resp.status_code == 200, resp.text
    evicted = await db.read(
        lambda c: {
            r[0]
            for r in c.execute(
                "SELECT user_id FROM changes WHERE kind = 'evict' AND case_id = ?",
                (world.case_id,),
            )
        }
    )
    on_case = {world.users[n] for n in ("anna", "bert", "tara", "piet")} | {nvwa_lead, gone_lead}
    assert evicted == on_case
    assert granted - {world.users["tara"]} <= evicted


async def test_every_refusal_is_audited(client: Client, db: Database) -> None:
    world = await seed_world(db)
    s = await _sessions(client, "tara", "piet", "anna", "otto")
    phone, tablet = await login(client, "bert"), await login(client, "bert")
    pol = world.checklists["politie"]
    await push(client, phone, [set_answer(1, pol, "soort", "horeca")])
    conflict = (await push(client, tablet, [set_answer(1, pol, "soort", "winkel")])).json()
    conflict_id = conflict["results"][0]["conflict_id"]
    refusals: list[tuple[str, str, str, dict[str, Any], int]] = [
        # a team lead releasing another agency's items, resolving its conflict
        (
            "tara",
            "POST",
            f"/api/v1/checklists/{pol}/releases",
            {"item_keys": ["open"], "basis": "RIEC"},
            403,
        ),
        (
            "tara",
            "POST",
            f"/api/v1/conflicts/{conflict_id}/resolve",
            {"candidate": 0, "reason": "Horeca"},
            403,
        ),
        # an inspector creating a case (the role guard)
        ("anna", "POST", "/api/v1/cases", {"reason": {}, "subject": {}}, 403),
        # someone not on the case
        ("otto", "GET", f"/api/v1/cases/{world.case_id}", {}, 404),
        ("otto", "POST", f"/api/v1/checklists/{pol}/comments", {"text": "Hallo"}, 404),
    ]
    for who, method, url, body, status in refusals:
        before = await _count(db, "SELECT count(*) FROM audit_events")
        resp = await client.request(method, url, json=body or None, headers=s[who]["headers"])
        assert resp.status_code == status, (url, resp.text)
        assert await _count(db, "SELECT count(*) FROM audit_events") == before + 1, url
        actor, action, result = await db.read(
            lambda c: c.execute(
                "SELECT actor_id, action, result FROM audit_events ORDER BY id DESC LIMIT 1"
            ).fetchone()
        )
        assert actor == world.users[who], url
        assert result == ("denied" if status == 403 else "not-found"), url
        assert action == ("case.view" if method == "GET" else "request.refused"), url


async def test_progress_for_team_leads_follows_the_completeness_rules(
    client: Client, db: Database
) -> None:
    """Hidden items (visible_if) are not counted, a blank text is not an answer."""
    from tests.evidence_support import seed_case

    def fn(conn: sqlite3.Connection) -> tuple[str, str]:
        world = seed_case(conn, "ineke", "gemeente-groningen")
        conn.execute(
            "UPDATE cases SET reason = ? WHERE id = ?",
            ('{"category": "steekproef", "explanation": "Steekproef."}', world.case_id),
        )
        answers = {
            "starttijd": "09:30",
            "type-object": "horeca",
            "handelsnaam-ter-plaatse": "   ",  # blank: not an answer
            "aanwezig-leidinggevende": "no",  # hides functie-verantwoordelijke
            "indruk": "goed",  # hides toelichting-indruk
            "inbeslagname": "no",  # hides bewijs-ontvangst
        }
        for key, value in answers.items():
            rev = record_change(conn, "answer", f"{world.checklist_id}/{key}")
            conn.execute(
                "INSERT INTO answers (checklist_id, item_key, value, rev, op_id, author_id,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    world.checklist_id,
                    key,
                    msgspec.json.encode(value).decode(),
                    rev,
                    uuid7(),
                    world.inspector_id,
                    now_iso(),
                ),
            )
        return world.case_id, world.checklist_id

    case_id, checklist_id = await db.write(fn)
    await add_user(db, "teun", "gemeente-groningen", ["teamlead"])
    teun = await login(client, "teun")
    view = await client.get(f"/api/v1/cases/{case_id}", headers=teun["headers"])
    assert view.status_code == 200, view.text
    (checklist,) = view.json()["inspections"][0]["checklists"]
    assert checklist["id"] == checklist_id
    # controle-algemeen@1: 18 items, 3 hidden by these answers; 4 required shown
    assert checklist["progress"] == {
        "items": 15,
        "answered": 5,
        "required": 4,
        "required_answered": 3,
    }


async def test_conflict_list_is_what_the_projection_shows(client: Client, db: Database) -> None:
    """The list shows exactly the conflicts pull delivers to the same team lead."""
    world = await seed_world(db)
    phone, tablet = await login(client, "anna"), await login(client, "anna")
    bphone, btablet = await login(client, "bert"), await login(client, "bert")
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    ids = set()
    for first, second, cl in ((phone, tablet, gem), (bphone, btablet, pol)):
        await push(client, first, [set_answer(1, cl, "soort", "horeca")])
        body = (await push(client, second, [set_answer(1, cl, "soort", "winkel")])).json()
        ids.add(body["results"][0]["conflict_id"])
    for lead, cl in (("tara", gem), ("piet", pol)):
        session = await login(client, lead)
        listed = await client.get("/api/v1/conflicts", headers=session["headers"])
        assert listed.status_code == 200, listed.text
        mine = {c["id"] for c in listed.json()["conflicts"]}
        records, _ = await pull_all(client, session)
        pulled = {r["id"] for r in records if r["kind"] == "conflict"}
        assert mine == pulled and len(mine) == 1
        assert {c["checklist_id"] for c in listed.json()["conflicts"]} == {cl}
        page = await client.get(
            "/api/v1/conflicts", params={"limit": 1, "status": "open"}, headers=session["headers"]
        )
        assert len(page.json()["conflicts"]) == 1 and page.json()["next"] is None
