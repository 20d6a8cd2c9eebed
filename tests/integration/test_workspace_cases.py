"""Zaken: filters, keyset paging with the most recently changed case first, CSV export
(BOM, ``;``, formula injection), and ``changed_since`` on the REST list."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.db.feed import record_change
from server.workspace.caselist import csv_cell
from tests.sync_support import insert_case, quick_session, seed_world
from tests.workspace_support import ws_login


async def _cases(db: Database, users: dict[str, str], n: int) -> list[str]:
    def fn(conn: sqlite3.Connection) -> list[str]:
        return [
            insert_case(
                conn,
                agencies=["gemeente-groningen"],
                inspectors=[users["anna"]],
                creator=users["tara"],
                teamlead_id=users["tara"],
                reference=f"RIT-2026-{i:04d}",
            ).case_id
            for i in range(n)
        ]

    return await db.write(fn)


def _refs(html: str) -> list[str]:
    return re.findall(r">(RIT-2026-\d{4})</a></th>", html)


async def test_list_pages_last_change_first(
    client: AsyncTestClient[Litestar], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.workspace import caselist

    world = await seed_world(db)
    ids = await _cases(db, world.users, 5)
    # A change inside the oldest case (an answer, say) puts it on top.
    await db.write(lambda c: record_change(c, "answer", ids[0] + "/x", case_id=ids[0]))
    await ws_login(client, "tara")
    monkeypatch.setattr(caselist, "PAGE_SIZE", 2)
    first = await client.get("/regie/zaken")
    assert first.status_code == 200
    assert _refs(first.text) == ["RIT-2026-0000", "RIT-2026-0004"]
    nxt = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert nxt
    second = await client.get(nxt.group(1).replace("&amp;", "&"))
    assert _refs(second.text) == ["RIT-2026-0003", "RIT-2026-0002"]
    nxt = re.search(r'rel="next" href="([^"]+)"', second.text)
    assert nxt
    third = await client.get(nxt.group(1).replace("&amp;", "&"))
    assert "RIT-2026-0001" in _refs(third.text)
    assert 'rel="next"' not in third.text
    tampered = await client.get("/regie/zaken?cursor=nonsense")
    assert tampered.status_code == 422 and "cursor" in tampered.text


async def test_filters_keep_values_and_explain_mistakes(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    await _cases(db, world.users, 2)
    await ws_login(client, "tara")
    found = await client.get("/regie/zaken", params={"q": "RIT-2026-0001", "status": "planned"})
    assert _refs(found.text) == ["RIT-2026-0001"]
    assert 'value="RIT-2026-0001"' in found.text
    by_postcode = await client.get("/regie/zaken", params={"postcode": "9711 ab", "kvk": ""})
    assert len(_refs(by_postcode.text)) == 2
    wrong = await client.get("/regie/zaken", params={"postcode": "97", "city": "Groningen"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text and 'value="97"' in wrong.text
    assert 'value="Groningen"' in wrong.text
    bad_status = await client.get("/regie/zaken", params={"status": "weg"})
    assert bad_status.status_code == 422 and "Kies een status" in bad_status.text
    future = await client.get("/regie/zaken", params={"changed_since": "2999-01-01"})
    assert _refs(future.text) == []
    past = await client.get("/regie/zaken", params={"changed_since": "2000-01-01"})
    assert len(_refs(past.text)) == 2 and "RIT-TEST-" in past.text
    bad_date = await client.get("/regie/zaken", params={"changed_since": "gisteren"})
    assert bad_date.status_code == 422 and "geen geldige datum" in bad_date.text


async def test_other_agency_team_lead_sees_only_their_cases(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    await _cases(db, world.users, 2)  # gemeente only
    await ws_login(client, "piet")  # politie team lead: only seed_world's shared case
    html = (await client.get("/regie/zaken")).text
    assert "RIT-2026-" not in html and "RIT-TEST-" in html
    export = await client.get("/regie/zaken.csv")
    assert "RIT-2026-" not in export.content.decode("utf-8-sig")


async def test_csv_export_for_excel_with_formula_injection_defused(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    await db.write(
        lambda c: c.execute(
            "UPDATE cases SET business_name = '=HYPERLINK(\"http://x\")', city = '+31 stad'"
        )
    )
    await ws_login(client, "tara")
    resp = await client.get("/regie/zaken.csv", params={"status": "planned"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    assert resp.content.startswith(b"\xef\xbb\xbf")
    text = resp.content[3:].decode("utf-8")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Referentie" and rows[0][1] == "Status"
    assert len(rows) == 2
    assert rows[1][2] == '\'=HYPERLINK("http://x")'
    assert rows[1][8] == "'+31 stad"
    assert rows[1][1] == "Gepland"
    audited = await db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'case.export'"
        ).fetchone()[0]
    )
    assert audited == 1
    bad = await client.get(
        "/regie/zaken.csv", params={"kvk": "12"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 422
    del world


def test_csv_cell_prefixes_every_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(start + "1+1") == "'" + start + "1+1"
    assert csv_cell("Bakkerij") == "Bakkerij"
    assert csv_cell(12) == "12"
    assert csv_cell(None) == ""


async def test_rest_list_changed_since(client: AsyncTestClient[Litestar], db: Database) -> None:
    world = await seed_world(db)
    ids = await _cases(db, world.users, 3)
    tara = await quick_session(db, world.users["tara"])
    cut = await db.read(lambda c: c.execute("SELECT MAX(at) FROM changes").fetchone()[0])
    await db.write(lambda c: c.execute("UPDATE changes SET at = '2026-01-01T00:00:00.000Z'"))
    await db.write(lambda c: record_change(c, "answer", ids[1] + "/x", case_id=ids[1]))
    resp = await client.get(
        "/api/v1/cases", params={"changed_since": "2026-06-01"}, headers=tara["headers"]
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [c["id"] for c in body["cases"]] == [ids[1]]
    assert body["cases"][0]["changed_at"] >= cut[:10]
    everything = await client.get(
        "/api/v1/cases",
        params={"changed_since": "2025-12-31T23:00:00+01:00"},
        headers=tara["headers"],
    )
    assert len(everything.json()["cases"]) == 4
    bad = await client.get(
        "/api/v1/cases", params={"changed_since": "31-12-2025"}, headers=tara["headers"]
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "changed_since"
