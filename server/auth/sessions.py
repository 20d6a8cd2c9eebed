"""Workspace sessions: a person at a desk, not a device.

A session is an opaque random token in an ``HttpOnly`` cookie; the database keeps only its
sha256. Sessions end after 30 minutes without activity (the live event stream does not
count as activity), 12 hours after login whatever happens, at logout, and at once when the
user is disabled. Each login creates a new token (no session fixation). The login form
counts failures in the same :class:`~server.auth.ratelimit.LoginLimiter` as the API login.

The CSRF token of a session is derived from its secret token (HMAC), so it changes with
every login and needs no storage; only someone holding the cookie can compute it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from server.audit.log import Actor, append
from server.auth.passwords import verify_password
from server.auth.principal import Principal
from server.auth.ratelimit import LoginLimiter
from server.auth.tokens import token_hash
from server.db import Database
from server.lib.clock import iso, parse_iso, utc_now
from server.lib.errors import Forbidden, TooManyRequests, Unauthorized

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Activity is written at most this often per session (one write per page view is wasteful).
TOUCH_INTERVAL = timedelta(seconds=30)
WORKSPACE_ROLES = frozenset({"teamlead", "admin"})
BAD_LOGIN = "Gebruikersnaam of wachtwoord onjuist."


class NotForWorkspace(Forbidden):
    """The user logged in correctly but holds neither the team lead nor the admin role."""

    def __init__(self) -> None:
        super().__init__(
            "De werkplek is voor teamleiders en beheerders. Gebruik de veldapp.",
            slug="workspace-role-required",
        )


def csrf_token(session_token: str) -> str:
    """The CSRF token of the session whose secret token is ``session_token``."""
    return hmac.new(session_token.encode(), b"schouw-workspace-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, presented: str) -> bool:
    """Constant-time comparison of a presented CSRF token with the session's."""
    return hmac.compare_digest(csrf_token(session_token), presented)


@dataclass(frozen=True, slots=True)
class Session:
    """A resolved, live session."""

    token: str
    principal: Principal
    csrf: str


def _principal(user_id: str, row: sqlite3.Row, session_hash: str, ip: str | None) -> Principal:
    return Principal(
        user_id=user_id,
        username=row["username"],
        name=row["name"],
        agency_id=row["agency_id"],
        roles=frozenset(msgspec.json.decode(row["roles"])),
        device_id=None,
        ip=ip,
        session_id=session_hash[:16],
    )


def end_user_sessions(conn: sqlite3.Connection, user_id: str) -> int:
    """Delete every workspace session of a user (inside a write); return how many."""
    return conn.execute("DELETE FROM workspace_sessions WHERE user_id = ?", (user_id,)).rowcount


class SessionService:
    """Login, resolve and logout of workspace sessions against one database."""

    def __init__(self, db: Database, limiter: LoginLimiter) -> None:
        self.db = db
        self.limiter = limiter

    async def login(
        self, username: str, password: str, ip: str, replaces: str | None = None
    ) -> Session:
        """Check the password and the role; create a new session (ending ``replaces``).

        Raises 429 when throttled, 401 for bad credentials or a disabled user, and
        :class:`NotForWorkspace` for a user without the team lead or admin role.
        """
        user_key, ip_key = "user:" + username.lower(), "ip:" + ip
        actor = Actor(type="anonymous", ip=ip)
        wait, stamp = self.limiter.attempt([user_key, ip_key])  # counted before verifying
        if wait:
            await self.db.write(
                lambda c: append(
                    c,
                    actor,
                    "workspace.login",
                    result="throttled",
                    object_type="user",
                    object_id=username[:100],
                )
            )
            raise TooManyRequests(
                f"Te veel mislukte inlogpogingen. Probeer het over {wait} seconden opnieuw.",
                retry_after=wait,
            )
        row = await self.db.read(
            lambda c: c.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        )
        stored = row["password_hash"] if row is not None else None
        ok = await asyncio.to_thread(verify_password, stored, password)
        if not ok or row is None or row["disabled_at"] is not None:
            reason = "disabled" if ok and row is not None else "bad-credentials"
            await self.db.write(
                lambda c: append(
                    c,
                    actor,
                    "workspace.login",
                    result="denied",
                    object_type="user",
                    object_id=username[:100],
                    detail={"reason": reason},
                )
            )
            raise Unauthorized(BAD_LOGIN, slug="login-failed")
        self.limiter.succeed([user_key], [ip_key], stamp)
        roles = frozenset(msgspec.json.decode(row["roles"]))
        user_actor = Actor(
            type="user",
            id=row["id"],
            agency_id=row["agency_id"],
            role=",".join(sorted(roles)),
            ip=ip,
        )
        if not roles & WORKSPACE_ROLES:
            await self.db.write(
                lambda c: append(
                    c,
                    user_actor,
                    "workspace.login",
                    result="denied",
                    object_type="user",
                    object_id=row["id"],
                    detail={"reason": "role"},
                )
            )
            raise NotForWorkspace()
        token = "ws_" + secrets.token_urlsafe(32)
        hashed = token_hash(token)
        now = utc_now()

        def write(conn: sqlite3.Connection) -> None:
            if replaces:
                conn.execute(
                    "DELETE FROM workspace_sessions WHERE hash = ?", (token_hash(replaces),)
                )
            # Sessions that ended by time are cleaned up at each login of the user.
            conn.execute(
                "DELETE FROM workspace_sessions WHERE user_id = ?"
                " AND (expires_at < ? OR last_active_at < ?)",
                (row["id"], iso(now), iso(now - IDLE_TIMEOUT)),
            )
            conn.execute(
                "INSERT INTO workspace_sessions (hash, user_id, created_at, last_active_at,"
                " expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)",
                (hashed, row["id"], iso(now), iso(now), iso(now + ABSOLUTE_TIMEOUT), ip),
            )
            append(
                conn,
                user_actor,
                "workspace.login",
                object_type="user",
                object_id=row["id"],
                detail={"session": hashed[:16]},
            )

        await self.db.write(write)
        return Session(
            token=token, principal=_principal(row["id"], row, hashed, ip), csrf=csrf_token(token)
        )

    async def resolve(self, token: str, ip: str | None, *, activity: bool) -> Session | None:
        """The live session of ``token``, or None when it is unknown or has ended.

        ``activity`` is False for the live event stream: it neither extends the idle
        timeout nor keeps a session alive. A session found expired or belonging to a
        disabled user is deleted on the spot.
        """
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        row = await self.db.read(
            lambda c: c.execute(
                "SELECT s.user_id, s.last_active_at, s.expires_at, u.username, u.name,"
                " u.agency_id, u.roles, u.disabled_at FROM workspace_sessions s"
                " JOIN users u ON u.id = s.user_id WHERE s.hash = ?",
                (hashed,),
            ).fetchone()
        )
        if row is None:
            return None
        now = utc_now()
        idle_end = parse_iso(row["last_active_at"]) + IDLE_TIMEOUT
        if row["disabled_at"] is not None or now >= parse_iso(row["expires_at"]) or now >= idle_end:
            reason = "disabled" if row["disabled_at"] is not None else "expired"
            user_id = row["user_id"]

            def end(conn: sqlite3.Connection) -> None:
                if reason == "disabled":
                    end_user_sessions(conn, user_id)
                else:
                    conn.execute("DELETE FROM workspace_sessions WHERE hash = ?", (hashed,))
                append(
                    conn,
                    Actor(type="user", id=user_id, ip=ip),
                    "workspace.session_end",
                    object_type="user",
                    object_id=user_id,
                    detail={"reason": reason, "session": hashed[:16]},
                )

            await self.db.write(end)
            return None
        if activity and now - parse_iso(row["last_active_at"]) >= TOUCH_INTERVAL:
            stamp = iso(now)
            await self.db.write(
                lambda c: c.execute(
                    "UPDATE workspace_sessions SET last_active_at = ? WHERE hash = ?",
                    (stamp, hashed),
                )
            )
        return Session(
            token=token,
            principal=_principal(row["user_id"], row, hashed, ip),
            csrf=csrf_token(token),
        )

    async def logout(self, session: Session) -> None:
        """End the session server-side (the cookie alone no longer works). Audited."""
        hashed = token_hash(session.token)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM workspace_sessions WHERE hash = ?", (hashed,))
            append(
                conn,
                session.principal.actor(),
                "workspace.logout",
                object_type="user",
                object_id=session.principal.user_id,
                detail={"session": hashed[:16]},
            )

        await self.db.write(write)
