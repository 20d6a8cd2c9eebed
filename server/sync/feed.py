"""The change feed: every applied change takes the next global ``server_seq``."""

from __future__ import annotations

import sqlite3

from server.lib.clock import now_iso


def record_change(
    conn: sqlite3.Connection,
    kind: str,
    entity_id: str,
    *,
    case_id: str | None = None,
    checklist_id: str | None = None,
    user_id: str | None = None,
) -> int:
    """Append a change-feed row in the current transaction; return its ``server_seq``.

    The caller stores the returned value as the changed row's ``rev``. ``user_id`` addresses
    the row to one user (grants and evictions).
    """
    cur = conn.execute(
        "INSERT INTO changes (kind, entity_id, case_id, checklist_id, user_id, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (kind, entity_id, case_id, checklist_id, user_id, now_iso()),
    )
    return int(cur.lastrowid or 0)


def current_epoch(conn: sqlite3.Connection) -> int:
    """The database epoch (new after every restore)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
    return int(row[0])
