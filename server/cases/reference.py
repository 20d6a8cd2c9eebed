"""Case references: ``RIT-<year>-<NNNN>``, unique through the cases table."""

from __future__ import annotations

import sqlite3

from server.lib.clock import utc_now


def next_case_reference(conn: sqlite3.Connection) -> str:
    """The next free reference of the current year, e.g. ``RIT-2026-0042``.

    Runs on the single writer inside the transaction that inserts the case, so two calls
    never hand out the same number. Numbers grow past four digits when a year needs it.
    """
    prefix = f"RIT-{utc_now().year}-"
    row = conn.execute(
        "SELECT MAX(CAST(substr(reference, ?) AS INTEGER)) FROM cases WHERE reference LIKE ?",
        (len(prefix) + 1, prefix + "%"),
    ).fetchone()
    number = int(row[0] or 0) + 1
    return f"{prefix}{number:04d}"
