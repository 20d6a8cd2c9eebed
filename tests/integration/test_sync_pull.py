"""Pull over real HTTP: projection filtering, grants, releases, evictions, cursors, audit."""

from __future__ import annotations

import base64
import json
from typing import Any

from litestar.testing import AsyncTestClient

from server.cases.repository import set_case_status
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import login
from tests.sync_support import World, add_note, pull_all, push, seed_world, set_answer


def _keys(records: list[dict[str, Any]], kind: str) -> set[str]:
    return {r["id"] for r in records if r["kind"] == kind}


async def _fill(client: AsyncTestClient[Any], world: World) -> tuple[Any, Any]:
    anna = await login(client, "anna")
    bert = await login(client, "bert")
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    photo = {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": 5,
        "client_time": now_iso(),
        "photo_id": uuid7(),
        "checklist_id": gem,
        "item_key": "foto",
        "sha256": "a" * 64,
        "size": 1234,
        "mime": "image/jpeg",
    }
    body = (
        await push(
            client,
            anna,
            [
                set_answer(1, gem, "open", "yes"),
                set_answer(2, gem, "opmerking", "privé"),
                set_answer(3, gem, "geheim", "vertrouwelijk"),
                add_note(4, gem, "notitie", "open"),
                photo,
            ],
        )
    ).json()
    assert {r["status"] for r in body["results"]} == {"applied"}
    assert body["missing_blobs"] == ["a" * 64]
    body = (
        await push(
            client,
            bert,
            [
                set_answer(1, pol, "open", "no"),
                set_answer(2, pol, "geheim", "politie-info"),
                set_answer(3, pol, "aantal", 12),
            ],
        )
    ).json()
    assert {r["status"] for r in body["results"]} == {"applied"}
    return anna, bert


async def test_newly_assigned_inspector_first_pull_gets_whole_case(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    await _fill(client, world)
    otto = await login(client, "otto")
    before, _ = await pull_all(client, otto)
    assert {r["kind"] for r in before} == {"template"}

    def assign(conn: Any) -> None:
        conn.execute(
            "INSERT INTO inspection_inspectors VALUES (?, ?)",
            (world.inspection_id, world.users["otto"]),
        )
        record_change(
            conn, "grant", world.case_id, case_id=world.case_id, user_id=world.users["otto"]
        )

    await db.write(assign)
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    for limit in (500, 2):
        records, _ = await pull_all(client, otto, limit=limit)
        assert _keys(records, "case") == {world.case_id}
        assert _keys(records, "inspection") == {world.inspection_id}
        assert _keys(records, "checklist") == {gem, pol}
        assert _keys(records, "answer") == {f"{gem}/open", f"{gem}/opmerking", f"{gem}/geheim"}
        assert len(_keys(records, "note")) == 1
        assert len(_keys(records, "photo")) == 1
        assert not any(
            r["data"].get("checklist_id") == pol
            for r in records
            if r["kind"] in ("answer", "note", "photo")
        )


async def test_other_agency_sees_items_only_once_released(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna, _bert = await _fill(client, world)
    pol = world.checklists["politie"]
    records, cursor = await pull_all(client, anna)
    assert not [r for r in records if r["kind"] == "answer" and r["data"]["checklist_id"] == pol]
    assert pol in _keys(records, "checklist")
    piet = await login(client, "piet")
    refused = await client.post(
        f"/api/v1/checklists/{pol}/releases",
        json={"item_keys": ["open", "geheim"], "basis": "Bibob"},
        headers=piet["headers"],
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "item_keys"
    wrong = await client.post(
        f"/api/v1/checklists/{pol}/releases",
        json={"item_keys": ["open"], "basis": "Bibob"},
        headers=anna["headers"],
    )
    assert wrong.status_code == 403
    otto = await login(client, "otto")
    hidden = await client.post(
        f"/api/v1/checklists/{pol}/releases",
        json={"item_keys": ["open"], "basis": "Bibob"},
        headers=otto["headers"],
    )
    assert hidden.status_code == 404
    ok = await client.post(
        f"/api/v1/checklists/{pol}/releases",
        json={"item_keys": ["open", "aantal"], "basis": "Gezamenlijke aanpak"},
        headers=piet["headers"],
    )
    assert ok.status_code == 201, ok.text
    after, _ = await pull_all(client, anna, cursor)
    assert _keys(after, "answer") == {f"{pol}/open", f"{pol}/aantal"}
    assert len(_keys(after, "release")) == 1
    fresh, _ = await pull_all(client, anna)
    pol_answers = {r["id"] for r in fresh if r["kind"] == "answer" and pol in r["id"]}
    assert pol_answers == {f"{pol}/open", f"{pol}/aantal"}
    ops = await db.read(
        lambda c: c.execute("SELECT count(*) FROM ops WHERE kind = 'release_items'").fetchone()[0]
    )
    assert ops == 1


async def test_evict_record_when_access_withdrawn(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna, _ = await _fill(client, world)
    _, cursor = await pull_all(client, anna)

    def withdraw(conn: Any) -> None:
        conn.execute("DELETE FROM inspection_inspectors WHERE user_id = ?", (world.users["anna"],))
        record_change(
            conn, "evict", world.case_id, case_id=world.case_id, user_id=world.users["anna"]
        )

    await db.write(withdraw)
    await push(
        client,
        await login(client, "bert"),
        [set_answer(1, world.checklists["politie"], "tijd", "11:00")],
    )
    records, _ = await pull_all(client, anna, cursor)
    assert [(r["kind"], r["id"], r["data"]["reason"]) for r in records] == [
        ("evict", world.case_id, "access-withdrawn")
    ]
    late = (
        await push(
            client, anna, [set_answer(6, world.checklists["gemeente-groningen"], "tijd", "12:00")]
        )
    ).json()
    assert late["results"][0]["status"] == "rejected"


async def test_closing_a_case_evicts_it_from_every_phone(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna, bert = await _fill(client, world)
    _, anna_cursor = await pull_all(client, anna)
    _, bert_cursor = await pull_all(client, bert)
    await db.write(lambda c: set_case_status(c, world.case_id, "closed"))

    for session, cursor in ((anna, anna_cursor), (bert, bert_cursor)):
        records, _ = await pull_all(client, session, cursor)
        assert [(r["kind"], r["id"], r["data"]["scope"], r["data"]["reason"]) for r in records] == [
            ("evict", world.case_id, "case", "case-closed")
        ]
    late = (
        await push(
            client, anna, [set_answer(6, world.checklists["gemeente-groningen"], "tijd", "12:00")]
        )
    ).json()
    assert late["results"][0]["status"] == "rejected"
    assert late["results"][0]["problem"]["type"] == "/problems/case-closed"
    # A phone that starts from empty never receives the closed case.
    fresh = await login(client, "anna")
    records, _ = await pull_all(client, fresh)
    assert {r["kind"] for r in records} <= {"template", "evict"}
    assert not [r for r in records if r["kind"] != "template" and r["id"] != world.case_id]
    # Online, the case stays readable for those on it.
    view = await client.get(f"/api/v1/cases/{world.case_id}", headers=anna["headers"])
    assert view.status_code == 200
    assert view.json()["status"] == "closed"


async def test_cursor_that_cannot_be_honoured_is_410(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await seed_world(db)
    anna = await login(client, "anna")
    _, cursor = await pull_all(client, anna)
    garbage = await client.get(
        "/api/v1/sync/pull", params={"cursor": "not-a-cursor!"}, headers=anna["headers"]
    )
    assert garbage.status_code == 410
    assert garbage.headers["content-type"].startswith("application/problem+json")
    for big in (2**63, 2**64, 10**30):
        for numbers in ([1, 1, big], [1, big, 0], [big, 1, 0], [1, 1, 0, [big, "c", None, 0]]):
            tampered = base64.urlsafe_b64encode(json.dumps(numbers).encode()).decode()
            resp = await client.get(
                "/api/v1/sync/pull", params={"cursor": tampered}, headers=anna["headers"]
            )
            assert resp.status_code == 410, (numbers, resp.text)
            assert resp.json()["type"] == "/problems/cursor-invalid"
    await db.write(lambda c: c.execute("UPDATE meta SET value = '2' WHERE key = 'epoch'"))
    old = await client.get("/api/v1/sync/pull", params={"cursor": cursor}, headers=anna["headers"])
    assert old.status_code == 410
    fresh = await client.get("/api/v1/sync/pull", headers=anna["headers"])
    assert fresh.json()["epoch"] == 2
    bad_limit = await client.get(
        "/api/v1/sync/pull", params={"limit": 5000}, headers=anna["headers"]
    )
    assert bad_limit.status_code == 400


async def test_create_case_from_the_field(client: AsyncTestClient[Any], db: Database) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    case_id, inspection_id, checklist_id = uuid7(), uuid7(), uuid7()
    create = {
        "op": "create_case",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": now_iso(),
        "case_id": case_id,
        "inspection_id": inspection_id,
        "checklist_id": checklist_id,
        "template": "sync-test@1",
        "subject": {
            "address": {"postcode": "9711 ab", "huisnummer": 12},
            "business": {"name": "Nieuwe zaak", "kvk": "12345678"},
        },
        "reason": {
            "category": "eigen-waarneming",
            "explanation": "Ter plaatse aangetroffen tijdens een andere controle.",
        },
    }
    bad = {
        **create,
        "op_id": uuid7(),
        "seq": 3,
        "case_id": uuid7(),
        "inspection_id": uuid7(),
        "checklist_id": uuid7(),
        "subject": {"address": {"postcode": "0000 XX", "huisnummer": 1}},
    }
    body = (
        await push(client, anna, [create, set_answer(2, checklist_id, "open", "yes"), bad])
    ).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "rejected"]
    assert body["results"][2]["problem"]["errors"][0]["field"] == "subject.address.postcode"
    row = await db.read(
        lambda c: c.execute(
            "SELECT reference, possible_duplicates, postcode FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
    )
    assert row[0].startswith("RIT-") and row[0].endswith("-0001")
    assert world.case_id in row[1]
    assert row[2] == "9711AB"
    records, _ = await pull_all(client, anna)
    assert case_id in _keys(records, "case")
    assert checklist_id in _keys(records, "checklist")
    assert f"{checklist_id}/open" in _keys(records, "answer")
    mine = next(r for r in records if r["kind"] == "case" and r["id"] == case_id)
    # anna is on the older case at the same address, so she may learn of it
    assert mine["data"]["possible_duplicates"] == [world.case_id]


async def test_conflict_listed_resolved_and_delivered(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    phone, tablet = await login(client, "anna"), await login(client, "anna")
    gem = world.checklists["gemeente-groningen"]
    await push(client, phone, [set_answer(1, gem, "soort", "horeca")])
    conflict = (await push(client, tablet, [set_answer(1, gem, "soort", "winkel")])).json()
    conflict_id = conflict["results"][0]["conflict_id"]
    tara, piet = await login(client, "tara"), await login(client, "piet")
    listed = await client.get(
        "/api/v1/conflicts",
        params={"case_id": world.case_id, "status": "open"},
        headers=tara["headers"],
    )
    assert [c["id"] for c in listed.json()["conflicts"]] == [conflict_id]
    other = await client.get("/api/v1/conflicts", headers=piet["headers"])
    assert other.json()["conflicts"] == []
    assert (await client.get("/api/v1/conflicts", headers=phone["headers"])).status_code == 403
    denied = await client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"candidate": 0, "reason": "x"},
        headers=piet["headers"],
    )
    assert denied.status_code == 403
    both = await client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"candidate": 0, "value": "winkel", "reason": "x"},
        headers=tara["headers"],
    )
    assert both.status_code == 422
    resolved = await client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"candidate": 0, "reason": "Foto toont horeca"},
        headers=tara["headers"],
    )
    assert resolved.status_code == 200, resolved.text
    again = await client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"value": "winkel", "reason": "nogmaals"},
        headers=tara["headers"],
    )
    assert again.status_code == 409
    records, _ = await pull_all(client, phone)
    answer = next(r for r in records if r["id"] == f"{gem}/soort")
    assert answer["data"]["value"] == "horeca"
    state = next(r for r in records if r["kind"] == "conflict")
    assert state["data"]["status"] == "resolved"
    bert_records, _ = await pull_all(client, await login(client, "bert"))
    assert not _keys(bert_records, "conflict")
    audit = await db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM audit_events WHERE action = 'conflict.resolve'"
        ).fetchone()[0]
    )
    assert audit == 1


async def test_comment_returns_to_officer(client: AsyncTestClient[Any], db: Database) -> None:
    world = await seed_world(db)
    anna, bert, tara = [await login(client, u) for u in ("anna", "bert", "tara")]
    gem = world.checklists["gemeente-groningen"]
    resp = await client.post(
        f"/api/v1/checklists/{gem}/comments",
        json={"text": "Foto van de gevel ontbreekt", "item_key": "foto"},
        headers=tara["headers"],
    )
    assert resp.status_code == 201, resp.text
    bad = await client.post(
        f"/api/v1/checklists/{gem}/comments",
        json={"text": "x", "item_key": "bestaat-niet"},
        headers=tara["headers"],
    )
    assert bad.status_code == 422
    by_inspector = await client.post(
        f"/api/v1/checklists/{gem}/comments", json={"text": "x"}, headers=anna["headers"]
    )
    assert by_inspector.status_code == 403
    mine, _ = await pull_all(client, anna)
    assert [r["data"]["text"] for r in mine if r["kind"] == "comment"] == [
        "Foto van de gevel ontbreekt"
    ]
    theirs, _ = await pull_all(client, bert)
    assert not _keys(theirs, "comment")


async def test_push_and_pull_are_audited(client: AsyncTestClient[Any], db: Database) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    await push(client, anna, [set_answer(1, world.checklists["gemeente-groningen"], "open", "na")])
    await pull_all(client, anna)
    rows = await db.read(
        lambda c: c.execute(
            "SELECT action, device_id, detail FROM audit_events"
            " WHERE action LIKE 'sync.%' ORDER BY id"
        ).fetchall()
    )
    assert [r[0] for r in rows] == ["sync.push", "sync.pull"]
    assert all(r[1] == anna["device_id"] for r in rows)
    assert '"applied":1' in rows[0][2]


async def test_pull_audit_counts_each_kind_in_page_order(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    checklist = world.checklists["gemeente-groningen"]
    ops = [
        set_answer(1, checklist, "open", "na"),
        add_note(2, checklist, "eerste", "open"),
        add_note(3, checklist, "tweede"),
    ]
    assert (await push(client, anna, ops)).status_code == 200
    resp = await client.get("/api/v1/sync/pull", params={"limit": 1000}, headers=anna["headers"])
    assert resp.status_code == 200
    page = resp.json()
    expected: dict[str, int] = {}
    for record in page["changes"]:
        expected[record["kind"]] = expected.get(record["kind"], 0) + 1
    assert not page["has_more"]
    assert {"template", "case", "checklist", "answer", "note"} <= set(expected)
    assert expected["note"] == 2
    detail = await db.read(
        lambda c: c.execute(
            "SELECT detail FROM audit_events WHERE action = 'sync.pull' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    )
    assert json.loads(detail) == {
        "records": len(page["changes"]),
        "kinds": expected,
        "has_more": False,
    }
    assert list(json.loads(detail)["kinds"]) == list(expected)  # first occurrence order
