"""Partner change feed: in order across pages, redacted per client, case-closed, 410."""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.cases import repository as repo
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.partners.cursor import encode_cursor
from tests.partner_support import (
    ROOT,
    add_client,
    audit_rows,
    bearer,
    put_answer,
    release,
    submit,
)
from tests.sync_support import seed_world

Client = AsyncTestClient[Litestar]


class LegacyCursor(msgspec.Struct, array_like=True):
    """The feed cursor of API 1.0: epoch and feed position."""

    epoch: int
    seq: int


def base64_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def read_all(
    client: Client, headers: dict[str, str], cursor: str | None = None, limit: int = 3
) -> tuple[list[dict[str, Any]], str]:
    """Every event from ``cursor`` on, in small pages; return them and the last cursor."""
    events: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        resp = await client.get(f"{ROOT}/changes", params=params, headers=headers)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        events += page["events"]
        cursor = page["cursor"]
        if not page["more"]:
            return events, cursor


async def test_feed_in_order_redacted_and_closed(client: Client, db: Database) -> None:
    world = await seed_world(db)
    politie = await bearer(client, await add_client(db, "politie", ["changes:read"]))
    nvwa = await bearer(client, await add_client(db, "nvwa", ["changes:read"]))
    events, cursor = await read_all(client, politie)
    assert events and events[0]["caseId"] == world.case_id
    assert "case-created" in {t for e in events for t in e["types"]}
    assert (await read_all(client, nvwa))[0] == []  # not on the case: nothing at all

    # A private answer of the gemeente: nothing for politie.
    await db.write(lambda c: put_answer(c, world, "gemeente-groningen", "opmerking", "x"))
    events, cursor = await read_all(client, politie, cursor)
    assert events == []

    # A released finding, a submission, an intervention: each reaches politie.
    def act(conn: sqlite3.Connection) -> None:
        put_answer(conn, world, "gemeente-groningen", "open", "ja")
        release(conn, world, "gemeente-groningen", ["open"])
        submit(conn, world, "gemeente-groningen")
        repo.upsert_intervention(
            conn,
            intervention_id="iv-1",
            case_id=world.case_id,
            agency_id="politie",
            type="proces-verbaal",
            status="open",
            due_date=None,
            description="",
            created_by=world.users["piet"],
        )

    await db.write(act)
    events, cursor = await read_all(client, politie, cursor, limit=100)
    (event,) = events  # coalesced per case within the page
    assert event["types"] == [
        "case-updated",
        "findings-released",
        "checklist-submitted",
        "intervention-changed",
    ]
    assert event["links"]["self"] == f"{ROOT}/cases/{world.case_id}"
    await db.write(lambda c: repo.set_case_status(c, world.case_id, "closed"))
    events, cursor = await read_all(client, politie, cursor)
    assert [t for e in events for t in e["types"]] == ["case-closed"]
    reads = await audit_rows(db, "partner.changes.read")
    assert reads and all(r["actor_type"] == "client" for r in reads)


def put_photo(conn: sqlite3.Connection, world: Any, agency: str, item_key: str | None) -> None:
    """A photo row in ``agency``'s checklist (with its change row), as ``attach_photo``."""
    checklist_id = world.checklists[agency]
    photo_id = uuid7()
    rev = record_change(conn, "photo", photo_id, case_id=world.case_id, checklist_id=checklist_id)
    conn.execute(
        "INSERT INTO photos (id, checklist_id, agency_id, item_key, sha256, size, mime,"
        " state, author_id, op_id, created_at, rev)"
        " VALUES (?, ?, ?, ?, ?, 1, 'image/jpeg', 'expected', ?, ?, ?, ?)",
        (
            photo_id,
            checklist_id,
            agency,
            item_key,
            "0" * 64,
            world.users["anna"],
            uuid7(),
            now_iso(),
            rev,
        ),
    )


async def test_photo_events_follow_their_item(client: Client, db: Database) -> None:
    world = await seed_world(db)
    politie = await bearer(client, await add_client(db, "politie", ["changes:read"]))
    gemeente = await bearer(client, await add_client(db, "gemeente-groningen", ["changes:read"]))
    _, p_cursor = await read_all(client, politie)
    _, g_cursor = await read_all(client, gemeente)

    # A photo of a shareable item not released yet, and one without an item: the owning
    # agency's client hears of both, the other agency's of neither.
    await db.write(lambda c: put_photo(c, world, "gemeente-groningen", "foto"))
    await db.write(lambda c: put_photo(c, world, "gemeente-groningen", None))
    events, p_cursor = await read_all(client, politie, p_cursor, limit=1)
    assert events == []
    events, g_cursor = await read_all(client, gemeente, g_cursor, limit=1)
    assert [e["types"] for e in events] == [["case-updated"], ["case-updated"]]

    # Released, the item's next photo reaches politie; a photo without an item still not.
    await db.write(lambda c: release(c, world, "gemeente-groningen", ["foto"]))
    await db.write(lambda c: put_photo(c, world, "gemeente-groningen", "foto"))
    await db.write(lambda c: put_photo(c, world, "gemeente-groningen", None))
    events, _ = await read_all(client, politie, p_cursor, limit=1)
    assert [e["types"] for e in events] == [["findings-released"], ["case-updated"]]


async def test_every_change_arrives_across_small_pages(client: Client, db: Database) -> None:
    world = await seed_world(db)
    politie = await bearer(client, await add_client(db, "politie", ["changes:read"]))
    _, cursor = await read_all(client, politie)

    def many(conn: sqlite3.Connection) -> None:
        for n in range(5):
            put_answer(conn, world, "politie", "aantal", n)
            repo.upsert_intervention(
                conn,
                intervention_id=f"iv-{n}",
                case_id=world.case_id,
                agency_id="gemeente-groningen",
                type="waarschuwing",
                status="open",
                due_date=None,
                description="",
                created_by=world.users["tara"],
            )

    await db.write(many)
    events, _ = await read_all(client, politie, cursor, limit=1)
    assert [e["types"] for e in events] == [["case-updated"], ["intervention-changed"]] * 5


async def test_cursor_from_before_a_restore_is_gone(client: Client, db: Database) -> None:
    await seed_world(db)
    politie = await bearer(client, await add_client(db, "politie", ["changes:read"]))
    _, cursor = await read_all(client, politie)
    await db.write(lambda c: c.execute("UPDATE meta SET value = '2' WHERE key = 'epoch'"))
    gone = await client.get(f"{ROOT}/changes", params={"cursor": cursor}, headers=politie)
    assert gone.status_code == 410
    assert gone.json()["type"] == "/problems/cursor-expired"
    assert gone.headers["api-version"] == "1.1.0"
    again, _ = await read_all(client, politie)  # from the start: everything again
    assert again
    bad = await client.get(f"{ROOT}/changes", params={"cursor": "bm9wZQ"}, headers=politie)
    assert bad.status_code == 400


async def test_an_agency_that_leaves_hears_it_once_without_content(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    politie = await bearer(client, await add_client(db, "politie", ["changes:read", "cases:read"]))
    gemeente = await bearer(client, await add_client(db, "gemeente-groningen", ["changes:read"]))
    _, p_cursor = await read_all(client, politie)
    _, g_cursor = await read_all(client, gemeente)
    old_style = encode_cursor(LegacyCursor(*msgspec.json.decode(base64_decode(p_cursor))[:2]))

    # No operation removes an agency yet; the row goes as such an operation would remove it.
    def leave(conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM case_agencies WHERE case_id = ? AND agency_id = 'politie'",
            (world.case_id,),
        )
        put_answer(conn, world, "gemeente-groningen", "open", "ja")

    await db.write(leave)
    events, p_cursor = await read_all(client, politie, p_cursor, limit=1)
    assert [e["types"] for e in events] == [["case-access-withdrawn"]]
    (event,) = events
    assert set(event) == {"caseId", "types", "at", "links"}  # the case id, no content
    assert event["caseId"] == world.case_id
    summary = await client.get(f"{ROOT}/cases/{world.case_id}", headers=politie)
    assert summary.status_code == 404
    assert (await read_all(client, politie, p_cursor))[0] == []  # once
    # A cursor of API 1.0 (epoch and feed position only) reads the withdrawal too.
    events, _ = await read_all(client, politie, old_style)
    assert [e["types"] for e in events] == [["case-access-withdrawn"]]
    # The agency still on the case hears nothing of it, only its own change.
    events, _ = await read_all(client, gemeente, g_cursor)
    assert [e["types"] for e in events] == [["case-updated"]]

    # Back on the case: read from the start, the old departure says nothing any more.
    await db.write(
        lambda c: c.execute(
            "INSERT INTO case_agencies (case_id, agency_id) VALUES (?, 'politie')",
            (world.case_id,),
        )
    )
    events, _ = await read_all(client, politie)
    assert events and all("case-access-withdrawn" not in e["types"] for e in events)
