"""Many rows into one table with one multi-row ``INSERT`` statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any

MAX_ROWS = 500


def insert_rows(
    conn: sqlite3.Connection,
    head: str,
    row: str,
    rows: Sequence[Sequence[Any]],
    tail: str = "",
) -> None:
    """Insert ``rows`` as ``head VALUES row, row, ... tail``, in the order given.

    ``head`` is ``INSERT INTO t (a, b, ...)``, ``row`` one row's values with a ``?`` per
    element of each row (``(?, ?, 'null')``), ``tail`` an optional upsert clause. SQLite runs
    the rows of one ``VALUES`` list one after the other, like an ``executemany`` of the same
    INSERT, but prepares and starts the statement once instead of once per row (about 30 %
    fewer instructions per row of the change feed). A statement takes at most
    ``SQLITE_LIMIT_VARIABLE_NUMBER`` bound values and :data:`MAX_ROWS` rows (which keeps its
    text well under ``SQLITE_LIMIT_SQL_LENGTH``): longer lists go in chunks, in order.
    """
    if not rows:
        return
    width = row.count("?")
    per = max(1, min(MAX_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(
            f"{head} VALUES {', '.join([row] * len(chunk))}{tail}",
            list(chain.from_iterable(chunk)),
        )
