"""Partner API clients and their access tokens: the SQL, and the decisions on secrets.

A client authenticates with its id and secret (argon2id hash, as ``schouw client add`` stores
it). During a rotation the previous secret keeps working until ``previous_secret_until``.
Access tokens are opaque, valid :attr:`Settings.partner_token_ttl` seconds, stored as sha256.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from server.audit.log import Actor
from server.auth.passwords import verify_password
from server.auth.tokens import token_hash
from server.lib.clock import iso, now_iso, utc_now

SCOPES = ("cases:read", "changes:read", "photos:read", "signals:write", "notifications")
"""Every scope a partner client can be given."""

TOKEN_PREFIX = "sp_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True, slots=True)
class ClientSecrets:
    """What is needed to check a client's secret."""

    client_id: str
    agency_id: str
    scopes: frozenset[str]
    secret_hash: str
    previous_hash: str | None
    previous_until: str | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class PartnerCaller:
    """A partner client acting through one access token."""

    client_id: str
    agency_id: str
    scopes: frozenset[str]
    ip: str | None = None

    def actor(self) -> Actor:
        """This caller as the actor of an audit event."""
        return Actor(
            type="client", id=self.client_id, agency_id=self.agency_id, role="partner", ip=self.ip
        )


def load_secrets(conn: sqlite3.Connection, client_id: str) -> ClientSecrets | None:
    """The secrets and state of one client, or None when there is no such client."""
    row = conn.execute(
        "SELECT id, agency_id, scopes, secret_hash, previous_secret_hash, previous_secret_until,"
        " revoked_at FROM api_clients WHERE id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return None
    return ClientSecrets(
        client_id=row["id"],
        agency_id=row["agency_id"],
        scopes=frozenset(msgspec.json.decode(row["scopes"])),
        secret_hash=row["secret_hash"],
        previous_hash=row["previous_secret_hash"],
        previous_until=row["previous_secret_until"],
        revoked=row["revoked_at"] is not None,
    )


def secret_matches(client: ClientSecrets | None, secret: str, now: str) -> str | None:
    """Which secret matched (``current`` / ``previous``), or None. Slow: run in a thread.

    An unknown client spends the same time as a known one.
    """
    if client is None:
        verify_password(None, secret)
        return None
    if verify_password(client.secret_hash, secret):
        return "current"
    if (
        client.previous_hash is not None
        and client.previous_until is not None
        and now < client.previous_until
        and verify_password(client.previous_hash, secret)
    ):
        return "previous"
    return None


def issue_token(conn: sqlite3.Connection, client_id: str, scopes: list[str], ttl: int) -> str:
    """Store a new access token for the client (inside a write); return the token."""
    now = utc_now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        "DELETE FROM client_tokens WHERE client_id = ? AND expires_at < ?", (client_id, iso(now))
    )
    conn.execute(
        "INSERT INTO client_tokens (hash, client_id, scopes, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            token_hash(token),
            client_id,
            msgspec.json.encode(sorted(scopes)).decode(),
            iso(now),
            iso(now + timedelta(seconds=ttl)),
        ),
    )
    return token


@dataclass(frozen=True, slots=True)
class TokenState:
    """A stored token joined with its client."""

    client_id: str
    agency_id: str
    scopes: frozenset[str]
    expired: bool
    revoked: bool


def resolve_token(conn: sqlite3.Connection, token: str) -> TokenState | None:
    """The client behind an access token, or None for an unknown token."""
    row = conn.execute(
        "SELECT t.client_id, t.scopes, t.expires_at, c.agency_id, c.revoked_at"
        " FROM client_tokens t JOIN api_clients c ON c.id = t.client_id WHERE t.hash = ?",
        (token_hash(token),),
    ).fetchone()
    if row is None:
        return None
    return TokenState(
        client_id=row["client_id"],
        agency_id=row["agency_id"],
        scopes=frozenset(msgspec.json.decode(row["scopes"])),
        expired=row["expires_at"] <= now_iso(),
        revoked=row["revoked_at"] is not None,
    )


def end_client_tokens(conn: sqlite3.Connection, client_id: str) -> int:
    """Delete every access token of a client (revocation); return how many."""
    return conn.execute("DELETE FROM client_tokens WHERE client_id = ?", (client_id,)).rowcount


def rotate_secret(
    conn: sqlite3.Connection, client_id: str, new_hash: str, overlap: timedelta
) -> str:
    """Make ``new_hash`` the current secret; the old one works until the returned time."""
    until = iso(utc_now() + overlap)
    conn.execute(
        "UPDATE api_clients SET previous_secret_hash = secret_hash, previous_secret_until = ?,"
        " secret_hash = ? WHERE id = ?",
        (until, new_hash, client_id),
    )
    return until


@dataclass(frozen=True, slots=True)
class WebhookState:
    """A client's endpoint and signing secrets."""

    client_id: str
    scopes: frozenset[str]
    revoked: bool
    url: str | None
    secret: str | None


def webhook_state(conn: sqlite3.Connection, client_id: str) -> WebhookState | None:
    """The endpoint state of one client, or None when there is no such client."""
    row = conn.execute(
        "SELECT id, scopes, revoked_at, webhook_url, webhook_secret FROM api_clients WHERE id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return None
    return WebhookState(
        client_id=row["id"],
        scopes=frozenset(msgspec.json.decode(row["scopes"])),
        revoked=row["revoked_at"] is not None,
        url=row["webhook_url"],
        secret=row["webhook_secret"],
    )


def set_webhook(
    conn: sqlite3.Connection,
    client_id: str,
    url: str,
    new_secret: str | None,
    overlap: timedelta,
) -> None:
    """Register the endpoint; with ``new_secret`` the current secret keeps signing for
    ``overlap`` next to the new one.

    While no client has an endpoint the notification worker does not move its cursor; the
    first endpoint starts it at the present, so nobody is notified of older changes.
    """
    if conn.execute("SELECT 1 FROM api_clients WHERE webhook_url IS NOT NULL").fetchone() is None:
        conn.execute(
            "UPDATE meta SET value = (SELECT COALESCE(MAX(seq), 0) FROM changes)"
            " WHERE key = 'notify_seq'"
        )
    if new_secret is None:
        conn.execute("UPDATE api_clients SET webhook_url = ? WHERE id = ?", (url, client_id))
        return
    conn.execute(
        "UPDATE api_clients SET webhook_url = ?, webhook_previous_secret = webhook_secret,"
        " webhook_previous_until = CASE WHEN webhook_secret IS NULL THEN NULL ELSE ? END,"
        " webhook_secret = ? WHERE id = ?",
        (url, iso(utc_now() + overlap), new_secret, client_id),
    )


def clear_webhook(conn: sqlite3.Connection, client_id: str) -> None:
    """Remove the endpoint and its secrets (pending notifications stay, unsent)."""
    conn.execute(
        "UPDATE api_clients SET webhook_url = NULL, webhook_secret = NULL,"
        " webhook_previous_secret = NULL, webhook_previous_until = NULL WHERE id = ?",
        (client_id,),
    )
