"""Append audit events inside the caller's transaction; verify the hash chain.

Each event's hash is ``sha256(prev_hash || canonical JSON of its fields)``. The first event
chains from :data:`GENESIS`. Because every write runs on the single writer, the chain is
strictly linear.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

import msgspec

from server.lib.clock import now_iso

GENESIS = "0" * 64

_FIELDS = (
    "at",
    "actor_type",
    "actor_id",
    "agency_id",
    "role",
    "device_id",
    "ip",
    "action",
    "object_type",
    "object_id",
    "result",
    "detail",
)


class Actor(msgspec.Struct, frozen=True):
    """Who did it and from where."""

    type: str  # user, client, system, anonymous
    id: str | None = None
    agency_id: str | None = None
    role: str | None = None
    device_id: str | None = None
    ip: str | None = None


SYSTEM = Actor(type="system", id="schouw")


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    canonical = msgspec.json.encode([row.get(name) for name in _FIELDS])
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


def append(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    *,
    result: str = "ok",
    object_type: str | None = None,
    object_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one event in the current transaction; return its id."""
    last = conn.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = last[0] if last else GENESIS
    row: dict[str, Any] = {
        "at": now_iso(),
        "actor_type": actor.type,
        "actor_id": actor.id,
        "agency_id": actor.agency_id,
        "role": actor.role,
        "device_id": actor.device_id,
        "ip": actor.ip,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "result": result,
        "detail": msgspec.json.encode(detail or {}).decode(),
    }
    digest = _digest(prev_hash, row)
    cur = conn.execute(
        "INSERT INTO audit_events (at, actor_type, actor_id, agency_id, role, device_id, ip,"
        " action, object_type, object_id, result, detail, prev_hash, hash)"
        " VALUES (:at, :actor_type, :actor_id, :agency_id, :role, :device_id, :ip, :action,"
        " :object_type, :object_id, :result, :detail, :prev_hash, :hash)",
        {**row, "prev_hash": prev_hash, "hash": digest},
    )
    return int(cur.lastrowid or 0)


class VerifyResult(msgspec.Struct, frozen=True):
    """Outcome of :func:`verify`: ``broken_at`` names the first bad event id, if any."""

    ok: bool
    events: int
    broken_at: int | None = None
    reason: str | None = None


def verify(conn: sqlite3.Connection, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order (paged, bounded memory) and recompute every hash."""
    prev_hash = GENESIS
    count = 0
    last_id = 0
    while True:
        rows = conn.execute(
            "SELECT id, " + ", ".join(_FIELDS) + ", prev_hash, hash FROM audit_events"
            " WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, batch),
        ).fetchall()
        if not rows:
            return VerifyResult(ok=True, events=count)
        for r in rows:
            row = {name: r[name] for name in _FIELDS}
            if r["prev_hash"] != prev_hash:
                return VerifyResult(
                    ok=False,
                    events=count,
                    broken_at=r["id"],
                    reason="prev_hash does not match the previous event (event removed or "
                    "reordered)",
                )
            if _digest(prev_hash, row) != r["hash"]:
                return VerifyResult(
                    ok=False,
                    events=count,
                    broken_at=r["id"],
                    reason="content does not match its hash (event altered)",
                )
            prev_hash = r["hash"]
            count += 1
            last_id = r["id"]
