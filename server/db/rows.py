"""Many rows into one table with one multi-row ``INSERT`` statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

MAX_ROWS = 500
MAX_STATEMENTS = 128  # statement texts kept for reuse (as many as sqlite3 keeps prepared)
_SHAREABLE = frozenset({str, bytes, type(None)})
"""Types of which every value equal to one is the same SQL value; an ``int`` is equal to a
``float`` of another SQL type (``1 == 1.0``), so a column of ints is checked for floats."""
_statements: dict[tuple[str, str, str, int, tuple[int, ...]], str] = {}


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
    fewer instructions per row of the change feed). A column that holds the same value in
    every row of a statement (the device, the time of the push, ...) is bound once and named
    by number in every row (``?1``): binding a value costs more than SQLite's copy of it. A
    statement takes at most ``SQLITE_LIMIT_VARIABLE_NUMBER`` bound values and
    :data:`MAX_ROWS` rows (which keeps its text well under ``SQLITE_LIMIT_SQL_LENGTH``):
    longer lists go in chunks, in order.
    """
    if not rows:
        return
    width = row.count("?")
    per = max(1, min(MAX_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        shared = _shared_columns(chunk) if len(chunk) > 1 else ()
        if not shared:
            conn.execute(
                f"{head} VALUES {', '.join([row] * len(chunk))}{tail}",
                list(chain.from_iterable(chunk)),
            )
            continue
        key = (head, row, tail, len(chunk), shared)
        sql = _statements.get(key)
        if sql is None:
            if len(_statements) >= MAX_STATEMENTS:
                _statements.clear()
            sql = _statements[key] = _numbered(head, row, tail, len(chunk), shared)
        keep = [i for i in range(width) if i not in shared]
        params = [chunk[0][i] for i in shared]
        if len(keep) == 1:
            params += [r[keep[0]] for r in chunk]
        elif keep:
            params += chain.from_iterable(map(itemgetter(*keep), chunk))
        conn.execute(sql, params)


def _shared_columns(chunk: Sequence[Sequence[Any]]) -> tuple[int, ...]:
    """The columns that hold the same SQL value in every row (row values are plain SQL
    values: str, int, float, bytes or None)."""
    shared = []
    count = len(chunk)
    for index, column in enumerate(zip(*chunk, strict=True)):
        first = column[0]
        kind = type(first)
        if (kind in _SHAREABLE or kind is int) and column.count(first) == count:
            if kind is int and float in set(map(type, column)):
                continue
            shared.append(index)
    return tuple(shared)


def _numbered(head: str, row: str, tail: str, count: int, shared: tuple[int, ...]) -> str:
    """The statement for ``count`` rows whose ``shared`` columns are bound once (``?1``,
    ``?2``, ... in the order of ``shared``), the other values after them, row by row."""
    parts = row.split("?")
    width = len(parts) - 1
    number = {column: n + 1 for n, column in enumerate(shared)}
    following = len(shared)
    texts = []
    for _ in range(count):
        text = [parts[0]]
        for column in range(width):
            if column not in number:
                following += 1
            text.append(f"?{number.get(column, following)}{parts[column + 1]}")
        texts.append("".join(text))
    return f"{head} VALUES {', '.join(texts)}{tail}"
