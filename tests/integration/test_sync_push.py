"""Push over real HTTP: idempotency, sequencing, per-op rejection, limits, device checks."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import login
from tests.sync_support import add_note, dump_state, envelope, push, seed_world, set_answer


async def _anna(client: AsyncTestClient[Any], db: Database) -> tuple[Any, dict[str, Any]]:
    world = await seed_world(db)
    return world, await login(client, "anna")


async def test_same_push_twice_gives_identical_state_and_duplicates(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    ops = [
        set_answer(1, cl, "open", "yes"),
        set_answer(2, cl, "aantal", "3"),  # a string is not a number: rejected
        add_note(3, cl, "Achterdeur op slot", "open"),
    ]
    first = await push(client, anna, ops)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert body["last_seq"] == 3
    state = await db.read(dump_state)
    second = await push(client, anna, ops)
    again = second.json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert [r["original_status"] for r in again["results"]] == ["applied", "rejected", "applied"]
    assert again["results"][0]["rev"] == body["results"][0]["rev"]
    assert again["results"][1]["problem"] == body["results"][1]["problem"]
    assert await db.read(dump_state) == state


async def test_lost_response_then_resend_with_more(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    ops = [set_answer(1, cl, "open", "no"), set_answer(2, cl, "soort", "horeca")]
    assert (await push(client, anna, ops)).status_code == 200  # response "lost"
    pulled = await client.get("/api/v1/sync/pull", headers=anna["headers"])
    assert pulled.json()["last_seq"] == 2
    resend = await push(client, anna, [*ops, set_answer(3, cl, "tijd", "09:30")])
    statuses = [r["status"] for r in resend.json()["results"]]
    assert statuses == ["duplicate", "duplicate", "applied"]
    count = await db.read(lambda c: c.execute("SELECT count(*) FROM answers").fetchone()[0])
    assert count == 3


async def test_gap_stops_with_expected_seq(client: AsyncTestClient[Any], db: Database) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    resp = await push(
        client, anna, [set_answer(1, cl, "open", "yes"), set_answer(3, cl, "tijd", "10:00")]
    )
    body = resp.json()
    assert body["expected_seq"] == 2
    assert body["last_seq"] == 1
    assert [r["seq"] for r in body["results"]] == [1]
    tijd = await db.read(
        lambda c: c.execute("SELECT count(*) FROM answers WHERE item_key = 'tijd'").fetchone()[0]
    )
    assert tijd == 0


async def test_poison_op_between_good_ones_moves_queue_on(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    ops = [
        set_answer(1, cl, "open", "yes"),
        set_answer(2, world.checklists["politie"], "open", "no"),  # other agency: forbidden
        set_answer(3, cl, "soort", "onbekend"),  # not an option
        set_answer(4, cl, "datum", "2026-02-30"),  # not a real date
        set_answer(5, cl, "aantal", 7),
    ]
    body = (await push(client, anna, ops)).json()
    assert [r["status"] for r in body["results"]] == [
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert body["results"][1]["problem"]["status"] == 403
    assert body["results"][2]["problem"]["errors"][0]["field"] == "value"
    assert body["last_seq"] == 5
    stored = await db.read(
        lambda c: c.execute(
            "SELECT status FROM ops WHERE device_id = ? ORDER BY seq", (anna["device_id"],)
        ).fetchall()
    )
    assert [r[0] for r in stored] == ["applied", "rejected", "rejected", "rejected", "applied"]


async def test_answer_values_take_ascii_digits_and_bounded_numbers_only(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    ops = [
        set_answer(1, cl, "tijd", "1\u0662:3\u0660"),  # Arabic-Indic digits
        set_answer(2, cl, "datum", "\uff12\uff10\uff12\uff16-05-04"),  # fullwidth digits
        set_answer(3, cl, "aantal", 2**63),
        set_answer(4, cl, "aantal", 10**30),
        set_answer(5, cl, "tijd", "12:30"),
        set_answer(6, cl, "datum", "2026-05-04"),
        set_answer(7, cl, "aantal", 100),
    ]
    body = (await push(client, anna, ops)).json()
    assert [r["status"] for r in body["results"]] == ["rejected"] * 4 + ["applied"] * 3
    assert all(r["problem"]["status"] in (400, 422) for r in body["results"][:4])
    stored = await db.read(
        lambda c: c.execute("SELECT item_key, value FROM answers ORDER BY item_key").fetchall()
    )
    assert [tuple(r) for r in stored] == [
        ("aantal", "100"),
        ("datum", '"2026-05-04"'),
        ("tijd", '"12:30"'),
    ]


async def test_wrong_typed_op_among_good_is_the_only_rejected(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    bad = set_answer(2, cl, "open", "yes")
    bad["base_rev"] = "twelve"
    missing = set_answer(3, cl, "open", "yes")
    del missing["checklist_id"]
    ops = [set_answer(1, cl, "tijd", "08:00"), bad, missing, set_answer(4, cl, "open", "na")]
    ops[3]["extra_field_from_newer_app"] = {"ignored": True}
    body = (await push(client, anna, ops)).json()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "rejected", "applied"]
    assert body["results"][1]["problem"]["errors"][0]["field"] == "$.base_rev"
    assert "checklist_id" in body["results"][2]["problem"]["detail"]


def _raw_envelope(device_id: str, ops: list[bytes]) -> bytes:
    head = msgspec.json.encode({"device_id": device_id, "schema_version": 1})
    return head[:-1] + b',"ops":[' + b",".join(ops) + b"]}"


async def test_undecodable_op_is_rejected_alone_and_the_next_ones_apply(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    deep = msgspec.json.encode(set_answer(2, cl, "open", None)).replace(
        b'"value":null', b'"value":' + b"[" * 100_000 + b"]" * 100_000
    )
    not_utf8 = msgspec.json.encode(add_note(3, cl, "PLACEHOLDER")).replace(
        b"PLACEHOLDER", b"caf\xe9 \xff\xfe"
    )
    ops = [
        msgspec.json.encode(set_answer(1, cl, "tijd", "08:00")),
        deep,
        not_utf8,
        msgspec.json.encode(set_answer(4, cl, "open", "yes")),
    ]
    body = _raw_envelope(anna["device_id"], ops)
    resp = await client.post(
        "/api/v1/sync/push",
        content=body,
        headers={**anna["headers"], "Content-Type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert [r["problem"]["type"] for r in results[1:3]] == ["/problems/invalid-op"] * 2
    assert resp.json()["last_seq"] == 4
    stored = await db.read(
        lambda c: c.execute(
            "SELECT seq, status, kind FROM ops WHERE device_id = ? ORDER BY seq",
            (anna["device_id"],),
        ).fetchall()
    )
    assert [tuple(r) for r in stored] == [
        (1, "applied", "set_answer"),
        (2, "rejected", "set_answer"),
        (3, "rejected", "add_note"),
        (4, "applied", "set_answer"),
    ]
    notes = await db.read(lambda c: c.execute("SELECT count(*) FROM notes").fetchone()[0])
    assert notes == 0
    again = await client.post(
        "/api/v1/sync/push",
        content=body,
        headers={**anna["headers"], "Content-Type": "application/json"},
    )
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 4


async def test_an_op_repeating_a_key_is_decoded_as_the_protocol_decodes_it(
    client: AsyncTestClient[Any], db: Database
) -> None:
    """An op whose first ``op_id`` (or ``item_key``) is invalid and repeated with a valid
    value is refused by the protocol's decoder: the push rejects it and writes nothing of it,
    whether or not the other ops of the push are valid."""
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    bad_id = msgspec.json.encode(set_answer(1, cl, "open", "yes")).replace(
        b'"op_id":', b'"op_id":"nope","op_id":', 1
    )
    bad_key = msgspec.json.encode(add_note(2, cl, "Deur dicht", "open")).replace(
        b'"item_key":', b'"item_key":"NIET GELDIG","item_key":', 1
    )
    ops = [bad_id, bad_key, msgspec.json.encode(set_answer(3, cl, "aantal", 3))]
    resp = await client.post(
        "/api/v1/sync/push",
        content=_raw_envelope(anna["device_id"], ops),
        headers={**anna["headers"], "Content-Type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert [r["problem"]["type"] for r in results[:2]] == ["/problems/invalid-op"] * 2
    answers, notes = await db.read(
        lambda c: (
            c.execute("SELECT item_key FROM answers ORDER BY 1").fetchall(),
            c.execute("SELECT count(*) FROM notes").fetchone()[0],
        )
    )
    assert [tuple(r) for r in answers] == [("aantal",)]
    assert notes == 0


async def test_a_body_that_is_not_json_is_the_only_400(
    client: AsyncTestClient[Any], db: Database
) -> None:
    _, anna = await _anna(client, db)
    headers = {**anna["headers"], "Content-Type": "application/json"}
    deep_and_broken = _raw_envelope(anna["device_id"], [b"[" * 100_000 + b"}" * 100_000])
    for body in (b"[" * 50_000, b"{\xff", deep_and_broken):
        resp = await client.post("/api/v1/sync/push", content=body, headers=headers)
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
    count = await db.read(lambda c: c.execute("SELECT count(*) FROM ops").fetchone()[0])
    assert count == 0


async def test_unknown_op_is_rejected(client: AsyncTestClient[Any], db: Database) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    unknown = {
        "op": "delete_case",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": now_iso(),
        "case_id": world.case_id,
    }
    body = (await push(client, anna, [unknown, set_answer(2, cl, "open", "yes")])).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "applied"]
    assert body["results"][0]["problem"]["errors"][0]["field"] == "$.op"
    kind = await db.read(lambda c: c.execute("SELECT kind FROM ops WHERE seq = 1").fetchone()[0])
    assert kind == "delete_case"


async def test_id_squatting_is_rejected(client: AsyncTestClient[Any], db: Database) -> None:
    world, anna = await _anna(client, db)
    bert = await login(client, "bert")
    note = add_note(1, world.checklists["gemeente-groningen"], "Eerste notitie")
    assert (await push(client, anna, [note])).json()["results"][0]["status"] == "applied"
    squat = add_note(1, world.checklists["politie"], "Zelfde id, andere eigenaar")
    squat["note_id"] = note["note_id"]
    taken_op = add_note(2, world.checklists["politie"], "Zelfde op_id")
    taken_op["op_id"] = note["op_id"]
    body = (await push(client, bert, [squat, taken_op])).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "rejected"]
    assert body["results"][0]["problem"]["type"] == "/problems/id-taken"
    assert body["results"][1]["problem"]["type"] == "/problems/op-id-taken"
    text = await db.read(
        lambda c: c.execute("SELECT text FROM notes WHERE id = ?", (note["note_id"],)).fetchone()
    )
    assert text[0] == "Eerste notitie"


async def test_seq_reused_with_other_payload(client: AsyncTestClient[Any], db: Database) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    await push(client, anna, [set_answer(1, cl, "open", "yes")])
    body = (await push(client, anna, [set_answer(1, cl, "open", "no")])).json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["problem"]["type"] == "/problems/seq-reused"


async def test_malformed_envelope_is_400_and_nothing_applied(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    headers = anna["headers"]
    cases: list[Any] = [
        {"device_id": anna["device_id"], "schema_version": 1, "ops": {"not": "a list"}},
        {"device_id": anna["device_id"], "ops": []},
        {
            "device_id": anna["device_id"],
            "schema_version": 1,
            "ops": [
                set_answer(1, cl, "open", "yes"),
                {**set_answer(2, cl, "open", "no"), "seq": "2"},
            ],
        },
        {
            "device_id": anna["device_id"],
            "schema_version": 1,
            "ops": [{**set_answer(1, cl, "open", "no"), "seq": 0}],
        },
    ]
    for body in cases:
        resp = await client.post("/api/v1/sync/push", json=body, headers=headers)
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["errors"][0]["field"].startswith("$")
    resp = await client.post("/api/v1/sync/push", content=b"{not json", headers=headers)
    assert resp.status_code == 400
    answers = await db.read(lambda c: c.execute("SELECT count(*) FROM answers").fetchone()[0])
    assert answers == 0
    assert (await client.get("/api/v1/sync/pull", headers=headers)).json()["last_seq"] == 0


async def test_oversized_push_is_413(client: AsyncTestClient[Any], db: Database) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    many = [set_answer(i, cl, "open", "yes") for i in range(1, 502)]
    resp = await push(client, anna, many)
    assert resp.status_code == 413
    big = [add_note(i, cl, "x" * 4000) for i in range(1, 500)]
    resp = await push(client, anna, big)
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")
    count = await db.read(lambda c: c.execute("SELECT count(*) FROM ops").fetchone()[0])
    assert count == 0


async def test_revoked_device_gets_401_device_revoked(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    await db.write(
        lambda c: c.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ?", (now_iso(), anna["device_id"])
        )
    )
    resp = await push(client, anna, [set_answer(1, cl, "open", "yes")])
    assert resp.status_code == 401
    assert resp.json()["type"] == "/problems/device-revoked"


async def test_device_of_another_user_is_refused(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    bert = await login(client, "bert")
    cl = world.checklists["gemeente-groningen"]
    resp = await client.post(
        "/api/v1/sync/push",
        json=envelope(bert["device_id"], [set_answer(1, cl, "open", "yes")]),
        headers=anna["headers"],
    )
    assert resp.status_code == 403
    assert resp.json()["type"] == "/problems/device-not-yours"


async def test_two_offline_edits_same_field_same_device_no_conflict(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    first = await push(client, anna, [set_answer(1, cl, "opmerking", "eerste")])
    assert first.json()["results"][0]["status"] == "applied"
    second = await push(client, anna, [set_answer(2, cl, "opmerking", "tweede")])
    assert second.json()["results"][0]["status"] == "applied"
    conflicts = await db.read(lambda c: c.execute("SELECT count(*) FROM conflicts").fetchone()[0])
    assert conflicts == 0


async def test_concurrent_edits_of_two_devices_record_a_conflict(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    tablet = await login(client, "anna")
    cl = world.checklists["gemeente-groningen"]
    await push(client, anna, [set_answer(1, cl, "aantal", 4)])
    body = (await push(client, tablet, [set_answer(1, cl, "aantal", 5)])).json()
    assert body["results"][0]["status"] == "conflict"
    conflict_id = body["results"][0]["conflict_id"]
    same = (await push(client, tablet, [set_answer(2, cl, "open", "yes")])).json()
    assert same["results"][0]["status"] == "applied"
    converge = (await push(client, anna, [set_answer(2, cl, "open", "yes")])).json()
    assert converge["results"][0]["status"] == "applied"
    row = await db.read(
        lambda c: c.execute(
            "SELECT candidates FROM conflicts WHERE id = ?", (conflict_id,)
        ).fetchone()
    )
    assert '"value":4' in row[0] and '"value":5' in row[0]
    count = await db.read(lambda c: c.execute("SELECT count(*) FROM conflicts").fetchone()[0])
    assert count == 1


async def test_set_answer_after_submit_rejected_and_amend_applies(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    cl = world.checklists["gemeente-groningen"]
    submit = {
        "op": "submit_checklist",
        "op_id": uuid7(),
        "seq": 2,
        "client_time": now_iso(),
        "checklist_id": cl,
    }
    amend = {
        "op": "amend_answer",
        "op_id": uuid7(),
        "seq": 4,
        "client_time": now_iso(),
        "checklist_id": cl,
        "item_key": "open",
        "value": "no",
        "reason": "Verkeerd getikt",
        "base_rev": None,
    }
    body = (
        await push(
            client,
            anna,
            [set_answer(1, cl, "open", "yes"), submit, set_answer(3, cl, "open", "na"), amend],
        )
    ).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied", "rejected", "applied"]
    assert body["results"][2]["problem"]["type"] == "/problems/checklist-submitted"
    row = await db.read(
        lambda c: c.execute("SELECT value, amended FROM answers WHERE item_key = 'open'").fetchone()
    )
    assert (row[0], row[1]) == ('"no"', 1)


async def test_unassigned_inspector_gets_not_found(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await seed_world(db)
    otto = await login(client, "otto")
    body = (
        await push(
            client, otto, [set_answer(1, world.checklists["gemeente-groningen"], "open", "yes")]
        )
    ).json()
    assert body["results"][0]["status"] == "rejected"
    assert body["results"][0]["problem"]["status"] == 404


def _photo(seq: int, checklist_id: str, sha: str) -> dict[str, Any]:
    return {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": now_iso(),
        "photo_id": uuid7(),
        "checklist_id": checklist_id,
        "item_key": "foto",
        "sha256": sha,
        "size": 2048,
        "mime": "image/jpeg",
    }


async def test_photo_dedup_stays_within_the_agency(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world, anna = await _anna(client, db)
    bert = await login(client, "bert")
    sha = "b" * 64
    await db.write(
        lambda c: c.execute(
            "INSERT INTO blobs VALUES ('gemeente-groningen', ?, 2048, 'image/jpeg', 640, 480, ?)",
            (sha, now_iso()),
        )
    )
    own = (
        await push(client, anna, [_photo(1, world.checklists["gemeente-groningen"], sha)])
    ).json()
    assert own["missing_blobs"] == []
    other = (await push(client, bert, [_photo(1, world.checklists["politie"], sha)])).json()
    assert other["missing_blobs"] == [sha]
    states = await db.read(
        lambda c: dict(c.execute("SELECT agency_id, state FROM photos").fetchall())
    )
    assert states == {"gemeente-groningen": "verified", "politie": "expected"}


async def test_incomplete_checklist_cannot_be_submitted(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await seed_world(db)
    anna = await login(client, "anna")
    checklist_id = uuid7()
    create = {
        "op": "create_case",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": now_iso(),
        "case_id": uuid7(),
        "inspection_id": uuid7(),
        "checklist_id": checklist_id,
        "template": "controle-algemeen@1",
        "subject": {"business": {"name": "Snackbar De Hoek"}},
        "reason": {"category": "eigen-waarneming", "explanation": "Ter plaatse aangetroffen."},
    }

    def submit(seq: int) -> dict[str, Any]:
        return {
            "op": "submit_checklist",
            "op_id": uuid7(),
            "seq": seq,
            "client_time": now_iso(),
            "checklist_id": checklist_id,
        }

    body = (await push(client, anna, [create, submit(2)])).json()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected"]
    problem = body["results"][1]["problem"]
    assert problem["type"] == "/problems/checklist-incomplete"
    assert {e["field"] for e in problem["errors"]} == {
        "items.starttijd",
        "items.type-object",
        "items.aanwezig-leidinggevende",
        "items.toegang-verleend",
    }
    status = await db.read(
        lambda c: c.execute(
            "SELECT status FROM checklists WHERE id = ?", (checklist_id,)
        ).fetchone()
    )
    assert status[0] == "open"

    answers = [
        set_answer(3, checklist_id, "starttijd", "09:30"),
        set_answer(4, checklist_id, "type-object", "horeca"),
        set_answer(5, checklist_id, "aanwezig-leidinggevende", "yes"),
        set_answer(6, checklist_id, "toegang-verleend", "yes"),
    ]
    body = (await push(client, anna, [*answers, submit(7)])).json()
    assert [r["status"] for r in body["results"]] == ["applied"] * 5
    status = await db.read(
        lambda c: c.execute(
            "SELECT status FROM checklists WHERE id = ?", (checklist_id,)
        ).fetchone()
    )
    assert status[0] == "submitted"
