"""Interventies, Afsluiten and Mogelijke dubbelingen through the workspace's forms."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.sync_support import insert_case, seed_world
from tests.workspace_support import SAME_ORIGIN, csrf_of, ws_login

Client = AsyncTestClient[Litestar]


async def _as(client: Client, username: str) -> str:
    client.cookies.clear()
    assert (await ws_login(client, username)).status_code == 303
    return await csrf_of(client)


async def _post(client: Client, url: str, csrf: str, data: dict[str, Any]) -> Any:
    return await client.post(
        url, data={**data, "_csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=False
    )


async def test_interventions_close_and_phones(client: Client, db: Database) -> None:
    world = await seed_world(db)
    base = f"/regie/zaken/{world.case_id}"
    piet = await _as(client, "piet")
    bad = await _post(
        client,
        f"{base}/interventies",
        piet,
        {"type": "proces-verbaal", "due_date": "2026-13-40", "description": "SENTINEL-PV"},
    )
    assert bad.status_code == 422 and "2026-13-40" in bad.text and "SENTINEL-PV" in bad.text
    bad_again = await _post(
        client,
        f"{base}/interventies",
        piet,
        {"type": "hercontrole", "reinspection_date": "morgen"},
    )
    assert bad_again.status_code == 422 and 'value="morgen"' in bad_again.text
    ok = await _post(
        client,
        f"{base}/interventies",
        piet,
        {
            "type": "proces-verbaal",
            "status": "lopend",
            "description": "SENTINEL-PV",
            "legal_basis": "SENTINEL-BASIS Wet wapens en munitie",
            "reinspection_date": "2026-07-01",
        },
    )
    assert ok.status_code == 303
    listed = await client.get(f"{base}/interventies")
    assert "Proces-verbaal" in listed.text and "SENTINEL-PV" in listed.text
    not_lead = await client.get(f"{base}/afsluiten")  # piet is not the case's team lead
    assert "Alleen de teamleider van dit dossier" in not_lead.text
    refused = await _post(client, f"{base}/afsluiten", piet, {"category": "overig", "text": "x"})
    assert refused.status_code == 403

    tara = await _as(client, "tara")
    other = await client.get(f"{base}/interventies")
    assert "Proces-verbaal" in other.text and "SENTINEL-PV" not in other.text
    assert "01-07-2026" in other.text and "SENTINEL-BASIS" not in other.text
    (intervention_id,) = await db.read(
        lambda c: c.execute("SELECT id FROM interventions").fetchone()
    )
    foreign = await _post(
        client, f"{base}/interventies/{intervention_id}", tara, {"status": "afgerond"}
    )
    assert foreign.status_code == 403

    form = await client.get(f"{base}/afsluiten")
    assert "Proces-verbaal (politie, lopend)" in form.text
    unconfirmed = await _post(
        client, f"{base}/afsluiten", tara, {"category": "overtredingen-afgehandeld", "text": "PV"}
    )
    assert unconfirmed.status_code == 409 and "Bevestig" in unconfirmed.text
    assert 'value="overtredingen-afgehandeld" selected' in unconfirmed.text
    no_text = await _post(client, f"{base}/afsluiten", tara, {"category": "overig", "text": ""})
    assert no_text.status_code == 422
    done = await _post(
        client,
        f"{base}/afsluiten",
        tara,
        {"category": "overtredingen-afgehandeld", "text": "PV opgemaakt", "confirm": "ja"},
    )
    assert done.status_code == 303
    page = await client.get(base)
    assert "Afgesloten" in page.text and "PV opgemaakt" in page.text and "bevestigd" in page.text
    assert "Dossier afsluiten" not in page.text


async def test_link_and_unlink_duplicates(client: Client, db: Database) -> None:
    world = await seed_world(db)

    def second(conn: sqlite3.Connection) -> str:
        case_id = insert_case(
            conn,
            agencies=["gemeente-groningen"],
            inspectors=[world.users["anna"]],
            creator=world.users["anna"],
            reference="RIT-TEST-VELD",
        ).case_id
        conn.execute(
            "UPDATE cases SET possible_duplicates = ? WHERE id = ?",
            (f'["{world.case_id}"]', case_id),
        )
        return case_id

    field_case = await db.write(second)
    csrf = await _as(client, "tara")
    page = await client.get(f"/regie/zaken/{world.case_id}/dubbelingen")
    assert "RIT-TEST-VELD" in page.text and "Testbedrijf" in page.text
    url = f"/regie/zaken/{world.case_id}/dubbelingen"
    linked = await _post(client, url, csrf, {"other": field_case, "direction": "reverse"})
    assert linked.status_code == 303
    main = await client.get(f"/regie/zaken/{world.case_id}")
    field = await client.get(f"/regie/zaken/{field_case}")
    assert "Heeft als dubbel" in main.text and "Dubbel van" in field.text
    twice = await _post(client, url, csrf, {"other": field_case, "direction": "reverse"})
    assert twice.status_code == 409 and "al gekoppeld" in twice.text
    (link_id,) = await db.read(lambda c: c.execute("SELECT id FROM case_links").fetchone())
    undo = await _post(client, f"{url}/{link_id}/ongedaan", csrf, {})
    assert undo.status_code == 303
    assert "Heeft als dubbel" not in (await client.get(f"/regie/zaken/{world.case_id}")).text

    await _as(client, "piet")  # not on the field case: it is never mentioned to him
    assert "RIT-TEST-VELD" not in (await client.get(url)).text
