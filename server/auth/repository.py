"""The SQL of the auth domain's tables: agencies, users, devices and partner API clients.

Every function runs on the caller's connection and inside the caller's transaction; none
commits. The admin commands, the demo world and the test helpers write users, devices and
clients through these functions, so each statement is written once.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.lib.clock import now_iso


def agency_exists(conn: sqlite3.Connection, agency_id: str) -> bool:
    """Whether an agency with this slug exists."""
    return conn.execute("SELECT 1 FROM agencies WHERE id = ?", (agency_id,)).fetchone() is not None


def agency_ids(conn: sqlite3.Connection) -> list[str]:
    """Every agency slug, sorted."""
    return [str(r[0]) for r in conn.execute("SELECT id FROM agencies ORDER BY id")]


def insert_agency(conn: sqlite3.Connection, agency_id: str, name: str, kind: str) -> None:
    """Insert one agency (the slug must be free)."""
    conn.execute("INSERT INTO agencies (id, name, kind) VALUES (?, ?, ?)", (agency_id, name, kind))


def ensure_agencies(conn: sqlite3.Connection, agencies: list[tuple[str, str, str]]) -> None:
    """Insert ``(id, name, kind)`` agencies that are missing; keep the ones that exist."""
    conn.executemany("INSERT OR IGNORE INTO agencies (id, name, kind) VALUES (?, ?, ?)", agencies)


def list_agencies(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows ``id, kind, name`` ordered by id."""
    return conn.execute("SELECT id, kind, name FROM agencies ORDER BY id").fetchall()


def insert_user(
    conn: sqlite3.Connection,
    user_id: str,
    *,
    username: str,
    name: str,
    agency_id: str,
    roles: list[str],
    password_hash: str,
) -> None:
    """Insert one user (the username must be free)."""
    conn.execute(
        "INSERT INTO users (id, username, name, agency_id, roles, password_hash, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            user_id,
            username,
            name,
            agency_id,
            msgspec.json.encode(roles).decode(),
            password_hash,
            now_iso(),
        ),
    )


def user_id_by_username(conn: sqlite3.Connection, username: str) -> str | None:
    """The id of the user with this username, or ``None``."""
    row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else str(row[0])


def count_users(conn: sqlite3.Connection) -> int:
    """How many users exist (disabled ones included)."""
    return int(conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])


def disable_user(conn: sqlite3.Connection, user_id: str) -> None:
    """Mark the user disabled now (ending their tokens is :mod:`server.auth.tokens`' job)."""
    conn.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now_iso(), user_id))


def list_users(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows ``id, username, name, agency_id, roles, disabled_at`` by agency and username."""
    return conn.execute(
        "SELECT id, username, name, agency_id, roles, disabled_at FROM users"
        " ORDER BY agency_id, username"
    ).fetchall()


def list_devices(conn: sqlite3.Connection, username: str | None = None) -> list[sqlite3.Row]:
    """Rows ``id, username, label, last_seen_at, revoked_at, last_seq``, optionally of one user."""
    query = (
        "SELECT d.id, u.username, d.label, d.last_seen_at, d.revoked_at, d.last_seq"
        " FROM devices d JOIN users u ON u.id = d.user_id"
    )
    params: tuple[str, ...] = ()
    if username:
        query += " WHERE u.username = ?"
        params = (username,)
    return conn.execute(query + " ORDER BY u.username, d.registered_at", params).fetchall()


def revoke_device(conn: sqlite3.Connection, device_id: str) -> bool | None:
    """Revoke a device now; ``None`` if it does not exist, False if it already was revoked."""
    row = conn.execute("SELECT revoked_at FROM devices WHERE id = ?", (device_id,)).fetchone()
    if row is None:
        return None
    if row[0] is not None:
        return False
    conn.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (now_iso(), device_id))
    return True


def insert_client(
    conn: sqlite3.Connection,
    client_id: str,
    *,
    name: str,
    agency_id: str,
    secret_hash: str,
    scopes: list[str],
) -> None:
    """Insert one partner API client."""
    conn.execute(
        "INSERT INTO api_clients (id, name, agency_id, secret_hash, scopes, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            client_id,
            name,
            agency_id,
            secret_hash,
            msgspec.json.encode(scopes).decode(),
            now_iso(),
        ),
    )


def revoke_client(conn: sqlite3.Connection, client_id: str) -> bool | None:
    """Revoke a client now; ``None`` if it does not exist, False if it already was revoked."""
    row = conn.execute("SELECT revoked_at FROM api_clients WHERE id = ?", (client_id,)).fetchone()
    if row is None:
        return None
    if row[0] is not None:
        return False
    conn.execute("UPDATE api_clients SET revoked_at = ? WHERE id = ?", (now_iso(), client_id))
    return True


def list_clients(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Rows ``id, name, agency_id, scopes, created_at, revoked_at`` (never the secret)."""
    return conn.execute(
        "SELECT id, name, agency_id, scopes, created_at, revoked_at FROM api_clients"
        " ORDER BY agency_id, created_at"
    ).fetchall()


def user_by_username(conn: sqlite3.Connection, username: str) -> sqlite3.Row | None:
    """The whole ``users`` row with this username, or ``None``."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE username = ?", (username,)
    ).fetchone()
    return row


def user_by_id(conn: sqlite3.Connection, user_id: str) -> sqlite3.Row:
    """The whole ``users`` row of an existing user (the caller holds a reference to it)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no user {user_id}")
    return row


def device_binding(conn: sqlite3.Connection, device_id: str) -> sqlite3.Row | None:
    """``user_id, revoked_at`` of a registered device, or ``None``."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT user_id, revoked_at FROM devices WHERE id = ?", (device_id,)
    ).fetchone()
    return row


def register_device(conn: sqlite3.Connection, device_id: str, user_id: str, label: str) -> None:
    """Register a device for a user, answered in the current epoch.

    Registered in the current epoch, its first push is not taken as "after a restore".
    """
    now = now_iso()
    conn.execute(
        "INSERT INTO devices (id, user_id, label, registered_at, last_seen_at, answered_epoch)"
        " VALUES (?, ?, ?, ?, ?, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch'))",
        (device_id, user_id, label, now, now),
    )


def touch_device(conn: sqlite3.Connection, device_id: str, *, label: str | None = None) -> None:
    """Note that the device was seen now; replace its label when one is given."""
    conn.execute(
        "UPDATE devices SET last_seen_at = ?, label = COALESCE(?, label) WHERE id = ?",
        (now_iso(), label, device_id),
    )
