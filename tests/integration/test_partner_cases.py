"""Partner case list and case summary: through the projection, no person names, audited."""

from __future__ import annotations

import sqlite3

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.cases import repository as repo
from server.db import Database
from tests.partner_support import ROOT, add_client, audit_rows, bearer, put_answer, release
from tests.sync_support import seed_world

Client = AsyncTestClient[Litestar]


async def test_summary_through_the_projection(client: Client, db: Database) -> None:
    world = await seed_world(db)

    def fill(conn: sqlite3.Connection) -> None:
        put_answer(conn, world, "gemeente-groningen", "open", "ja")  # shareable, released
        put_answer(conn, world, "gemeente-groningen", "aantal", 3)  # shareable, not released
        put_answer(conn, world, "gemeente-groningen", "opmerking", "PRIVE-GEMEENTE")  # private
        put_answer(conn, world, "politie", "geheim", "RESTRICTED-POLITIE")
        release(conn, world, "gemeente-groningen", ["open"])
        for agency, text in (("gemeente-groningen", "BESCHRIJVING-GEM"), ("politie", "PV-TEKST")):
            repo.upsert_intervention(
                conn,
                intervention_id=f"iv-{agency}",
                case_id=world.case_id,
                agency_id=agency,
                type="waarschuwing",
                status="open",
                due_date=None,
                description=text,
                created_by=world.users["tara"],
            )

    await db.write(fill)
    politie = await bearer(client, await add_client(db, "politie", ["cases:read"]))
    resp = await client.get(f"{ROOT}/cases/{world.case_id}", headers=politie)
    assert resp.status_code == 200, resp.text
    assert resp.headers["api-version"] == "1.1.0"
    body = resp.json()
    text = resp.text
    for user_id in world.users.values():  # no person (id or name) reaches a partner
        assert user_id not in text
    for name in world.users:
        assert f'"{name}"' not in text
    assert "PRIVE-GEMEENTE" not in text and "BESCHRIJVING-GEM" not in text
    assert body["reference"].startswith("RIT-TEST-") and body["selectionReason"] == "steekproef"
    assert body["subject"]["business"]["kvk"] == "12345678"
    assert {a["id"]: a["name"] for a in body["agencies"]}["politie"] == "Politie Noord-Nederland"
    (visit,) = body["visits"]
    by_agency = {c["agency"]: c for c in visit["checklists"]}
    assert [i["key"] for i in by_agency["politie"]["items"]] == ["geheim"]
    assert by_agency["politie"]["fullAccess"] is True
    assert [i["key"] for i in by_agency["gemeente-groningen"]["items"]] == ["open"]
    assert by_agency["gemeente-groningen"]["progress"]["answered"] == 3  # metadata for all
    descriptions = {i["agency"]: i["description"] for i in body["interventions"]}
    assert descriptions == {"gemeente-groningen": None, "politie": "PV-TEKST"}

    gemeente = await bearer(client, await add_client(db, "gemeente-groningen", ["cases:read"]))
    body = (await client.get(f"{ROOT}/cases/{world.case_id}", headers=gemeente)).json()
    by_agency = {c["agency"]: c for c in body["visits"][0]["checklists"]}
    assert {i["key"] for i in by_agency["gemeente-groningen"]["items"]} == {
        "open",
        "aantal",
        "opmerking",
    }
    assert by_agency["politie"]["items"] == []  # restricted never leaves politie

    nvwa = await bearer(client, await add_client(db, "nvwa", ["cases:read"]))
    missing = await client.get(f"{ROOT}/cases/{world.case_id}", headers=nvwa)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    reads = await audit_rows(db, "partner.case.read")
    assert [(r["agency_id"], r["result"], r["detail"]["records"]) for r in reads] == [
        ("politie", "ok", 1),
        ("gemeente-groningen", "ok", 1),
        ("nvwa", "not-found", 0),
    ]


async def test_case_list_filters_and_paging(client: Client, db: Database) -> None:
    first = await seed_world(db)
    from tests.sync_support import insert_case

    def more(conn: sqlite3.Connection) -> list[str]:
        return [
            insert_case(
                conn,
                agencies=["politie", "nvwa"],
                inspectors=[],
                creator=first.users["tara"],
            ).case_id
            for _ in range(3)
        ]

    others = await db.write(more)
    politie = await bearer(client, await add_client(db, "politie", ["cases:read"]))
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{ROOT}/cases", params=params, headers=politie)).json()
        seen += [c["id"] for c in page["cases"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted([first.case_id, *others])

    async def ids(**params: str) -> list[str]:
        resp = await client.get(f"{ROOT}/cases", params=params, headers=politie)
        assert resp.status_code == 200, resp.text
        return [c["id"] for c in resp.json()["cases"]]

    assert len(await ids(postcode="9711 ab")) == 4
    assert await ids(kvk="87654321") == []
    assert len(await ids(kvk="12345678", status="planned")) == 4
    assert await ids(status="closed") == []
    assert len(await ids(changedSince="2000-01-01T00:00:00Z")) == 4
    assert await ids(changedSince="2999-01-01T00:00:00Z") == []
    for bad in ({"postcode": "97"}, {"kvk": "12"}, {"changedSince": "gisteren"}, {"cursor": "@@"}):
        resp = await client.get(f"{ROOT}/cases", params=bad, headers=politie)
        assert resp.status_code == 400, (bad, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    gemeente = await bearer(client, await add_client(db, "gemeente-groningen", ["cases:read"]))
    page = (await client.get(f"{ROOT}/cases", headers=gemeente)).json()
    assert [c["id"] for c in page["cases"]] == [first.case_id]
    lists = await audit_rows(db, "partner.cases.list")
    assert lists[0]["detail"]["records"] == 2 and lists[0]["actor_type"] == "client"
