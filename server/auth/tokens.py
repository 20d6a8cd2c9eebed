"""Opaque bearer tokens, stored only as sha256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from datetime import timedelta

import msgspec

from server.lib.clock import iso, utc_now


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenPair(msgspec.Struct):
    """A freshly issued access + refresh token pair."""

    access_token: str
    refresh_token: str
    expires_in: int


def issue_pair(
    conn: sqlite3.Connection, user_id: str, device_id: str, access_ttl: int, refresh_ttl: int
) -> TokenPair:
    """Create an access and a refresh token bound to ``device_id`` (inside a write)."""
    now = utc_now()
    access = "sa_" + secrets.token_urlsafe(32)
    refresh = "sr_" + secrets.token_urlsafe(32)
    conn.execute("DELETE FROM tokens WHERE device_id = ? AND expires_at < ?", (device_id, iso(now)))
    conn.executemany(
        "INSERT INTO tokens (hash, kind, user_id, device_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                token_hash(access),
                "access",
                user_id,
                device_id,
                iso(now),
                iso(now + timedelta(seconds=access_ttl)),
            ),
            (
                token_hash(refresh),
                "refresh",
                user_id,
                device_id,
                iso(now),
                iso(now + timedelta(seconds=refresh_ttl)),
            ),
        ],
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=access_ttl)


def end_device_tokens(conn: sqlite3.Connection, device_id: str) -> int:
    """Delete every token of a device; return how many."""
    return conn.execute("DELETE FROM tokens WHERE device_id = ?", (device_id,)).rowcount


def end_user_tokens(conn: sqlite3.Connection, user_id: str) -> int:
    """Delete every token of a user; return how many."""
    return conn.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,)).rowcount
