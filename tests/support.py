"""Helpers shared by tests: a seeded world of agencies and users, login, auth headers."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.auth import repository
from server.auth.passwords import hash_password
from server.db import Database
from server.lib.ids import uuid7

PASSWORD = "correct horse battery"
_HASH: str | None = None

AGENCIES = [
    ("gemeente-groningen", "Gemeente Groningen", "gemeente"),
    ("politie", "Politie Noord-Nederland", "politie"),
    ("belastingdienst", "Belastingdienst", "rijk"),
    ("nla", "Nederlandse Arbeidsinspectie", "rijk"),
    ("nvwa", "Nederlandse Voedsel- en Warenautoriteit", "rijk"),
    ("brandweer", "Veiligheidsregio Groningen (brandweer)", "veiligheidsregio"),
]


def password_hash() -> str:
    """One argon2 hash reused by every seeded user (hashing is deliberately slow)."""
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def seed_agencies(conn: sqlite3.Connection) -> None:
    """Insert the standard agencies if missing."""
    repository.ensure_agencies(conn, AGENCIES)


def insert_user(
    conn: sqlite3.Connection, username: str, agency: str, roles: list[str], name: str | None = None
) -> str:
    """Insert a user with :data:`PASSWORD`; return the id."""
    user_id = uuid7()
    repository.insert_user(
        conn,
        user_id,
        username=username,
        name=name or username,
        agency_id=agency,
        roles=roles,
        password_hash=password_hash(),
    )
    return user_id


async def add_user(db: Database, username: str, agency: str, roles: list[str]) -> str:
    """Seed agencies and insert one user through the app's writer."""

    def fn(conn: sqlite3.Connection) -> str:
        seed_agencies(conn)
        return insert_user(conn, username, agency, roles)

    return await db.write(fn)


async def login(client: Any, username: str, device_id: str | None = None) -> dict[str, Any]:
    """Log in and return the response JSON plus ``device_id`` and ready ``headers``."""
    device_id = device_id or uuid7()
    resp = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": device_id},
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    body["device_id"] = device_id
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    return body


def run_schouw(
    data_dir: Any, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Any:
    """Run the ``schouw`` CLI as a real subprocess on ``data_dir``; return the CompletedProcess."""
    import os
    import subprocess
    import sys

    full_env = {**os.environ, "SCHOUW_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "server.admin", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )
