"""Planning, Rapport and the bewijspakket through the workspace."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.support import insert_user
from tests.sync_support import push, quick_session, seed_world, set_answer
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


async def test_plan_assign_own_inspectors_and_hand_over(client: Client, db: Database) -> None:
    world = await seed_world(db)
    base = f"/regie/zaken/{world.case_id}/planning"
    tara = await _as(client, "tara")
    page = await client.get(base)
    assert page.status_code == 200 and "Controle plannen" in page.text
    bad_date = await _post(
        client,
        base,
        tara,
        {
            "date": "2026-02-30",
            "agencies": "gemeente-groningen",
            "template-gemeente-groningen": "sync-test@1",
        },
    )
    assert bad_date.status_code == 422 and "ongeldig" in bad_date.text
    assert 'value="2026-02-30"' in bad_date.text
    no_template = await _post(
        client, base, tara, {"date": "2026-06-01", "agencies": "gemeente-groningen"}
    )
    assert no_template.status_code == 422 and "Kies een checklist" in no_template.text
    ok = await _post(
        client,
        base,
        tara,
        {
            "date": "2026-06-01",
            "time": "09:30",
            "agencies": "gemeente-groningen",
            "template-gemeente-groningen": "sync-test@1",
            "inspectors": world.users["otto"],
        },
    )
    assert ok.status_code == 303
    count = await db.read(lambda c: c.execute("SELECT COUNT(*) FROM inspections").fetchone()[0])
    assert count == 2

    # Each agency's team lead assigns only its own inspectors; the others' stay.
    assign = f"{base}/{world.inspection_id}/inspecteurs"
    foreign = await _post(client, assign, tara, {"inspectors": world.users["bert"]})
    assert foreign.status_code == 403
    mine = await _post(client, assign, tara, {"inspectors": world.users["otto"]})
    assert mine.status_code == 303
    rows = await db.read(
        lambda c: c.execute(
            "SELECT user_id FROM inspection_inspectors WHERE inspection_id = ?",
            (world.inspection_id,),
        ).fetchall()
    )
    assert {r[0] for r in rows} == {world.users["otto"], world.users["bert"]}  # anna removed

    nobody = await _post(client, f"{base}/overdragen", tara, {"teamlead_id": ""})
    assert nobody.status_code in (400, 422)
    inspector = await _post(
        client, f"{base}/overdragen", tara, {"teamlead_id": world.users["anna"]}
    )
    assert inspector.status_code == 422 and "rol teamleider" in inspector.text
    handed = await _post(
        client, f"{base}/overdragen", tara, {"teamlead_id": world.users["piet"], "reason": "Verlof"}
    )
    assert handed.status_code == 303
    again = await _post(client, f"{base}/overdragen", tara, {"teamlead_id": world.users["tara"]})
    assert again.status_code == 403


async def test_report_and_evidence_package(client: Client, db: Database) -> None:
    world = await seed_world(db)
    await db.write(lambda c: insert_user(c, "nadia", "nvwa", ["teamlead"]))
    anna = await quick_session(db, world.users["anna"])
    gem = world.checklists["gemeente-groningen"]
    await push(client, anna, [set_answer(1, gem, "opmerking", "SENTINEL-PRIVE")])
    tara = await _as(client, "tara")
    report = await client.get(f"/regie/zaken/{world.case_id}/rapport")
    assert report.status_code == 200 and "SENTINEL-PRIVE" in report.text
    assert 'media="print"' in report.text
    built = await _post(client, f"/regie/zaken/{world.case_id}/bewijspakket", tara, {})
    assert built.status_code == 200
    digest = await db.read(
        lambda c: c.execute(
            "SELECT json_extract(detail, '$.manifest_sha256') FROM audit_events"
            " WHERE action = 'evidence.package'"
        ).fetchone()[0]
    )
    assert digest in built.text
    link = built.text.split('href="/regie/zaken/')[-1].split('"')[0]
    url = "/regie/zaken/" + link
    assert "/bewijspakket/" in url
    zipped = await client.get(url)
    assert zipped.status_code == 200
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert (await client.get(url, headers={"Accept": "text/html"})).status_code == 404  # once

    piet = await _as(client, "piet")
    other = await client.get(f"/regie/zaken/{world.case_id}/rapport")
    assert other.status_code == 200 and "SENTINEL-PRIVE" not in other.text
    built_p = await _post(client, f"/regie/zaken/{world.case_id}/bewijspakket", piet, {})
    assert built_p.status_code == 200  # the police's own (empty) package, never gemeente's

    await _as(client, "nadia")  # not on the case
    assert (await client.get(f"/regie/zaken/{world.case_id}/rapport")).status_code == 404
