"""Push authority: the envelope's device is the token's device, op_id reuse, photo secrecy."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from tests.support import add_user, login
from tests.sync_support import envelope, pull_all, push, seed_world, set_answer

PHOTO_SHA = "ab" * 32


def attach_photo(seq: int, checklist_id: str, item_key: str | None) -> dict[str, Any]:
    """An ``attach_photo`` op."""
    op: dict[str, Any] = {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:14:00.000+02:00",
        "photo_id": uuid7(),
        "checklist_id": checklist_id,
        "sha256": PHOTO_SHA,
        "size": 1234,
        "mime": "image/jpeg",
    }
    if item_key is not None:
        op["item_key"] = item_key
    return op


def withdraw(seq: int, photo_id: str) -> dict[str, Any]:
    """A ``withdraw_photo`` op."""
    return {
        "op": "withdraw_photo",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:15:00.000+02:00",
        "photo_id": photo_id,
        "reason": "Verkeerde foto",
    }


def _last_seq(conn: sqlite3.Connection, device_id: str) -> int:
    row = conn.execute("SELECT last_seq FROM devices WHERE id = ?", (device_id,)).fetchone()
    return int(row[0])


async def test_push_envelope_device_must_be_the_token_device(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    phone_a = await login(client, "anna")
    phone_b = await login(client, "anna")
    cl = world.checklists["gemeente-groningen"]
    resp = await client.post(
        "/api/v1/sync/push",
        json=envelope(phone_b["device_id"], [set_answer(1, cl, "open", "yes")]),
        headers=phone_a["headers"],
    )
    assert resp.status_code == 403, resp.text
    assert resp.json()["type"] == "/problems/device-not-token"
    assert await db.read(lambda c: _last_seq(c, phone_b["device_id"])) == 0
    assert await db.read(lambda c: c.execute("SELECT count(*) FROM answers").fetchone()[0]) == 0
    denied = await db.read(
        lambda c: c.execute(
            "SELECT detail FROM audit_events WHERE action = 'sync.push' AND result = 'denied'"
            " AND object_id = ?",
            (phone_b["device_id"],),
        ).fetchall()
    )
    assert len(denied) == 1 and "device-not-token" in denied[0][0]
    # Each phone still pushes its own ops with its own token.
    ok = await push(client, phone_b, [set_answer(1, cl, "open", "yes")])
    assert ok.json()["results"][0]["status"] == "applied"


async def test_op_id_reused_with_other_payload_is_rejected(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    cl = world.checklists["gemeente-groningen"]
    first = set_answer(1, cl, "opmerking", "eerste waarde")
    assert (await push(client, anna, [first])).json()["results"][0]["status"] == "applied"
    # The same op again under a new seq and client time: a duplicate.
    again = {**first, "seq": 2, "client_time": "2026-05-04T10:00:00.000+02:00"}
    # The same op_id with another value: refused, the first value stays.
    reused = {**first, "seq": 3, "value": "andere waarde"}
    # Within one push too.
    fresh = set_answer(4, cl, "aantal", 4)
    reused_in_push = {**fresh, "seq": 5, "value": 5}
    body = (await push(client, anna, [again, reused, fresh, reused_in_push])).json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["duplicate", "rejected", "applied", "rejected"], body
    assert body["results"][1]["problem"]["type"] == "/problems/op-id-reused"
    assert body["results"][3]["problem"]["type"] == "/problems/op-id-reused"
    assert body["last_seq"] == 5
    values = await db.read(
        lambda c: dict(c.execute("SELECT item_key, value FROM answers").fetchall())
    )
    assert values == {"opmerking": '"eerste waarde"', "aantal": "4"}
    # Re-sending the refused op by its seq repeats the refusal.
    repeat = (await push(client, anna, [reused])).json()["results"][0]
    assert repeat["status"] == "duplicate" and repeat["original_status"] == "rejected"


async def test_withdraw_photo_not_seen_answers_like_no_such_photo(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    bert = await login(client, "bert")  # politie inspector on the same case
    gemeente = world.checklists["gemeente-groningen"]
    private = attach_photo(1, gemeente, "opmerking")
    loose = attach_photo(2, gemeente, None)
    body = (await push(client, anna, [private, loose])).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]

    # otto: gemeente inspector, not on the case at all
    otto = await login(client, "otto")
    unknown = (await push(client, otto, [withdraw(1, uuid7())])).json()["results"][0]
    hidden = (await push(client, otto, [withdraw(2, private["photo_id"])])).json()["results"][0]
    assert unknown["status"] == hidden["status"] == "rejected"
    assert unknown["problem"] == hidden["problem"]
    assert hidden["problem"]["type"] == "/problems/photo-not-found"
    # bert is on the case but may not see gemeente's private photos: the same answer.
    for seq, photo in ((1, private), (2, loose)):
        result = (await push(client, bert, [withdraw(seq, photo["photo_id"])])).json()
        assert result["results"][0]["problem"] == unknown["problem"]
    withdrawn = await db.read(
        lambda c: c.execute("SELECT count(*) FROM photos WHERE withdrawn_at IS NOT NULL").fetchone()
    )
    assert withdrawn[0] == 0
    # The owner withdraws her own photo.
    own = (await push(client, anna, [withdraw(3, private["photo_id"])])).json()
    assert own["results"][0]["status"] == "applied"


async def test_possible_duplicates_name_only_cases_the_reader_is_on(
    client: AsyncTestClient[Any], db: Database
) -> None:
    """A case of another agency at the same address/KvK never shows up: not in the REST
    answer of create, not in the case view, not in pull."""
    world = await seed_world(db)  # gemeente + politie case at 9711AB 12, KvK 12345678
    await add_user(db, "nora", "nvwa", ["inspector"])
    await add_user(db, "nick", "nvwa", ["teamlead"])
    nora, nick = await login(client, "nora"), await login(client, "nick")
    subject = {
        "address": {"postcode": "9711 AB", "huisnummer": 12},
        "business": {"name": "Testbedrijf", "kvk": "12345678"},
    }
    reason = {"category": "eigen-waarneming", "explanation": "Ter plaatse aangetroffen, nieuw."}
    # an nvwa inspector creates a case in the field at the same address
    case_id, inspection_id, checklist_id = uuid7(), uuid7(), uuid7()
    create = {
        "op": "create_case",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": "2026-05-04T09:00:00.000+02:00",
        "case_id": case_id,
        "inspection_id": inspection_id,
        "checklist_id": checklist_id,
        "template": "sync-test@1",
        "subject": subject,
        "reason": reason,
    }
    assert (await push(client, nora, [create])).json()["results"][0]["status"] == "applied"
    stored = await db.read(
        lambda c: c.execute(
            "SELECT possible_duplicates FROM cases WHERE id = ?", (case_id,)
        ).fetchone()[0]
    )
    assert world.case_id in stored  # recorded for those who may see it
    view = await client.get(f"/api/v1/cases/{case_id}", headers=nora["headers"])
    assert view.status_code == 200 and view.json()["possible_duplicates"] == []
    records, _ = await pull_all(client, nora)
    case = next(r for r in records if r["kind"] == "case" and r["id"] == case_id)
    assert case["data"]["possible_duplicates"] == []
    # an nvwa team lead creating a case there through REST learns nothing either
    created = await client.post(
        "/api/v1/cases",
        json={"reason": {**reason, "category": "signaal"}, "subject": subject},
        headers=nick["headers"],
    )
    assert created.status_code == 201, created.text
    assert created.json()["possible_duplicates"] == [case_id]  # nick is on nora's case
    nick_records, _ = await pull_all(client, nick)
    for record in nick_records:
        if record["kind"] == "case":
            assert world.case_id not in record["data"]["possible_duplicates"]
    # a gemeente team lead is on the shared case and sees it as a duplicate
    await add_user(db, "greet", "gemeente-groningen", ["teamlead"])
    greet = await login(client, "greet")
    hers = await client.post(
        "/api/v1/cases",
        json={"reason": {**reason, "category": "signaal"}, "subject": subject},
        headers=greet["headers"],
    )
    assert hers.json()["possible_duplicates"] == [world.case_id]
