"""Push and pull as the controllers call them: decode, one write unit, audit."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from server.audit.log import append
from server.auth.principal import Principal
from server.db import Database
from server.lib.errors import BadRequest, DomainError
from server.sync.envelope import decode_envelope
from server.sync.protocol import PullResponse, PushResponse, kind_of_type
from server.sync.pull import MAX_LIMIT, pull_page
from server.sync.push import PushUnit

T = TypeVar("T")


async def push(db: Database, principal: Principal, body: bytes) -> PushResponse:
    """Apply a push in ONE write unit; the response exists only after a durable commit."""
    envelope, ops = decode_envelope(body)
    outcome = await db.write(PushUnit(principal, envelope, ops))
    if isinstance(outcome, DomainError):
        raise outcome.mark_audited()  # the write unit audited the refusal
    return outcome


async def pull(db: Database, principal: Principal, cursor: str | None, limit: int) -> PullResponse:
    """One page of the caller's visible changes; every pull is audited."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit moet tussen 1 en {MAX_LIMIT} liggen.", slug="invalid-limit")
    try:
        page = await db.read(lambda c: pull_page(c, principal, cursor, limit))
    except DomainError as exc:
        slug = exc.slug
        await db.write(
            lambda c: append(
                c,
                principal.actor(),
                "sync.pull",
                result="denied",
                object_type="device",
                object_id=principal.device_id,
                detail={"reason": slug},
            )
        )
        raise exc.mark_audited() from None
    # Counted per record type (in C), in the order each kind first occurs on the page.
    kinds = {kind_of_type(t): n for t, n in Counter(map(type, page.changes)).items()}
    await db.write(
        lambda c: append(
            c,
            principal.actor(),
            "sync.pull",
            object_type="device",
            object_id=principal.device_id,
            detail={"records": len(page.changes), "kinds": kinds, "has_more": page.has_more},
        )
    )
    return page


async def in_writer(db: Database, fn: Callable[[sqlite3.Connection], T]) -> T:
    """Run a team-lead action (decision, op log, audit) as one write unit."""
    return await db.write(fn)
