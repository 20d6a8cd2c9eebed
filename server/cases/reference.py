"""Case references ``RIT-<year>-<NNNN>``, allocated inside the caller's write transaction."""

from __future__ import annotations

import sqlite3

from server.lib.clock import utc_now
from server.lib.numbers import ascii_digits


def next_case_reference(conn: sqlite3.Connection, year: int | None = None) -> str:
    """The next free reference of ``year`` (default: this UTC year).

    Runs on the single writer, so two callers never get the same number. Numbers above
    9999 simply grow a digit (``RIT-2026-10000``).
    """
    year = year or utc_now().year
    prefix = f"RIT-{year}-"
    row = conn.execute(
        "SELECT reference FROM cases WHERE reference LIKE ?"
        " ORDER BY length(reference) DESC, reference DESC LIMIT 1",
        (prefix + "%",),
    ).fetchone()
    number = 1
    if row is not None:
        tail = row[0][len(prefix) :]
        number = int(tail) + 1 if ascii_digits(tail, 18) else 1
    return f"{prefix}{number:04d}"
