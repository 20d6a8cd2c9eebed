"""The notification outbox: filled from the change feed, drained by the delivery loop.

:func:`plan` reads the change-feed rows after the stored cursor and maps them to
summary-level events per subscribed client (through the projection, like ``GET /changes``),
on a reader; :func:`apply` then, as one write unit, folds them into pending notifications
(at most one per case per client per coalescing window) and moves the cursor, unless the
cursor moved in between. A crash therefore never loses a change: either the rows and the
cursor move together, or neither does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from server.lib.clock import iso, now_iso, parse_iso, utc_now
from server.lib.ids import uuid7
from server.partners.events import Coalesced, agency_entries, page_end

BATCH = 50_000
"""Feed rows one fill looks at, at most: about four seconds of pushes at full capacity, so
one fill a second keeps up with them (each fill's write costs per case and client, not per
row: fewer, larger fills cost pushes less), while a backlog is still worked off in bounded
steps (the plan returns a few rows per case and event type, whatever the rows)."""


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A client that receives notifications."""

    client_id: str
    agency_id: str
    url: str
    secrets: list[str]


def subscribers(conn: sqlite3.Connection) -> list[Subscriber]:
    """Clients with an endpoint, the ``notifications`` scope, and not revoked."""
    now = now_iso()
    out = []
    for r in conn.execute(
        "SELECT id, agency_id, webhook_url, webhook_secret, webhook_previous_secret,"
        " webhook_previous_until, scopes FROM api_clients WHERE webhook_url IS NOT NULL"
        " AND revoked_at IS NULL ORDER BY id"
    ):
        if "notifications" not in msgspec.json.decode(r["scopes"]):
            continue
        live = [r["webhook_secret"]]
        if r["webhook_previous_secret"] and (r["webhook_previous_until"] or "") > now:
            live.append(r["webhook_previous_secret"])
        out.append(Subscriber(r["id"], r["agency_id"], r["webhook_url"], live))
    return out


def cursor(conn: sqlite3.Connection) -> int:
    """The worker's position in the change feed."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'notify_seq'").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True, slots=True)
class Plan:
    """What one fill will write: the feed rows (``after``, ``position``] mapped to the
    coalesced events of each subscribed client."""

    after: int
    position: int
    entries: list[tuple[str, list[Coalesced]]]


def plan(conn: sqlite3.Connection, batch: int = BATCH) -> Plan:
    """Read the next feed rows after the cursor and decide each subscriber's events (runs on
    a reader, so the single writer is not held up by the page's SQL)."""
    after = cursor(conn)
    position = page_end(conn, after, batch)
    per_agency: dict[str, list[Coalesced]] = {}
    entries: list[tuple[str, list[Coalesced]]] = []
    if position > after:
        for sub in subscribers(conn):
            if sub.agency_id not in per_agency:  # clients of one agency see the same events
                per_agency[sub.agency_id] = agency_entries(conn, sub.agency_id, after, position)
            if per_agency[sub.agency_id]:
                entries.append((sub.client_id, per_agency[sub.agency_id]))
    return Plan(after, position, entries)


def apply(conn: sqlite3.Connection, planned: Plan, coalesce_ms: int) -> int:
    """Write a plan's outbox rows and move the cursor, in one transaction; return the feed
    rows it covered. Nothing happens when the cursor moved since the plan was made."""
    if planned.position == planned.after or cursor(conn) != planned.after:
        return 0
    for client_id, entries in planned.entries:
        _fold(conn, client_id, entries, coalesce_ms)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('notify_seq', ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(planned.position),),
    )
    return planned.position - planned.after


def fill(conn: sqlite3.Connection, coalesce_ms: int, batch: int = BATCH) -> int:
    """Plan and apply in one transaction; return the feed rows looked at."""
    return apply(conn, plan(conn, batch), coalesce_ms)


def _fold(
    conn: sqlite3.Connection, client_id: str, entries: list[Coalesced], coalesce_ms: int
) -> None:
    """Per case of ``entries`` (one each): fold into the case's notification still waiting
    out its coalescing window, or queue a new one no sooner than the window after the
    previous one. A notification already due may be in flight, so nothing is folded into it.
    Two queries and two batched writes per client, whatever the number of cases."""
    cases = msgspec.json.encode([e.case_id for e in entries]).decode()
    pending: dict[str, tuple[str, str]] = {}
    for row in conn.execute(
        "SELECT case_id, id, types FROM notification_outbox WHERE client_id = ?"
        " AND case_id IN (SELECT value FROM json_each(?)) AND state = 'pending'"
        " AND attempts = 0 AND due_at > ? ORDER BY created_at",
        (client_id, cases, now_iso()),
    ):
        pending[row[0]] = (row[1], row[2])  # the newest one per case wins
    last: dict[str, str] = dict(
        conn.execute(
            "SELECT case_id, MAX(created_at) FROM notification_outbox WHERE client_id = ?"
            " AND case_id IN (SELECT value FROM json_each(?)) GROUP BY case_id",
            (client_id, cases),
        ).fetchall()
    )
    created = utc_now()
    window = timedelta(milliseconds=coalesce_ms)
    updates: list[tuple[str, int, str]] = []
    inserts: list[tuple[str, str, str, str, int, str, str]] = []
    for entry in entries:
        found = pending.get(entry.case_id)
        if found is not None:
            merged = list(msgspec.json.decode(found[1]))
            merged += [t for t in entry.types if t not in merged]
            updates.append((msgspec.json.encode(merged).decode(), entry.seq, found[0]))
            continue
        previous = last.get(entry.case_id)
        due = created if previous is None else max(created, parse_iso(previous) + window)
        inserts.append(
            (
                uuid7(),
                client_id,
                entry.case_id,
                msgspec.json.encode(list(entry.types)).decode(),
                entry.seq,
                iso(created),
                iso(due),
            )
        )
    conn.executemany("UPDATE notification_outbox SET types = ?, seq = ? WHERE id = ?", updates)
    conn.executemany(
        "INSERT INTO notification_outbox (id, client_id, case_id, types, seq, created_at,"
        " due_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        inserts,
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to send now."""

    id: str
    client_id: str
    case_id: str
    types: list[str]
    seq: int
    created_at: str
    attempts: int
    url: str
    secrets: list[str]


def due(conn: sqlite3.Connection, limit: int) -> list[Delivery]:
    """Pending notifications whose time has come, oldest first, with their endpoint."""
    subs = {s.client_id: s for s in subscribers(conn)}
    # Only rows of current subscribers count towards the limit: rows of a client whose
    # endpoint was cleared wait (unsent) without holding up everybody else's.
    rows = conn.execute(
        "SELECT * FROM notification_outbox WHERE state = 'pending' AND due_at <= ?"
        " AND client_id IN (SELECT value FROM json_each(?)) ORDER BY due_at, id LIMIT ?",
        (now_iso(), msgspec.json.encode(list(subs)).decode(), limit),
    ).fetchall()
    return [
        Delivery(
            id=r["id"],
            client_id=r["client_id"],
            case_id=r["case_id"],
            types=list(msgspec.json.decode(r["types"])),
            seq=r["seq"],
            created_at=r["created_at"],
            attempts=r["attempts"],
            url=subs[r["client_id"]].url,
            secrets=subs[r["client_id"]].secrets,
        )
        for r in rows
        if r["client_id"] in subs
    ]


def next_due(conn: sqlite3.Connection) -> str | None:
    """When the next pending notification is due."""
    row = conn.execute(
        "SELECT MIN(due_at) FROM notification_outbox WHERE state = 'pending'"
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt: delivered (``ok``), to retry at ``retry_at``,
    or dead (neither)."""

    delivery_id: str
    ok: bool
    status: int | None
    error: str | None
    retry_at: str | None


def record_attempts(conn: sqlite3.Connection, attempts: list[Attempt]) -> None:
    """Store the outcomes of a batch of attempts (two batched statements)."""
    now = now_iso()
    conn.executemany(
        "UPDATE notification_outbox SET state = 'delivered', attempts = attempts + 1,"
        " last_status = ?, last_error = NULL, delivered_at = ? WHERE id = ?",
        [(a.status, now, a.delivery_id) for a in attempts if a.ok],
    )
    conn.executemany(
        "UPDATE notification_outbox SET attempts = attempts + 1, last_status = ?,"
        " last_error = ?, state = ?, due_at = COALESCE(?, due_at) WHERE id = ?",
        [
            (
                a.status,
                (a.error or "")[:500],
                "pending" if a.retry_at else "dead",
                a.retry_at,
                a.delivery_id,
            )
            for a in attempts
            if not a.ok
        ],
    )


def replay(conn: sqlite3.Connection, delivery_ids: list[str]) -> int:
    """Queue dead-lettered notifications again (fresh attempts); return how many."""
    count = 0
    for delivery_id in delivery_ids:
        count += conn.execute(
            "UPDATE notification_outbox SET state = 'pending', attempts = 0, due_at = ?"
            " WHERE id = ? AND state = 'dead'",
            (now_iso(), delivery_id),
        ).rowcount
    return count


def listing(
    conn: sqlite3.Connection, client_id: str | None, state: str | None, limit: int
) -> list[sqlite3.Row]:
    """Notifications, newest first, optionally of one client and state."""
    return conn.execute(
        "SELECT * FROM notification_outbox WHERE (?1 IS NULL OR client_id = ?1)"
        " AND (?2 IS NULL OR state = ?2) ORDER BY created_at DESC, id DESC LIMIT ?3",
        (client_id, state, limit),
    ).fetchall()
