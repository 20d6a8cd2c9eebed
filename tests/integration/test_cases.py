"""Cases REST for team leads: create, list, view, status, plan, reassign, interventions."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.support import add_user, login

Client = AsyncTestClient[Litestar]

REASON = {
    "category": "signaal",
    "explanation": "Meerdere meldingen van overlast en geblindeerde ramen.",
    "indicators": ["afgeplakte ramen"],
}
SUBJECT = {
    "address": {
        "postcode": "9712 ab",
        "huisnummer": 14,
        "toevoeging": "a",
        "street": "Voorbeeldstraat",
        "city": "Groningen",
    },
    "business": {"name": "Shisha Lounge De Wolk", "kvk": "90000012"},
}


async def _world(client: Client, db: Database) -> dict[str, Any]:
    ids = {
        "tl_gem": await add_user(db, "tl-gem", "gemeente-groningen", ["teamlead"]),
        "ins_gem": await add_user(db, "ins-gem", "gemeente-groningen", ["inspector"]),
        "ins_pol": await add_user(db, "ins-pol", "politie", ["inspector"]),
        "tl_pol": await add_user(db, "tl-pol", "politie", ["teamlead"]),
        "ins_nvwa": await add_user(db, "ins-nvwa", "nvwa", ["inspector"]),
    }
    heads = {k: (await login(client, k.replace("_", "-")))["headers"] for k in ids}
    return {"ids": ids, "h": heads}


async def _count(db: Database, sql: str, *args: Any) -> int:
    return int(await db.read(lambda c: c.execute(sql, args).fetchone()[0]))


async def _create(client: Client, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"reason": REASON, "subject": SUBJECT, **extra}
    resp = await client.post("/api/v1/cases", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


async def _plan(client: Client, w: dict[str, Any], case_id: str) -> dict[str, Any]:
    plan = {
        "date": "2026-05-04",
        "time": "09:30",
        "checklists": [
            {"agency": "gemeente-groningen", "template": "gemeente-apv-alcoholwet@1"},
            {"agency": "politie", "template": "politie-ondermijning@1"},
        ],
        "inspectors": [w["ids"]["ins_gem"]],
    }
    resp = await client.post(
        f"/api/v1/cases/{case_id}/inspections", json=plan, headers=w["h"]["tl_gem"]
    )
    assert resp.status_code == 201, resp.text
    # politie's own team lead adds the politie inspector
    inspection_id = resp.json()["inspections"][-1]["id"]
    resp = await client.put(
        f"/api/v1/cases/{case_id}/inspections/{inspection_id}/inspectors",
        json={"inspectors": [w["ids"]["ins_gem"], w["ids"]["ins_pol"]]},
        headers=w["h"]["tl_pol"],
    )
    assert resp.status_code == 200, resp.text
    out: dict[str, Any] = resp.json()
    return out


async def test_create_case_normalises_subject_and_is_audited(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"], agencies=["politie"])
    assert case["reference"].startswith("RIT-") and case["status"] == "selected"
    assert case["subject"]["address"]["postcode"] == "9712AB"
    assert case["subject"]["address"]["toevoeging"] == "A"
    assert case["agencies"] == ["gemeente-groningen", "politie"]
    assert case["teamlead"]["id"] == w["ids"]["tl_gem"]
    assert await _count(db, "SELECT COUNT(*) FROM audit_events WHERE action = 'case.create'") == 1
    # the politie team lead gained access to the case through a grant row
    grants = await _count(
        db, "SELECT COUNT(*) FROM changes WHERE kind = 'grant' AND user_id = ?", w["ids"]["tl_pol"]
    )
    assert grants == 1
    # a second case on the same address is flagged as a possible duplicate
    second = await _create(client, w["h"]["tl_gem"])
    assert second["possible_duplicates"] == [case["id"]]


async def test_create_case_rejects_bad_input_and_writes_nothing(
    client: Client, db: Database
) -> None:
    w = await _world(client, db)
    bad_subject = {"address": {"postcode": "97123", "huisnummer": 0}}
    resp = await client.post(
        "/api/v1/cases", json={"reason": REASON, "subject": bad_subject}, headers=w["h"]["tl_gem"]
    )
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in resp.json()["errors"]}
    assert fields == {"subject.address.postcode", "subject.address.huisnummer"}

    resp = await client.post(
        "/api/v1/cases",
        json={"reason": REASON, "subject": SUBJECT, "agencies": ["politie", "cia"]},
        headers=w["h"]["tl_gem"],
    )
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"field": "agencies[2]", "message": "onbekende organisatie 'cia'"}
    ]

    resp = await client.post("/api/v1/cases", json={"subject": SUBJECT}, headers=w["h"]["tl_gem"])
    assert resp.status_code == 400  # reason is mandatory

    assert await _count(db, "SELECT COUNT(*) FROM cases") == 0
    assert await _count(db, "SELECT COUNT(*) FROM changes WHERE kind IN ('case', 'grant')") == 0


async def test_inspector_may_not_create_cases(client: Client, db: Database) -> None:
    w = await _world(client, db)
    resp = await client.post(
        "/api/v1/cases", json={"reason": REASON, "subject": SUBJECT}, headers=w["h"]["ins_gem"]
    )
    assert resp.status_code == 403


async def test_signals_create_list_dismiss_and_triage(client: Client, db: Database) -> None:
    w = await _world(client, db)
    h = w["h"]["tl_gem"]
    body = {
        "source": "anonymous",
        "description": "Melding via Meld Misdaad Anoniem.",
        "subject": SUBJECT,
    }
    first = (await client.post("/api/v1/signals", json=body, headers=h)).json()
    second = (await client.post("/api/v1/signals", json=body, headers=h)).json()
    assert first["status"] == "open" and first["subject"]["address"]["postcode"] == "9712AB"

    listing = await client.get("/api/v1/signals?status=open&limit=1", headers=h)
    assert listing.status_code == 200
    page = listing.json()
    assert [s["id"] for s in page["signals"]] == [second["id"]] and page["next_cursor"]
    rest = await client.get(f"/api/v1/signals?status=open&cursor={page['next_cursor']}", headers=h)
    assert [s["id"] for s in rest.json()["signals"]] == [first["id"]]
    # signals of another agency are not listed
    other = await client.get("/api/v1/signals", headers=w["h"]["tl_pol"])
    assert other.json()["signals"] == []

    dismissed = await client.post(
        f"/api/v1/signals/{first['id']}/dismiss", json={"reason": "Geen aanwijzingen."}, headers=h
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    again = await client.post(
        f"/api/v1/signals/{first['id']}/dismiss", json={"reason": "Nog eens."}, headers=h
    )
    assert again.status_code == 409

    case = await _create(client, h, signal_id=second["id"])
    assert case["reason"]["signal_id"] == second["id"]
    triaged = await db.read(
        lambda c: c.execute(
            "SELECT status, case_id FROM signals WHERE id = ?", (second["id"],)
        ).fetchone()[:]
    )
    assert tuple(triaged) == ("triaged", case["id"])
    # anonymous signals store no reporter identity: only who recorded it
    columns = await db.read(lambda c: [r[1] for r in c.execute("PRAGMA table_info(signals)")])
    assert not {"reporter", "reporter_name", "reporter_phone"} & set(columns)


async def test_plan_inspection_creates_checklists_and_grants(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"])
    view = await _plan(client, w, case["id"])
    assert view["status"] == "planned"
    assert view["agencies"] == ["gemeente-groningen", "politie"]
    (inspection,) = view["inspections"]
    assert inspection["scheduled_date"] == "2026-05-04" and inspection["scheduled_time"] == "09:30"
    assert {p["id"] for p in inspection["inspectors"]} == {w["ids"]["ins_gem"], w["ids"]["ins_pol"]}
    templates = {c["agency_id"]: c["template"] for c in inspection["checklists"]}
    assert templates == {
        "gemeente-groningen": "gemeente-apv-alcoholwet@1",
        "politie": "politie-ondermijning@1",
    }
    for checklist in inspection["checklists"]:
        assert checklist["progress"]["answered"] == 0 and checklist["progress"]["items"] > 5
    grants = await db.read(
        lambda c: {
            r[0]
            for r in c.execute(
                "SELECT user_id FROM changes WHERE kind = 'grant' AND case_id = ?", (case["id"],)
            )
        }
    )
    assert {w["ids"]["ins_gem"], w["ids"]["ins_pol"], w["ids"]["tl_pol"]} <= grants
    kinds = await db.read(
        lambda c: [
            r[0] for r in c.execute("SELECT kind FROM changes WHERE case_id = ?", (case["id"],))
        ]
    )
    assert kinds.count("checklist") == 2 and "inspection" in kinds

    # the inspectors on the case can see it now
    resp = await client.get(f"/api/v1/cases/{case['id']}", headers=w["h"]["ins_pol"])
    assert resp.status_code == 200


async def test_plan_inspection_rejects_bad_input_and_writes_nothing(
    client: Client, db: Database
) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"])
    before = await _count(db, "SELECT COUNT(*) FROM changes")
    base = {
        "date": "2026-05-04",
        "checklists": [{"agency": "gemeente-groningen", "template": "gemeente-apv-alcoholwet@1"}],
        "inspectors": [w["ids"]["ins_gem"]],
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({**base, "inspectors": [w["ids"]["ins_nvwa"]]}, "inspectors[0]"),
        ({**base, "date": "2026-02-30"}, "date"),
        ({**base, "time": "25:00"}, "time"),
        ({**base, "date": "\uff12\uff10\uff12\uff16-05-04"}, "date"),  # fullwidth digits
        ({**base, "time": "\u0660\u0669:\u0663\u0660"}, "time"),  # Arabic-Indic digits
        (
            {**base, "checklists": [{"agency": "nvwa", "template": "controle-algemeen@²"}]},
            "checklists[0].template",
        ),
        (
            {
                **base,
                "checklists": [
                    {"agency": "nvwa", "template": "controle-algemeen@99999999999999999999999"}
                ],
            },
            "checklists[0].template",
        ),
        (
            {**base, "checklists": [{"agency": "nvwa", "template": "bestaat-niet@1"}]},
            "checklists[0].template",
        ),
        (
            {**base, "checklists": [{"agency": "nvwa", "template": "nvwa-hygiene-tabak"}]},
            "checklists[0].template",
        ),
    ]
    for body, field in cases:
        resp = await client.post(
            f"/api/v1/cases/{case['id']}/inspections", json=body, headers=w["h"]["tl_gem"]
        )
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["errors"][0]["field"] == field
    assert await _count(db, "SELECT COUNT(*) FROM changes") == before
    assert await _count(db, "SELECT COUNT(*) FROM inspections") == 0
    assert await _count(db, "SELECT COUNT(*) FROM case_agencies WHERE agency_id = 'nvwa'") == 0


async def test_reassign_records_grant_and_evict(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"])
    view = await _plan(client, w, case["id"])
    inspection_id = view["inspections"][0]["id"]
    second = await add_user(db, "ins-gem-2", "gemeente-groningen", ["inspector"])
    resp = await client.put(
        f"/api/v1/cases/{case['id']}/inspections/{inspection_id}/inspectors",
        json={"inspectors": [second, w["ids"]["ins_pol"]]},
        headers=w["h"]["tl_gem"],
    )
    assert resp.status_code == 200, resp.text
    assert {p["id"] for p in resp.json()["inspections"][0]["inspectors"]} == {
        second,
        w["ids"]["ins_pol"],
    }
    rows = await db.read(
        lambda c: [
            (r[0], r[1])
            for r in c.execute(
                "SELECT kind, user_id FROM changes WHERE kind IN ('grant', 'evict')"
                " AND case_id = ? ORDER BY seq DESC LIMIT 2",
                (case["id"],),
            )
        ]
    )
    assert set(rows) == {("grant", second), ("evict", w["ids"]["ins_gem"])}
    gone = await client.get(f"/api/v1/cases/{case['id']}", headers=w["h"]["ins_gem"])
    assert gone.status_code == 404


async def test_status_transitions(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"])
    url = f"/api/v1/cases/{case['id']}/status"
    jump = await client.post(url, json={"status": "reviewed"}, headers=w["h"]["tl_gem"])
    assert jump.status_code == 422
    assert jump.json()["type"] == "/problems/illegal-status-transition"
    unknown = await client.post(url, json={"status": "archived"}, headers=w["h"]["tl_gem"])
    assert unknown.status_code == 400
    for status in ("planned", "inspected", "reviewed", "intervention"):
        resp = await client.post(url, json={"status": status}, headers=w["h"]["tl_gem"])
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == status
    # closing needs a result: not through the status route
    plain = await client.post(url, json={"status": "closed"}, headers=w["h"]["tl_gem"])
    assert plain.status_code == 422
    assert plain.json()["type"] == "/problems/close-with-result"
    closed = await client.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"category": "geen-overtredingen", "text": "Niets gevonden."},
        headers=w["h"]["tl_gem"],
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    final = await client.post(url, json={"status": "reviewed"}, headers=w["h"]["tl_gem"])
    assert final.status_code == 422
    assert "definitief" in final.json()["detail"]
    audited = await _count(db, "SELECT COUNT(*) FROM audit_events WHERE action = 'case.status'")
    assert audited == 4


async def test_interventions_per_agency(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"], agencies=["politie"])
    url = f"/api/v1/cases/{case['id']}/interventions"
    body = {"agency": "gemeente-groningen", "type": "last-onder-dwangsom", "due_date": "2026-06-01"}
    resp = await client.post(url, json=body, headers=w["h"]["tl_gem"])
    assert resp.status_code == 201, resp.text
    (intervention,) = resp.json()["interventions"]
    assert intervention["status"] == "voorgenomen"

    # a team lead of another agency may not record or change the gemeente's measures
    other = await client.post(url, json=body, headers=w["h"]["tl_pol"])
    assert other.status_code == 403
    patch_url = f"{url}/{intervention['id']}"
    other = await client.patch(patch_url, json={"status": "opgelegd"}, headers=w["h"]["tl_pol"])
    assert other.status_code == 403
    bad = await client.patch(patch_url, json={"due_date": "1 juni"}, headers=w["h"]["tl_gem"])
    assert bad.status_code == 422
    bad_type = await client.post(url, json={**body, "type": "schorsing"}, headers=w["h"]["tl_gem"])
    assert bad_type.status_code == 400

    ok = await client.patch(patch_url, json={"status": "opgelegd"}, headers=w["h"]["tl_gem"])
    assert ok.status_code == 200
    (updated,) = ok.json()["interventions"]
    assert updated["status"] == "opgelegd" and updated["due_date"] == "2026-06-01"
    assert updated["rev"] > intervention["rev"]
    # everyone on the case sees the interventions
    seen = await client.get(f"/api/v1/cases/{case['id']}", headers=w["h"]["tl_pol"])
    assert seen.json()["interventions"][0]["type"] == "last-onder-dwangsom"


async def test_not_on_case_is_404_and_list_shows_only_my_cases(
    client: Client, db: Database
) -> None:
    w = await _world(client, db)
    mine = await _create(client, w["h"]["tl_gem"])
    other_subject = {"business": {"name": "Autobedrijf Noord", "kvk": "90000020"}}
    theirs = await client.post(
        "/api/v1/cases", json={"reason": REASON, "subject": other_subject}, headers=w["h"]["tl_pol"]
    )
    assert theirs.status_code == 201
    resp = await client.get(f"/api/v1/cases/{theirs.json()['id']}", headers=w["h"]["tl_gem"])
    assert resp.status_code == 404 and resp.json()["type"] == "/problems/case-not-found"
    missing = await client.get(
        "/api/v1/cases/01900000-0000-7000-8000-000000000000", headers=w["h"]["tl_gem"]
    )
    # a case that exists but is not mine looks exactly like one that does not exist
    assert missing.status_code == 404 and missing.json()["type"] == resp.json()["type"]

    listing = await client.get("/api/v1/cases", headers=w["h"]["tl_gem"])
    assert [c["id"] for c in listing.json()["cases"]] == [mine["id"]]
    audit = await db.read(
        lambda c: [
            (r[0], r[1])
            for r in c.execute(
                "SELECT action, result FROM audit_events"
                " WHERE action IN ('case.view', 'case.search')"
            )
        ]
    )
    assert ("case.view", "not-found") in audit and ("case.search", "ok") in audit


async def test_list_filters_and_paging(client: Client, db: Database) -> None:
    w = await _world(client, db)
    h = w["h"]["tl_gem"]
    first = await _create(client, h)
    second_subject = {
        "address": {
            "postcode": "9641 AB",
            "huisnummer": 3,
            "street": "Havenweg",
            "city": "Veendam",
        },
        "business": {"name": "Nagelstudio Glans", "kvk": "90000039"},
    }
    second = (
        await client.post(
            "/api/v1/cases", json={"reason": REASON, "subject": second_subject}, headers=h
        )
    ).json()

    async def ids(query: str) -> list[str]:
        resp = await client.get(f"/api/v1/cases?{query}", headers=h)
        assert resp.status_code == 200, resp.text
        return [c["id"] for c in resp.json()["cases"]]

    assert await ids("postcode=9641ab") == [second["id"]]
    assert await ids("kvk=90000012") == [first["id"]]
    assert await ids("city=veendam") == [second["id"]]
    assert await ids("q=nagel") == [second["id"]]
    assert await ids("q=voorbeeld") == [first["id"]]
    assert await ids("q=100%25") == []
    assert await ids("status=closed") == []
    assert await ids("agency=gemeente-groningen") == [second["id"], first["id"]]
    page = (await client.get("/api/v1/cases?limit=1", headers=h)).json()
    assert [c["id"] for c in page["cases"]] == [second["id"]]
    assert await ids(f"limit=1&cursor={page['next_cursor']}") == [first["id"]]

    bad = await client.get("/api/v1/cases?postcode=12345", headers=h)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "postcode"
    bad_kvk = await client.get("/api/v1/cases?kvk=123", headers=h)
    assert bad_kvk.status_code == 422 and bad_kvk.json()["errors"][0]["field"] == "kvk"
    assert bad_kvk.json()["type"] == "/problems/invalid-identifier"
    too_many = await client.get("/api/v1/cases?limit=5000", headers=h)
    assert too_many.status_code == 400


async def test_teamlead_choice_and_role_checks(client: Client, db: Database) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"], teamlead_id=w["ids"]["tl_pol"])
    assert case["teamlead"]["id"] == w["ids"]["tl_pol"]
    assert "politie" in case["agencies"]
    resp = await client.post(
        "/api/v1/cases",
        json={"reason": REASON, "subject": SUBJECT, "teamlead_id": w["ids"]["ins_gem"]},
        headers=w["h"]["tl_gem"],
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "teamlead_id"

    signal = {"source": "resident", "description": "Melding van een bewoner.", "subject": SUBJECT}
    assert (
        await client.post("/api/v1/signals", json=signal, headers=w["h"]["ins_gem"])
    ).status_code == 403

    # a team lead of an agency that is not on the case cannot plan or reassign: 404
    nvwa_lead = await add_user(db, "tl-nvwa", "nvwa", ["teamlead"])
    nvwa_headers = (await login(client, "tl-nvwa"))["headers"]
    plan = {
        "date": "2026-05-04",
        "checklists": [{"agency": "nvwa", "template": "nvwa-hygiene-tabak@1"}],
        "inspectors": [w["ids"]["ins_nvwa"]],
    }
    resp = await client.post(
        f"/api/v1/cases/{case['id']}/inspections", json=plan, headers=nvwa_headers
    )
    assert resp.status_code == 404
    resp = await client.put(
        f"/api/v1/cases/{case['id']}/inspections/{nvwa_lead}/inspectors",
        json={"inspectors": []},
        headers=w["h"]["tl_gem"],
    )
    assert resp.status_code == 404 and resp.json()["type"] == "/problems/inspection-not-found"


async def test_reassign_within_the_case_evicts_only_the_checklist(
    client: Client, db: Database
) -> None:
    w = await _world(client, db)
    case = await _create(client, w["h"]["tl_gem"])
    first = await _plan(client, w, case["id"])
    second = await _plan(client, w, case["id"])  # a second visit, same inspectors
    visit = first["inspections"][0]["id"]
    assert len(second["inspections"]) == 2
    gemeente_checklist = next(
        c["id"]
        for c in first["inspections"][0]["checklists"]
        if c["agency_id"] == "gemeente-groningen"
    )
    resp = await client.put(
        f"/api/v1/cases/{case['id']}/inspections/{visit}/inspectors",
        json={"inspectors": [w["ids"]["ins_pol"]]},
        headers=w["h"]["tl_gem"],
    )
    assert resp.status_code == 200, resp.text
    evictions = await db.read(
        lambda c: [
            (r[0], r[1])
            for r in c.execute(
                "SELECT entity_id, checklist_id FROM changes WHERE kind = 'evict' AND user_id = ?",
                (w["ids"]["ins_gem"],),
            )
        ]
    )
    # still on the case through the second visit: only the first visit's checklist goes
    assert evictions == [(gemeente_checklist, gemeente_checklist)]
    still = await client.get(f"/api/v1/cases/{case['id']}", headers=w["h"]["ins_gem"])
    assert still.status_code == 200
