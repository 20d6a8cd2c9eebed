"""The Dossier page: the projection decides what each team lead sees; query counts stay flat."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.cases.visibility import Reader
from server.db import Database
from server.db.database import open_sync
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.workspace.casefile_model import load_case_file
from tests.sync_support import (
    add_note,
    insert_case,
    push,
    quick_session,
    seed_world,
    set_answer,
)
from tests.workspace_support import ws_login

Client = AsyncTestClient[Litestar]


async def _filled(client: Client, db: Database) -> Any:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    gem = world.checklists["gemeente-groningen"]
    resp = await push(
        client,
        anna,
        [
            set_answer(1, gem, "open", "no"),
            set_answer(2, gem, "soort", "horeca"),
            set_answer(3, gem, "geheim", "SENTINEL-RESTRICTED"),
            add_note(4, gem, "SENTINEL-NOTE", item_key="opmerking"),
        ],
    )
    assert resp.status_code == 200
    return world


async def test_dossier_page_for_own_and_other_agency(client: Client, db: Database) -> None:
    world = await _filled(client, db)
    assert (await ws_login(client, "tara")).status_code == 303
    own = await client.get(f"/regie/zaken/{world.case_id}")
    assert own.status_code == 200, own.text
    html = own.text
    assert "Dossier RIT-TEST-" in html and "Alle typen" in html
    assert "Horeca" in html and "SENTINEL-RESTRICTED" in html and "SENTINEL-NOTE" in html
    assert html.index("Open?") < html.index("Soort") < html.index("Politie-info")  # template order
    assert "Tijdlijn" in html and "Antwoord vastgelegd" in html
    timeline = html[html.index('id="tijdlijn"') :]
    assert 'Soort: <span class="regie-value">Horeca</span>' in timeline  # option label

    client.cookies.clear()
    assert (await ws_login(client, "piet")).status_code == 303
    other = await client.get(f"/regie/zaken/{world.case_id}")
    assert other.status_code == 200
    for hidden in ("SENTINEL-RESTRICTED", "SENTINEL-NOTE", "Horeca"):
        assert hidden not in other.text
    assert "voortgang en wat zij heeft vrijgegeven" in other.text

    client.cookies.clear()
    assert (await ws_login(client, "otto")).status_code == 303  # inspector: the field app
    assert (
        await client.get(f"/regie/zaken/{world.case_id}", follow_redirects=False)
    ).status_code in (
        302,
        303,
    )


async def test_dossier_of_a_case_not_on_is_404(client: Client, db: Database) -> None:
    await _filled(client, db)
    assert (await ws_login(client, "tara")).status_code == 303
    resp = await client.get(f"/regie/zaken/{uuid7()}", headers={"Accept": "text/html"})
    assert resp.status_code == 404
    assert "bestaat niet" in resp.text


async def test_case_file_queries_do_not_grow_with_photos_inspections_or_cases(
    client: Client, db: Database
) -> None:
    world = await _filled(client, db)
    gem = world.checklists["gemeente-groningen"]
    tara = Reader("user", "gemeente-groningen", world.users["tara"], frozenset({"teamlead"}))

    def add_photos(n: int) -> Any:
        def fn(conn: sqlite3.Connection) -> None:
            for i in range(n):
                photo_id = uuid7()
                rev = record_change(
                    conn, "photo", photo_id, case_id=world.case_id, checklist_id=gem
                )
                conn.execute(
                    "INSERT INTO photos (id, checklist_id, agency_id, item_key, sha256, size,"
                    " mime, captured_at, geo, state, author_id, op_id, created_at, rev)"
                    " VALUES (?, ?, 'gemeente-groningen', ?, ?, 1000, 'image/jpeg', ?,"
                    " '{\"lat\": 53.2, \"lon\": 6.5}', 'verified', ?, ?, ?, ?)",
                    (
                        photo_id,
                        gem,
                        "foto" if i % 2 else None,
                        f"{i:064x}",
                        now_iso(),
                        world.users["anna"],
                        uuid7(),
                        now_iso(),
                        rev,
                    ),
                )
            for _ in range(n // 5):  # more visits on this case, and more cases
                ins = uuid7()
                conn.execute(
                    "INSERT INTO inspections (id, case_id, scheduled_date, created_by,"
                    " created_at, rev) VALUES (?, ?, '2026-06-01', ?, ?, 1)",
                    (ins, world.case_id, world.users["tara"], now_iso()),
                )
                conn.execute(
                    "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
                    (ins, world.users["anna"]),
                )
                conn.execute(
                    "INSERT INTO checklists (id, inspection_id, case_id, agency_id,"
                    " template_slug, template_version, created_at, rev)"
                    " VALUES (?, ?, ?, 'gemeente-groningen', 'sync-test', 1, ?, 1)",
                    (uuid7(), ins, world.case_id, now_iso()),
                )
                insert_case(
                    conn,
                    agencies=["gemeente-groningen"],
                    inspectors=[world.users["anna"]],
                    creator=world.users["tara"],
                    teamlead_id=world.users["tara"],
                )

        return fn

    def count() -> int:
        conn = open_sync(db.path)
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            assert load_case_file(conn, tara, world.case_id) is not None
        finally:
            conn.close()
        return len(statements)

    await db.write(add_photos(5))
    small = count()
    await db.write(add_photos(45))
    assert count() == small
