"""Access that changes while one pull page is being built (review of the pull).

A pull page reads access and then the feed in batches; writes commit between its
statements. A case's scope, once loaded in a page, must not decide rows that were written
after it was loaded: a grant or release met later in the same page would otherwise expand
with the old scope (records missed for good), and rows written after an evict would go out
with the old scope (a leak, after the evict record itself). Every read runs in one read
transaction (``Database.read``), so a page does not see such a write at all; the device's
next pull, from the cursor the page returned, does, with the access the write made.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

import server.sync.pull as pull_module
from server.auth.principal import Principal
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.sync.teamlead import ReleaseRequest, add_release
from tests.sync_support import (
    World,
    add_note,
    pull_all,
    push,
    quick_session,
    seed_world,
    set_answer,
)

NOTES = 250  # more than two feed batches (100 rows each at limit 20)
LIMIT = 20


def _write_during_second_batch(
    monkeypatch: pytest.MonkeyPatch, db: Database, fn: Callable[[sqlite3.Connection], Any]
) -> list[int]:
    """Commit ``fn`` (through the app's writer) while a pull page reads its second batch."""
    loop = db._loop  # the app's own loop (tests drive the app from another one)
    assert loop is not None
    real = pull_module.load_by_ids  # type: ignore[attr-defined]  # once per feed batch
    calls = [0]

    def hooked(*args: Any) -> Any:
        calls[0] += 1
        if calls[0] == 2:
            asyncio.run_coroutine_threadsafe(db.write(fn), loop).result(timeout=30)
        return real(*args)

    monkeypatch.setattr(pull_module, "load_by_ids", hooked)
    return calls


async def _pull_then_next(
    client: Any, session: dict[str, Any], cursor: Any, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    """The hooked pull, then the device's next one from where it ended (hook removed)."""
    records, cursor = await pull_all(client, session, cursor, limit=LIMIT)
    monkeypatch.undo()
    more, _ = await pull_all(client, session, cursor, limit=LIMIT)
    return records + more


async def _notes(client: Any, writer: dict[str, Any], checklist_id: str) -> None:
    """NOTES notes on the private item of ``checklist_id``."""
    ops = [add_note(1 + n, checklist_id, f"notitie {n}", "opmerking") for n in range(NOTES)]
    resp = await push(client, writer, ops)
    assert resp.status_code == 200, resp.text
    assert {r["status"] for r in resp.json()["results"]} == {"applied"}


def _assign(world: World, user_id: str) -> Callable[[sqlite3.Connection], None]:
    def fn(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO inspection_inspectors VALUES (?, ?)", (world.inspection_id, user_id)
        )
        record_change(conn, "grant", world.case_id, case_id=world.case_id, user_id=user_id)

    return fn


async def test_grant_written_while_a_page_is_built_still_delivers_the_case(
    client: AsyncTestClient[Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    otto = await quick_session(db, world.users["otto"])
    _, cursor = await pull_all(client, otto)
    await _notes(client, anna, world.checklists["gemeente-groningen"])

    calls = _write_during_second_batch(monkeypatch, db, _assign(world, world.users["otto"]))
    records = await _pull_then_next(client, otto, cursor, monkeypatch)
    assert calls[0] >= 3  # the grant was committed while the page read on

    fresh, _ = await pull_all(client, await quick_session(db, world.users["otto"]))
    got = {(r["kind"], r["id"]) for r in records}
    want = {(r["kind"], r["id"]) for r in fresh if r["kind"] not in ("template", "agency")}
    assert ("case", world.case_id) in want
    assert want <= got, sorted(want - got)[:5]


async def test_rows_written_after_an_evict_in_the_same_page_are_not_sent(
    client: AsyncTestClient[Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await seed_world(db)
    gem = world.checklists["gemeente-groningen"]
    otto_id = world.users["otto"]
    await db.write(_assign(world, otto_id))
    bert = await quick_session(db, world.users["bert"])
    otto = await quick_session(db, otto_id)
    _, cursor = await pull_all(client, otto)
    # Nothing of these is for otto (politie's private item): the page reads on.
    await _notes(client, bert, world.checklists["politie"])
    secret = uuid7()

    def withdraw_then_write(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM inspection_inspectors WHERE user_id = ?", (otto_id,))
        record_change(conn, "evict", world.case_id, case_id=world.case_id, user_id=otto_id)
        # Written after otto lost access: otto may never receive it.
        rev = record_change(conn, "note", secret, case_id=world.case_id, checklist_id=gem)
        conn.execute(
            "INSERT INTO notes (id, checklist_id, item_key, text, author_id, op_id, created_at,"
            " rev) VALUES (?, ?, 'opmerking', 'na de intrekking', ?, ?, ?, ?)",
            (secret, gem, world.users["anna"], uuid7(), now_iso(), rev),
        )

    calls = _write_during_second_batch(monkeypatch, db, withdraw_then_write)
    records = await _pull_then_next(client, otto, cursor, monkeypatch)
    assert calls[0] >= 3
    assert ("evict", world.case_id) in {(r["kind"], r["id"]) for r in records}
    assert secret not in {r["id"] for r in records}


async def test_release_written_while_a_page_is_built_still_delivers_the_items(
    client: AsyncTestClient[Any], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await seed_world(db)
    pol = world.checklists["politie"]
    bert = await quick_session(db, world.users["bert"])
    anna = await quick_session(db, world.users["anna"])
    resp = await push(client, bert, [set_answer(1, pol, "open", "no")])
    assert resp.json()["results"][0]["status"] == "applied"
    _, cursor = await pull_all(client, anna)
    # Nothing of these is for anna (politie's private item): the page reads on.
    ops = [add_note(2 + n, pol, f"notitie {n}", "opmerking") for n in range(NOTES)]
    assert (await push(client, bert, ops)).status_code == 200
    piet = Principal(
        user_id=world.users["piet"],
        username="piet",
        name="piet",
        agency_id="politie",
        roles=frozenset({"teamlead"}),
        device_id=None,
    )

    def release(conn: sqlite3.Connection) -> None:
        add_release(conn, piet, pol, ReleaseRequest(item_keys=["open"], basis="Afstemming"))

    calls = _write_during_second_batch(monkeypatch, db, release)
    records = await _pull_then_next(client, anna, cursor, monkeypatch)
    assert calls[0] >= 3
    assert "release" in {r["kind"] for r in records}
    assert f"{pol}/open" in {r["id"] for r in records if r["kind"] == "answer"}
