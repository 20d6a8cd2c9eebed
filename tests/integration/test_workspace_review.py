"""Terug naar inspecteur, Vrijgeven and Conflicten through the workspace's forms."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
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


def _submit(seq: int, checklist_id: str) -> dict[str, Any]:
    return {
        "op": "submit_checklist",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T10:00:00.000+02:00",
        "checklist_id": checklist_id,
    }


async def test_return_and_comment_forms(client: Client, db: Database) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    gem = world.checklists["gemeente-groningen"]
    url = f"/regie/zaken/{world.case_id}/checklists/{gem}/terug"
    csrf = await _as(client, "tara")
    form = await client.get(url)
    assert form.status_code == 200 and "Opmerking voor de inspecteur" in form.text

    early = await _post(client, url, csrf, {"text": "Te vroeg", "action": "return"})
    assert early.status_code == 409
    assert "nog niet ingediend" in early.text and "Te vroeg" in early.text  # value kept
    empty = await _post(client, url, csrf, {"text": "", "action": "comment", "item_keys": "open"})
    assert empty.status_code == 422 and "Vul dit veld in" in empty.text
    assert 'value="open" checked' in empty.text
    comment = await _post(client, url, csrf, {"text": "Let op", "action": "comment"})
    assert comment.status_code == 303

    await push(client, anna, [set_answer(1, gem, "open", "yes"), _submit(2, gem)])
    done = await _post(
        client, url, csrf, {"text": "Graag opnieuw", "action": "return", "item_keys": "open"}
    )
    assert done.status_code == 303
    row = await db.read(
        lambda c: c.execute("SELECT returned_at FROM checklists WHERE id = ?", (gem,)).fetchone()
    )
    assert row[0] is not None
    dossier = await client.get(f"/regie/zaken/{world.case_id}")
    assert "teruggestuurd" in dossier.text and "Graag opnieuw" in dossier.text

    piet = await _as(client, "piet")  # another agency's team lead
    refused = await _post(client, url, piet, {"text": "x", "action": "comment"})
    assert refused.status_code == 403


async def test_release_form_offers_only_shareable_items(client: Client, db: Database) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    gem = world.checklists["gemeente-groningen"]
    await push(
        client,
        anna,
        [set_answer(1, gem, "open", "no"), set_answer(2, gem, "opmerking", "SENTINEL-PRIVE")],
    )
    url = f"/regie/zaken/{world.case_id}/checklists/{gem}/vrijgeven"
    csrf = await _as(client, "tara")
    form = await client.get(url)
    assert 'value="open"' in form.text and 'value="aantal"' in form.text
    assert 'value="opmerking"' not in form.text and 'value="geheim"' not in form.text
    none = await _post(client, url, csrf, {"basis": "Convenant"})
    assert none.status_code == 422 and "Kies minstens één vraag" in none.text
    sneaky = await _post(client, url, csrf, {"basis": "x", "item_keys": "geheim"})
    assert sneaky.status_code == 422 and "kan niet worden vrijgegeven" in sneaky.text
    no_basis = await _post(client, url, csrf, {"item_keys": "open", "basis": ""})
    assert no_basis.status_code == 422 and 'value="open" checked' in no_basis.text
    ok = await _post(client, url, csrf, {"item_keys": "open", "basis": "Convenant RIEC"})
    assert ok.status_code == 303

    await _as(client, "piet")
    other = await client.get(f"/regie/zaken/{world.case_id}")
    assert "Open?" in other.text and "Nee" in other.text
    assert "SENTINEL-PRIVE" not in other.text


async def test_conflict_resolved_side_by_side(client: Client, db: Database) -> None:
    world = await seed_world(db)
    one = await quick_session(db, world.users["anna"])
    two = await quick_session(db, world.users["anna"])
    await db.write(
        lambda c: c.execute(
            "UPDATE devices SET label = 'Telefoon 2' WHERE id = ?", (two["device_id"],)
        )
    )
    gem = world.checklists["gemeente-groningen"]
    await push(client, one, [set_answer(1, gem, "aantal", 3)])
    resp = await push(client, two, [set_answer(1, gem, "aantal", 5)])
    assert resp.json()["results"][0]["status"] == "conflict"
    csrf = await _as(client, "tara")
    page = await client.get(f"/regie/zaken/{world.case_id}/conflicten")
    assert page.status_code == 200
    assert "Aantal" in page.text and "Telefoon 2" in page.text and "Overschreef" in page.text
    assert 'name="item_type" value="number"' in page.text
    (conflict_id,) = await db.read(lambda c: c.execute("SELECT id FROM conflicts").fetchone())
    url = f"/regie/zaken/{world.case_id}/conflicten/{conflict_id}"
    no_reason = await _post(client, url, csrf, {"choice": "0", "reason": ""})
    assert no_reason.status_code == 422 and "Vul dit veld in" in no_reason.text
    bad_value = await _post(
        client, url, csrf, {"choice": "new", "value": "999", "item_type": "number", "reason": "x"}
    )
    assert bad_value.status_code == 422 and 'value="999"' in bad_value.text  # above max 100
    for crafted in ("\u00b2", "\u0663", "9999", "99999999999999999999999"):
        refused = await _post(client, url, csrf, {"choice": crafted, "reason": "x"})
        assert refused.status_code == 422, (crafted, refused.text)
    ok = await _post(client, url, csrf, {"choice": "0", "reason": "Eerste telling klopt"})
    assert ok.status_code == 303
    row = await db.read(
        lambda c: c.execute(
            "SELECT (SELECT status FROM conflicts), (SELECT value FROM answers"
            " WHERE item_key = 'aantal')"
        ).fetchone()
    )
    assert tuple(row) == ("resolved", "3")

    # A new value for a choice item comes from a list of its options.
    await push(client, one, [set_answer(2, gem, "soort", "horeca")])
    await push(client, two, [set_answer(2, gem, "soort", "winkel")])
    page = await client.get(f"/regie/zaken/{world.case_id}/conflicten")
    assert '<option value="horeca">Horeca</option>' in page.text
    (second,) = await db.read(
        lambda c: c.execute("SELECT id FROM conflicts WHERE status = 'open'").fetchone()
    )
    chosen = await _post(
        client,
        f"/regie/zaken/{world.case_id}/conflicten/{second}",
        csrf,
        {"choice": "new", "value": "horeca", "item_type": "choice", "reason": "Ter plaatse gezien"},
    )
    assert chosen.status_code == 303
    value = await db.read(
        lambda c: c.execute("SELECT value FROM answers WHERE item_key = 'soort'").fetchone()[0]
    )
    assert value == '"horeca"'
