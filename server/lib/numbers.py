"""Numbers from outside: ASCII digits only, and within what SQLite can store.

Python's ``str.isdigit`` and regex ``\\d`` accept any Unicode digit (``"²"``, ``"٣"``), and
Python integers have no upper bound while SQLite stores at most a signed 64-bit integer: an
``int`` that reaches a query unchecked raises ``OverflowError`` (a 500). Every number that
comes from outside is checked with these helpers before it is used.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

SQLITE_INT_MAX = (1 << 63) - 1
"""The largest integer SQLite stores."""

JS_SAFE_INT = (1 << 53) - 1
"""The largest integer the field app (JavaScript) represents exactly."""

SqliteInt = Annotated[int, msgspec.Meta(ge=0, le=SQLITE_INT_MAX)]
"""A non-negative integer that fits a SQLite column."""


def ascii_digits(text: str, max_length: int) -> bool:
    """True when ``text`` is 1 to ``max_length`` ASCII digits ``0``-``9``."""
    return 0 < len(text) <= max_length and text.isascii() and text.isdigit()


def in_sqlite_range(value: int) -> bool:
    """True when ``value`` fits a SQLite integer column."""
    return -SQLITE_INT_MAX - 1 <= value <= SQLITE_INT_MAX
