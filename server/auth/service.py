"""Login, refresh and logout decisions. Controllers stay thin; user and device SQL is in
:mod:`server.auth.repository`, token SQL in :mod:`server.auth.tokens`."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from typing import Any, Protocol

import msgspec

from server.audit.log import Actor, append
from server.auth import repository
from server.auth.passwords import verify_password
from server.auth.principal import Principal
from server.auth.ratelimit import LoginLimiter
from server.auth.schemas import LoginRequest, LoginResponse, RefreshRequest, UserInfo
from server.auth.tokens import (
    end_device_tokens,
    end_family,
    issue_pair,
    spend_refresh,
    spent_family,
    token_hash,
)
from server.db import Database
from server.lib.clock import now_iso
from server.lib.errors import (
    Conflict,
    DeviceRevoked,
    DomainError,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from server.lib.ids import is_uuid7, uuid7

BAD_LOGIN = "Gebruikersnaam of wachtwoord onjuist."


def _user_info(row: sqlite3.Row) -> UserInfo:
    return UserInfo(
        id=row["id"],
        name=row["name"],
        username=row["username"],
        agency=row["agency_id"],
        roles=sorted(msgspec.json.decode(row["roles"])),
    )


class TokenLifetimes(Protocol):
    """How long tokens live, in seconds (the app passes its settings)."""

    @property
    def access_token_ttl(self) -> int: ...

    @property
    def refresh_token_ttl(self) -> int: ...


class AuthService:
    """Authentication against the database of one app."""

    def __init__(self, db: Database, settings: TokenLifetimes, limiter: LoginLimiter) -> None:
        self.db = db
        self.settings = settings
        self.limiter = limiter

    async def login(self, data: LoginRequest, ip: str) -> LoginResponse:
        """Check the password, register or confirm the device, issue tokens. Audited."""
        if not is_uuid7(data.device_id):
            raise Unprocessable(
                "device_id moet een UUIDv7 zijn, door het apparaat zelf gemaakt.",
                slug="invalid-device-id",
            )
        user_key, ip_key = "user:" + data.username.lower(), "ip:" + ip
        stamp = await self._count_attempt([user_key, ip_key], data, ip)
        user = await self._check_password(data, ip)
        self.limiter.succeed([user_key], [ip_key], stamp)
        try:
            return await self.db.write(
                functools.partial(self._open_session, user=user, data=data, ip=ip)
            )
        except (Conflict, DeviceRevoked) as exc:
            slug = exc.slug
            await self.db.write(
                lambda c: append(
                    c,
                    Actor(type="user", id=user["id"], device_id=data.device_id, ip=ip),
                    "login",
                    result="denied",
                    object_type="device",
                    object_id=data.device_id,
                    detail={"reason": slug},
                )
            )
            raise

    async def _count_attempt(self, keys: list[str], data: LoginRequest, ip: str) -> float:
        """Count the attempt before the password is checked (parallel guesses get 429, audited);
        return the limiter's stamp for a success to take back."""
        wait, stamp = self.limiter.attempt(keys)
        if not wait:
            return stamp
        await self.db.write(
            lambda c: append(
                c,
                Actor(type="anonymous", ip=ip, device_id=data.device_id),
                "login",
                result="throttled",
                object_type="user",
                object_id=data.username,
            )
        )
        raise TooManyRequests(
            f"Te veel mislukte inlogpogingen. Probeer het over {wait} seconden opnieuw.",
            retry_after=wait,
        )

    async def _check_password(self, data: LoginRequest, ip: str) -> sqlite3.Row:
        """The user's row when the password is right and the account enabled; else 401, audited.

        The password is verified even for an unknown username (against a dummy hash), so the
        time taken does not tell which usernames exist.
        """
        row = await self.db.read(
            functools.partial(repository.user_by_username, username=data.username)
        )
        stored = row["password_hash"] if row is not None else None
        ok = await asyncio.to_thread(verify_password, stored, data.password)
        if ok and row is not None and row["disabled_at"] is None:
            return row
        reason = "disabled" if ok and row is not None else "bad-credentials"
        await self.db.write(
            lambda c: append(
                c,
                Actor(
                    type="anonymous",
                    ip=ip,
                    device_id=data.device_id,
                    id=row["id"] if row is not None else None,
                ),
                "login",
                result="denied",
                object_type="user",
                object_id=data.username,
                detail={"reason": reason},
            )
        )
        raise Unauthorized(BAD_LOGIN, slug="login-failed")

    def _open_session(
        self, conn: sqlite3.Connection, *, user: sqlite3.Row, data: LoginRequest, ip: str
    ) -> LoginResponse:
        """Bind the device to the user (or confirm it), issue a token pair, audit (one write)."""
        actor = Actor(
            type="user", id=user["id"], agency_id=user["agency_id"], device_id=data.device_id, ip=ip
        )
        device = repository.device_binding(conn, data.device_id)
        if device is not None and device["user_id"] != user["id"]:
            raise Conflict(
                "Dit apparaat is al gekoppeld aan een andere gebruiker. Een gedeelde "
                "telefoon krijgt per gebruiker een nieuw apparaat-id.",
                slug="device-owned-by-other-user",
            )
        if device is not None and device["revoked_at"] is not None:
            raise DeviceRevoked(
                "Dit apparaat is ingetrokken. Wis de gegevens op het apparaat en neem "
                "contact op met de beheerder."
            )
        if device is None:
            repository.register_device(conn, data.device_id, user["id"], data.device_label or "")
            append(conn, actor, "device.register", object_type="device", object_id=data.device_id)
        else:
            repository.touch_device(conn, data.device_id, label=data.device_label)
        pair = issue_pair(
            conn,
            user["id"],
            data.device_id,
            self.settings.access_token_ttl,
            self.settings.refresh_token_ttl,
        )
        append(conn, actor, "login", object_type="user", object_id=user["id"])
        return LoginResponse(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
            user=_user_info(user),
        )

    async def refresh(self, data: RefreshRequest, ip: str) -> LoginResponse:
        """Rotate a refresh token: the old one stops working at once."""
        settings = self.settings

        def write(conn: sqlite3.Connection) -> LoginResponse | DomainError:
            hashed = token_hash(data.refresh_token)
            tok = conn.execute(
                "SELECT t.user_id, t.device_id, t.expires_at, t.family, d.revoked_at,"
                " u.disabled_at FROM tokens t JOIN devices d ON d.id = t.device_id"
                " JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.kind = 'refresh'",
                (hashed,),
            ).fetchone()
            if tok is None:
                spent = spent_family(conn, hashed)
                if spent is not None:
                    # A rotated-out refresh token came back: two parties hold this family.
                    ended = end_family(conn, spent["family"])
                    append(
                        conn,
                        Actor(
                            type="user",
                            id=spent["user_id"],
                            device_id=spent["device_id"],
                            ip=ip,
                        ),
                        "token.reuse",
                        result="revoked",
                        object_type="device",
                        object_id=spent["device_id"],
                        detail={"family": spent["family"], "ended_tokens": ended},
                    )
                    return Unauthorized(
                        "Deze sessie is beëindigd omdat een oud vernieuwingstoken opnieuw werd "
                        "gebruikt. Log opnieuw in.",
                        slug="refresh-token-reused",
                    ).mark_audited()
            if tok is None or tok["device_id"] != data.device_id or tok["expires_at"] < now_iso():
                raise Unauthorized(
                    "De sessie is verlopen of ongeldig. Log opnieuw in.", slug="invalid-token"
                )
            if tok["revoked_at"] is not None:
                raise DeviceRevoked("Dit apparaat is ingetrokken. Wis de gegevens op het apparaat.")
            if tok["disabled_at"] is not None:
                raise Unauthorized("Dit account is uitgeschakeld.", slug="user-disabled")
            family = tok["family"] or uuid7()  # tokens issued before families: start one
            spend_refresh(conn, hashed, family)
            user = repository.user_by_id(conn, tok["user_id"])
            pair = issue_pair(
                conn,
                user["id"],
                data.device_id,
                settings.access_token_ttl,
                settings.refresh_token_ttl,
                family=family,
            )
            repository.touch_device(conn, data.device_id)
            append(
                conn,
                Actor(
                    type="user",
                    id=user["id"],
                    agency_id=user["agency_id"],
                    device_id=data.device_id,
                    ip=ip,
                ),
                "token.refresh",
                object_type="device",
                object_id=data.device_id,
            )
            return LoginResponse(
                access_token=pair.access_token,
                refresh_token=pair.refresh_token,
                expires_in=pair.expires_in,
                user=_user_info(user),
            )

        outcome = await self.db.write(write)
        if isinstance(outcome, DomainError):
            raise outcome  # the family's end and its audit event are committed
        return outcome

    async def logout(self, principal: Principal) -> int:
        """End every token of the caller's device."""

        def write(conn: sqlite3.Connection) -> int:
            ended = end_device_tokens(conn, principal.device)
            append(
                conn,
                principal.actor(),
                "logout",
                object_type="device",
                object_id=principal.device_id,
            )
            return ended

        return await self.db.write(write)

    async def authenticate(self, token: str, ip: str) -> Principal:
        """Resolve an access token to a principal, or raise 401 (``device-revoked`` if so)."""
        row: Any = await self.db.read(
            lambda c: c.execute(
                "SELECT t.user_id, t.device_id, t.expires_at, u.username, u.name, u.agency_id,"
                " u.roles, u.disabled_at, d.revoked_at FROM tokens t"
                " JOIN users u ON u.id = t.user_id JOIN devices d ON d.id = t.device_id"
                " WHERE t.hash = ? AND t.kind = 'access'",
                (token_hash(token),),
            ).fetchone()
        )
        if row is None or row["expires_at"] < now_iso():
            raise Unauthorized(
                "Het toegangstoken is verlopen of ongeldig. Vernieuw het of log opnieuw in.",
                slug="invalid-token",
            )
        if row["revoked_at"] is not None:
            raise DeviceRevoked("Dit apparaat is ingetrokken. Wis de gegevens op het apparaat.")
        if row["disabled_at"] is not None:
            raise Unauthorized("Dit account is uitgeschakeld.", slug="user-disabled")
        return Principal(
            user_id=row["user_id"],
            username=row["username"],
            name=row["name"],
            agency_id=row["agency_id"],
            roles=frozenset(msgspec.json.decode(row["roles"])),
            device_id=row["device_id"],
            ip=ip,
        )
