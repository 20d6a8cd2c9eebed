"""What every ``schouw`` command shares: its error type, the connection and a transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from server.auth.repository import agency_ids
from server.db.database import open_sync
from server.db.migrate import migrate
from server.settings import Settings


class CliError(Exception):
    """A command failed for a reason the operator can fix; the message says how."""


def connect(settings: Settings) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the database of the data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = open_sync(settings.db_path)
    migrate(conn)
    return conn


def write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def unknown_agency(conn: sqlite3.Connection, agency: str) -> CliError:
    """The error for an agency slug that does not exist, listing the ones that do."""
    known = ", ".join(agency_ids(conn))
    return CliError(f"unknown agency {agency!r}; known agencies: {known or '(none)'}")
