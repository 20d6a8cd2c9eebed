"""Pull builds a page with a fixed number of queries, however many records of a kind it holds:
entities are loaded per kind, and the progress of checklists that have none stored yet is
computed for the whole page at once."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth.principal import Principal
from server.db import Database
from server.db.database import open_sync
from server.sync.protocol import CaseRecord, ChecklistRecord, NoteRecord
from server.sync.pull import MAX_LIMIT, pull_page
from tests.sync_support import (
    add_note,
    insert_case,
    principal_of,
    push,
    quick_session,
    seed_world,
)

N = 15


def statements_of_one_page(app: Litestar, principal: Principal) -> tuple[int, list[Any]]:
    """Build one pull page for ``principal`` on a connection of its own; return how many SQL
    statements it ran and the page's records."""
    conn = open_sync(app.state.settings.db_path)
    try:
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        page = pull_page(conn, principal, None, MAX_LIMIT)
        conn.set_trace_callback(None)
        assert not page.has_more
        return len(statements), page.changes
    finally:
        conn.close()


async def test_pull_page_query_count_is_the_same_at_n_and_10n_notes(
    client: AsyncTestClient[Litestar], db: Database, app: Litestar
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    checklist = world.checklists["gemeente-groningen"]
    principal = principal_of(world, "anna", device_id=anna["device_id"])
    seq = 0

    async def add_notes(n: int) -> None:
        nonlocal seq
        ops = [add_note(seq + i + 1, checklist, f"notitie {seq + i}", "open") for i in range(n)]
        seq += n
        body = (await push(client, anna, ops)).json()
        assert [r["status"] for r in body["results"]] == ["applied"] * n

    await add_notes(N)
    small, records_n = await asyncio.to_thread(statements_of_one_page, app, principal)
    await add_notes(9 * N)
    large, records_10n = await asyncio.to_thread(statements_of_one_page, app, principal)
    assert sum(isinstance(r, NoteRecord) for r in records_n) == N
    assert sum(isinstance(r, NoteRecord) for r in records_10n) == 10 * N
    assert len(records_10n) == len(records_n) + 9 * N
    assert large == small, (small, large)


async def test_pull_page_query_count_is_the_same_at_n_and_10n_new_cases(
    db: Database, app: Litestar
) -> None:
    """New checklists have no stored progress yet: a team lead's first pull computes it."""
    world = await seed_world(db)
    tara = principal_of(world, "tara", role="teamlead")

    async def add_cases(n: int) -> None:
        def fn(conn: sqlite3.Connection) -> None:
            for _ in range(n):
                insert_case(
                    conn,
                    agencies=["gemeente-groningen"],
                    inspectors=[world.users["anna"]],
                    creator=world.users["tara"],
                    teamlead_id=world.users["tara"],
                )

        await db.write(fn)

    await add_cases(N - 1)  # seed_world made one
    small, records_n = await asyncio.to_thread(statements_of_one_page, app, tara)
    await add_cases(9 * N)
    large, records_10n = await asyncio.to_thread(statements_of_one_page, app, tara)
    assert sum(isinstance(r, CaseRecord) for r in records_n) == N
    assert sum(isinstance(r, CaseRecord) for r in records_10n) == 10 * N
    checklists = [r for r in records_10n if isinstance(r, ChecklistRecord)]
    assert len(checklists) == 10 * N + 1  # the first case has a politie checklist too
    assert all(r.data.progress is not None for r in checklists)
    assert large == small, (small, large)
