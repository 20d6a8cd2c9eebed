"""Pull's protocol additions for the field app: checklist progress computed on the server
(once per push per checklist) and agency records with display names."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.sync.progress import checklist_progress, progress_json
from server.sync.protocol import AgencyData, ChecklistProgress
from tests.support import login
from tests.sync_support import add_note, pull_all, push, seed_world, set_answer

KNOWN_V1_KINDS = {
    "template",
    "case",
    "inspection",
    "checklist",
    "answer",
    "note",
    "photo",
    "conflict",
    "comment",
    "release",
    "evict",
}


def _latest(records: list[dict[str, Any]], kind: str, entity_id: str) -> dict[str, Any]:
    found = [r for r in records if r["kind"] == kind and r["id"] == entity_id]
    assert found, f"no {kind} {entity_id}"
    return found[-1]


async def test_checklist_progress_is_refreshed_once_per_push_and_seen_by_other_agencies(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    gem = world.checklists["gemeente-groningen"]
    anna = await login(client, "anna")
    bert = await login(client, "bert")

    records, cursor = await pull_all(client, bert)
    fresh = _latest(records, "checklist", gem)["data"]["progress"]
    # Nine items, none required, nothing answered yet: computed even before any push.
    assert fresh == {"answered": 0, "visible": 9, "required": 0, "missing": 0}

    before = await db.read(
        lambda c: c.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
    )
    photo = {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": 4,
        "client_time": now_iso(),
        "photo_id": uuid7(),
        "checklist_id": gem,
        "item_key": "foto",
        "sha256": "b" * 64,
        "size": 10,
        "mime": "image/jpeg",
    }
    ops = [
        set_answer(1, gem, "open", "yes"),
        set_answer(2, gem, "aantal", 3),
        set_answer(3, gem, "opmerking", "   "),  # blank text is not an answer
        photo,
    ]
    body = (await push(client, anna, ops)).json()
    assert {r["status"] for r in body["results"]} == {"applied"}
    checklist_changes = await db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM changes WHERE kind = 'checklist' AND entity_id = ? AND seq > ?",
            (gem, before),
        ).fetchone()[0]
    )
    assert checklist_changes == 1, "one refresh per push and checklist, not one per answer"

    # Another agency's inspector sees the real progress, not the answers.
    records, cursor = await pull_all(client, bert, cursor)
    progress = _latest(records, "checklist", gem)["data"]["progress"]
    assert progress == {"answered": 3, "visible": 9, "required": 0, "missing": 0}
    msgspec.convert(progress, ChecklistProgress)
    assert not [r for r in records if r["kind"] == "answer" and r["data"]["checklist_id"] == gem]

    # A push that changes nothing about progress gives the checklist no new revision.
    body = (await push(client, anna, [set_answer(5, gem, "open", "no")])).json()
    assert body["results"][0]["status"] == "applied"
    records, _ = await pull_all(client, bert, cursor)
    assert [r for r in records if r["kind"] == "checklist"] == []


async def test_progress_kept_in_memory_equals_progress_read_from_the_database(
    client: AsyncTestClient[Any], db: Database
) -> None:
    """A push of answers and notes computes the progress from what it holds (every answer of
    the checklist, its photo counts); after every push the stored progress is what reading
    the database gives, and only pushes with other ops read the checklist again."""
    world = await seed_world(db)
    gem = world.checklists["gemeente-groningen"]
    anna = await login(client, "anna")
    photo_id = uuid7()
    photo = {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": now_iso(),
        "photo_id": photo_id,
        "checklist_id": gem,
        "item_key": "foto",
        "sha256": "d" * 64,
        "size": 10,
        "mime": "image/jpeg",
    }
    withdraw = {
        "op": "withdraw_photo",
        "op_id": uuid7(),
        "seq": 9,
        "client_time": now_iso(),
        "photo_id": photo_id,
        "reason": "Verkeerde foto",
    }
    pushes: list[tuple[list[dict[str, Any]], bool]] = [
        ([photo, set_answer(2, gem, "open", "yes")], True),
        (
            [
                set_answer(3, gem, "opmerking", "   "),  # blank: not answered
                set_answer(4, gem, "gebreken", []),  # empty: not answered
                set_answer(5, gem, "aantal", 5),
                add_note(6, gem, "Binnen"),
            ],
            False,
        ),
        ([set_answer(7, gem, "aantal", None), set_answer(8, gem, "gebreken", ["gas"])], False),
        ([withdraw, set_answer(10, gem, "opmerking", "Deur dicht")], True),
        ([add_note(11, gem, "Alleen een notitie")], False),
        ([set_answer(12, gem, "soort", "winkel"), set_answer(13, gem, "soort", None)], False),
    ]
    statements: list[str] = []

    def trace(conn: Any) -> None:
        conn.set_trace_callback(statements.append)

    def untrace(conn: Any) -> None:
        conn.set_trace_callback(None)

    answered = []
    for ops, reread in pushes:
        statements.clear()
        await db.write(trace)
        try:
            body = (await push(client, anna, ops)).json()
        finally:
            await db.write(untrace)
        assert {r["status"] for r in body["results"]} == {"applied"}, body
        read = [s for s in statements if "count(*) FROM photos WHERE checklist_id IN" in s]
        assert bool(read) is reread, (ops, read)

        def check(conn: Any) -> tuple[str | None, str]:
            stored = conn.execute("SELECT progress FROM checklists WHERE id = ?", (gem,))
            found = checklist_progress(conn, gem)
            assert found is not None
            return stored.fetchone()[0], progress_json(found)

        stored, computed = await db.read(check)
        assert stored == computed
        answered.append(msgspec.json.decode(stored or "null")["answered"])
    # foto + open; + aantal; - aantal + gebreken; - foto + opmerking; same; soort set and cleared
    assert answered == [2, 3, 3, 3, 3, 3]


async def test_agency_records_name_every_agency_on_the_readers_cases(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await seed_world(db)
    anna = await login(client, "anna")
    for limit in (500, 1):
        records, _ = await pull_all(client, anna, limit=limit)
        agencies = {r["id"]: r["data"] for r in records if r["kind"] == "agency"}
        assert agencies == {
            "gemeente-groningen": {
                "id": "gemeente-groningen",
                "name": "Gemeente Groningen",
                "kind": "gemeente",
            },
            "politie": {"id": "politie", "name": "Politie Noord-Nederland", "kind": "politie"},
        }
        for data in agencies.values():
            msgspec.convert(data, AgencyData)
        case_at = next(i for i, r in enumerate(records) if r["kind"] == "case")
        assert {r["id"] for r in records[:case_at] if r["kind"] == "agency"} == set(agencies)
        # Agencies that are on no case of this reader are never sent.
        assert "nvwa" not in agencies


async def test_a_client_that_ignores_unknown_kinds_keeps_working(
    client: AsyncTestClient[Any], db: Database
) -> None:
    """An app written before `agency` and `progress` existed: it skips unknown kinds and
    unknown fields, and still rebuilds the same state it always did."""
    world = await seed_world(db)
    gem = world.checklists["gemeente-groningen"]
    anna = await login(client, "anna")
    await push(client, anna, [set_answer(1, gem, "open", "yes")])

    class OldChecklist(msgspec.Struct):
        id: str
        inspection_id: str
        agency_id: str
        status: str
        template: str

    records, _ = await pull_all(client, anna, limit=3)
    assert {"agency"} <= {r["kind"] for r in records} - KNOWN_V1_KINDS
    state: dict[tuple[str, str], Any] = {}
    for r in records:
        if r["kind"] not in KNOWN_V1_KINDS:
            continue  # what an old app does with a kind it does not know
        if r["kind"] == "checklist":
            state[("checklist", r["id"])] = msgspec.convert(r["data"], OldChecklist)
        else:
            state[(r["kind"], r["id"])] = r["data"]
    assert state[("checklist", gem)].status == "open"
    assert state[("answer", f"{gem}/open")]["value"] == "yes"
    assert ("case", world.case_id) in state
