"""The case timeline: every kind of event, in names, through the projection."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.cases.timeline import case_timeline
from server.cases.visibility import Reader
from server.db import Database
from server.lib.ids import uuid7
from tests.sync_support import add_note, push, quick_session, seed_world, set_answer

Client = AsyncTestClient[Litestar]
SUBMIT = {"op": "submit_checklist", "client_time": "2026-05-04T10:00:00.000+02:00"}


def _submit(seq: int, checklist_id: str) -> dict[str, Any]:
    return {**SUBMIT, "op_id": uuid7(), "seq": seq, "checklist_id": checklist_id}


async def test_timeline_shows_everything_in_names_and_hides_what_the_projection_hides(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    u = world.users
    anna = await quick_session(db, u["anna"])
    bert = await quick_session(db, u["bert"])
    tara = await quick_session(db, u["tara"])
    piet = await quick_session(db, u["piet"])
    await db.write(
        lambda c: c.execute(
            "UPDATE devices SET label = 'Telefoon Anna' WHERE id = ?", (anna["device_id"],)
        )
    )
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    await push(
        client,
        anna,
        [
            set_answer(1, gem, "open", "yes"),
            set_answer(2, gem, "geheim", "SENTINEL-GEHEIM"),
            add_note(3, gem, "SENTINEL-NOTITIE", item_key="opmerking"),
            set_answer(4, gem, "soort", "winkel-bestaat-niet"),  # rejected
            _submit(5, gem),
        ],
    )
    await push(client, bert, [_submit(1, pol)])  # the case becomes inspected by itself
    ret = await client.post(
        f"/api/v1/checklists/{gem}/return",
        json={"text": "SENTINEL-RETOUR"},
        headers=tara["headers"],
    )
    assert ret.status_code == 200
    rel = await client.post(
        f"/api/v1/checklists/{gem}/releases",
        json={"item_keys": ["open"], "basis": "Convenant RIEC"},
        headers=tara["headers"],
    )
    assert rel.status_code == 201
    handover = await client.post(
        f"/api/v1/cases/{world.case_id}/handover",
        json={"teamlead_id": u["piet"]},
        headers=tara["headers"],
    )
    assert handover.status_code == 200
    added = await client.post(
        f"/api/v1/cases/{world.case_id}/interventions",
        json={"agency": "politie", "type": "proces-verbaal", "description": "SENTINEL-PV"},
        headers=piet["headers"],
    )
    assert added.status_code == 201

    def reader(name: str, agency: str) -> Reader:
        return Reader("user", agency, u[name], frozenset({"teamlead"}))

    own = await db.read(
        lambda c: case_timeline(c, reader("tara", "gemeente-groningen"), world.case_id)
    )
    other = await db.read(lambda c: case_timeline(c, reader("piet", "politie"), world.case_id))
    assert own is not None and other is not None
    kinds = {e.kind for e in own}
    assert {
        "set_answer",
        "add_note",
        "submit_checklist",
        "return_checklist",
        "release_items",
        "case.status",
        "case.handover",
        "intervention.create",
    } <= kinds
    answer = next(e for e in own if e.kind == "set_answer" and e.item_key == "open")
    assert (answer.actor, answer.device, answer.item_label, answer.value) == (
        "anna",
        "Telefoon Anna",
        "Open?",
        "yes",
    )
    automatic = next(e for e in own if e.kind == "case.status")
    assert automatic.automatic and automatic.actor is None
    assert automatic.detail == {"from": "planned", "to": "inspected", "automatic": True}
    rejected = next(e for e in own if e.status == "rejected")
    assert rejected.item_key is None and rejected.text  # the problem, for the owning agency
    texts = " ".join(str(e.text) + str(e.value) for e in own)
    assert "SENTINEL-GEHEIM" in texts and "SENTINEL-NOTITIE" in texts
    assert "SENTINEL-RETOUR" in texts

    # Another agency's team lead: the released answer, submits, the return without its text.
    dump = repr(other)
    for hidden in ("SENTINEL-GEHEIM", "SENTINEL-NOTITIE", "SENTINEL-RETOUR", "SENTINEL-PV"):
        assert hidden not in dump
    assert not [e for e in other if e.status == "rejected" and e.checklist_agency != "politie"]
    assert {e.item_key for e in other if e.kind == "set_answer"} == {"open"}
    assert any(e.kind == "return_checklist" and e.text is None for e in other)
    assert any(e.kind == "release_items" for e in other)
    assert sum(1 for e in other if e.kind == "submit_checklist") == 2

    outsider = Reader("user", "nvwa", "nobody", frozenset({"teamlead"}))
    assert await db.read(lambda c: case_timeline(c, outsider, world.case_id)) is None
