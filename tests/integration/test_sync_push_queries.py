"""A push reads what it needs once, however many ops it carries: the current writes of the
fields it answers in one query, the taken note ids in one query (decide per push, write per
push). Counted with SQLite's trace callback; the old code read once per answer and per note."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Litestar

from server.auth.principal import Principal
from server.db import Database
from server.db.database import open_sync
from server.sync.envelope import decode_envelope
from server.sync.protocol import PushResponse
from server.sync.push import PushUnit
from tests.sync_support import (
    add_note,
    envelope,
    principal_of,
    quick_session,
    seed_world,
    set_answer,
)

N = 20


def _push(
    app: Litestar, principal: Principal, push: dict[str, Any]
) -> tuple[PushResponse, list[str]]:
    """Run one push unit on a connection of its own; its response and every statement it ran."""
    env, raw = decode_envelope(msgspec.json.encode(push))
    statements: list[str] = []
    conn = open_sync(app.state.settings.db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.set_trace_callback(statements.append)
        response = PushUnit(principal, env, raw)(conn)
        conn.set_trace_callback(None)
        conn.execute("COMMIT")
    finally:
        conn.close()
    if not isinstance(response, PushResponse):
        raise AssertionError(response)
    return response, statements


async def test_push_reads_as_often_at_n_as_at_10n_ops(db: Database, app: Litestar) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    checklist = world.checklists["gemeente-groningen"]
    principal = principal_of(world, "anna", device_id=anna["device_id"])
    seq = 0

    def reads(n: int) -> int:
        """Push ``n`` ops (four answers to one note) on a connection of its own; return how
        many SELECT statements the push ran."""
        nonlocal seq
        ops = []
        for i in range(n):
            seq += 1
            if i % 5 == 0:
                ops.append(add_note(seq, checklist, f"notitie {seq}", "open"))
            else:
                ops.append(set_answer(seq, checklist, ("opmerking", "geheim")[i % 2], f"{seq}"))
        response, statements = _push(app, principal, envelope(anna["device_id"], ops))
        assert [r.status for r in response.results] == ["applied"] * n
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    await asyncio.to_thread(reads, 1)  # parses the template into the process-wide cache
    small = await asyncio.to_thread(reads, N)
    large = await asyncio.to_thread(reads, 10 * N)
    assert large == small, (small, large)


async def test_push_reads_the_answers_of_checklists_it_may_write_only(
    db: Database, app: Litestar
) -> None:
    """A checklist's answers are read (all at once, for the merge rule and its progress) at
    the push's first write to it: ops naming a checklist the caller may not write read none
    of its answers, however many of them name it."""
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    own = world.checklists["gemeente-groningen"]
    other = world.checklists["politie"]
    principal = principal_of(world, "anna", device_id=anna["device_id"])
    ops = [set_answer(seq, other, "open", "yes") for seq in range(1, 6)]
    ops += [set_answer(6, own, "open", "yes"), set_answer(7, own, "aantal", 3)]
    push = envelope(anna["device_id"], ops)
    response, statements = await asyncio.to_thread(_push, app, principal, push)
    assert [r.status for r in response.results] == ["rejected"] * 5 + ["applied"] * 2
    reads = [s for s in statements if "FROM answers WHERE checklist_id IN" in s]
    assert len(reads) == 1 and own in reads[0] and other not in reads[0]
