"""Opaque bearer tokens, stored only as sha256 hashes, in families.

Every pair issued by one login belongs to one **family**; refreshing rotates the pair within
the family and remembers the rotated-out refresh token (``spent_refresh_tokens``) until it
would have expired. Presenting a remembered one again means two parties hold the family's
tokens: the whole family ends (:func:`end_family`).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import timedelta

import msgspec

from server.lib.clock import iso, utc_now
from server.lib.ids import uuid7


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenPair(msgspec.Struct):
    """A freshly issued access + refresh token pair."""

    access_token: str
    refresh_token: str
    expires_in: int


def issue_pair(
    conn: sqlite3.Connection,
    user_id: str,
    device_id: str,
    access_ttl: int,
    refresh_ttl: int,
    *,
    family: str | None = None,
) -> TokenPair:
    """Create an access and a refresh token bound to ``device_id`` (inside a write), in
    ``family`` (a new family when None: a login)."""
    now = utc_now()
    family = family or uuid7()
    access = "sa_" + secrets.token_urlsafe(32)
    refresh = "sr_" + secrets.token_urlsafe(32)
    conn.execute("DELETE FROM tokens WHERE device_id = ? AND expires_at < ?", (device_id, iso(now)))
    conn.execute("DELETE FROM spent_refresh_tokens WHERE expires_at < ?", (iso(now),))
    conn.executemany(
        "INSERT INTO tokens (hash, kind, user_id, device_id, created_at, expires_at, family)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                token_hash(access),
                "access",
                user_id,
                device_id,
                iso(now),
                iso(now + timedelta(seconds=access_ttl)),
                family,
            ),
            (
                token_hash(refresh),
                "refresh",
                user_id,
                device_id,
                iso(now),
                iso(now + timedelta(seconds=refresh_ttl)),
                family,
            ),
        ],
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=access_ttl)


def spend_refresh(conn: sqlite3.Connection, hashed: str, family: str) -> None:
    """Rotate a refresh token out: delete it, and remember it until it would have expired."""
    conn.execute(
        "INSERT OR IGNORE INTO spent_refresh_tokens (hash, family, user_id, device_id,"
        " spent_at, expires_at) SELECT hash, ?, user_id, device_id, ?, expires_at FROM tokens"
        " WHERE hash = ?",
        (family, iso(utc_now()), hashed),
    )
    conn.execute("DELETE FROM tokens WHERE hash = ?", (hashed,))


def spent_family(conn: sqlite3.Connection, hashed: str) -> sqlite3.Row | None:
    """The remembered rotated-out refresh token (family, user, device), or None."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT family, user_id, device_id FROM spent_refresh_tokens WHERE hash = ?"
        " AND expires_at >= ?",
        (hashed, iso(utc_now())),
    ).fetchone()
    return row


def end_family(conn: sqlite3.Connection, family: str) -> int:
    """Delete every token of a family; return how many."""
    return conn.execute("DELETE FROM tokens WHERE family = ?", (family,)).rowcount


def end_device_tokens(conn: sqlite3.Connection, device_id: str) -> int:
    """Delete every token of a device; return how many."""
    return conn.execute("DELETE FROM tokens WHERE device_id = ?", (device_id,)).rowcount


def end_user_tokens(conn: sqlite3.Connection, user_id: str) -> int:
    """Delete every token of a user; return how many."""
    return conn.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,)).rowcount
