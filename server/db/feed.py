"""The change feed: every applied change takes the next global ``server_seq``."""

from __future__ import annotations

import sqlite3
from typing import Protocol

from server.db.rows import insert_rows
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


class ChangeRecorder(Protocol):
    """Anything that records a change like :func:`record_change` and returns its seq."""

    def __call__(
        self,
        conn: sqlite3.Connection,
        kind: str,
        entity_id: str,
        *,
        case_id: str | None = None,
        checklist_id: str | None = None,
        user_id: str | None = None,
    ) -> int: ...


class ChangeBuffer:
    """Allocates ``server_seq`` values for one write unit and inserts the rows with one
    multi-row INSERT (:meth:`flush`, :func:`insert_rows`), instead of one INSERT per change.

    Only valid while nothing else appends to ``changes`` in between, which holds inside one
    unit on the single writer as long as the unit records every change through this buffer.
    """

    def __init__(self, at: str) -> None:
        self.at = at
        self.rows: list[tuple[int, str, str, str | None, str | None, str | None, str]] = []
        self._next: int | None = None

    def __call__(
        self,
        conn: sqlite3.Connection,
        kind: str,
        entity_id: str,
        *,
        case_id: str | None = None,
        checklist_id: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """Allocate the next seq for a change (inserted at :meth:`flush`)."""
        if self._next is None:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
            self._next = (int(row[0]) if row is not None else 0) + 1
        seq = self._next
        self._next += 1
        self.rows.append((seq, kind, entity_id, case_id, checklist_id, user_id, self.at))
        return seq

    def mark(self) -> int:
        """A position to :meth:`reset` to when a savepoint rolls back."""
        return len(self.rows)

    def reset(self, mark: int) -> None:
        """Forget the changes allocated after ``mark``."""
        del self.rows[mark:]
        self._next = self.rows[-1][0] + 1 if self.rows else None

    def flush(self, conn: sqlite3.Connection) -> None:
        """Insert the buffered change rows."""
        if self.rows:
            insert_rows(
                conn,
                "INSERT INTO changes (seq, kind, entity_id, case_id, checklist_id, user_id, at)",
                "(?, ?, ?, ?, ?, ?, ?)",
                self.rows,
            )
            self.rows.clear()
