"""The OAuth 2.0 client credentials grant (RFC 6749 §4.4) for partner clients."""

from __future__ import annotations

import asyncio
import base64
import binascii
import sqlite3
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs, unquote

from server.audit.log import Actor, append
from server.auth.ratelimit import LoginLimiter
from server.db import Database
from server.lib.clock import now_iso
from server.partners.clients import (
    SCOPES,
    ClientSecrets,
    issue_token,
    load_secrets,
    secret_matches,
)
from server.partners.errors import bad_token_request, invalid_client, rate_limited
from server.partners.ratelimit import ClientRateLimiter, Quota
from server.partners.schemas import TokenResponse


@dataclass(frozen=True, slots=True)
class Credentials:
    """Client id and secret from an ``Authorization: Basic`` header."""

    client_id: str
    secret: str


def basic_credentials(header: str) -> Credentials | None:
    """Decode HTTP Basic credentials (RFC 6749 §2.3.1: form-urlencoded id and secret)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id or not secret:
        return None
    return Credentials(unquote(client_id), unquote(secret))


def parse_form(body: bytes) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body; a repeated field is refused."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise bad_token_request(
            "De body is geen geldige application/x-www-form-urlencoded tekst (UTF-8).",
            "invalid-request",
        ) from None
    repeated = [k for k, v in fields.items() if len(v) > 1]
    if repeated:
        raise bad_token_request(
            f"Het veld {repeated[0]!r} komt meer dan eens voor; stuur elk veld één keer.",
            "invalid-request",
        )
    return {k: v[0] for k, v in fields.items()}


class PartnerLimits(Protocol):
    """Token lifetime, throttle and quota of the partner API (the app passes its settings)."""

    @property
    def partner_token_ttl(self) -> int: ...

    @property
    def login_max_failures(self) -> int: ...

    @property
    def login_window(self) -> int: ...

    @property
    def partner_rate_limit(self) -> int: ...

    @property
    def partner_rate_window(self) -> int: ...


class TokenService:
    """Issues access tokens; throttles failed attempts and counts every call per client."""

    def __init__(self, db: Database, settings: PartnerLimits) -> None:
        self.db = db
        self.settings = settings
        self.failures = LoginLimiter(settings.login_max_failures, settings.login_window)
        self.quota = ClientRateLimiter(settings.partner_rate_limit, settings.partner_rate_window)

    def count(self, client_id: str) -> Quota:
        """Count one request of ``client_id`` against its quota."""
        return self.quota.hit("client:" + client_id)

    async def _deny(self, actor: Actor, client_id: str | None, reason: str) -> None:
        await self.db.write(
            lambda c: append(
                c,
                actor,
                "partner.token",
                result="denied",
                object_type="api_client",
                object_id=client_id,
                detail={"reason": reason},
            )
        )

    async def grant(
        self, authorization: str, body: bytes, ip: str
    ) -> tuple[TokenResponse, Quota | None]:
        """Check the client's credentials and the request; issue a token. Audited.

        Returns the token and the client's quota after counting this call.
        """
        creds = basic_credentials(authorization)
        if creds is None:
            await self._deny(Actor(type="anonymous", ip=ip), None, "no-basic-credentials")
            raise invalid_client("De header ontbreekt of is onleesbaar.")
        keys = ["client:" + creds.client_id, "ip:" + ip]
        anonymous = Actor(type="anonymous", id=creds.client_id, ip=ip)
        wait = self.failures.retry_after(keys)
        if wait:
            await self._deny(anonymous, creds.client_id, "throttled")
            raise rate_limited(wait, {})
        form = parse_form(body)
        client: ClientSecrets | None = await self.db.read(
            lambda c: load_secrets(c, creds.client_id)
        )
        matched = await asyncio.to_thread(secret_matches, client, creds.secret, now_iso())
        if client is None or matched is None or client.revoked:
            reason = "revoked" if client is not None and matched else "bad-credentials"
            if reason == "bad-credentials":
                self.failures.fail(keys)
            await self._deny(anonymous, creds.client_id, reason)
            detail = (
                "Deze client is ingetrokken."
                if reason == "revoked"
                else "Onbekende client of onjuist geheim (na een rotatie werkt het oude geheim "
                "alleen tijdens de overlapperiode)."
            )
            raise invalid_client(detail)
        self.failures.succeed(keys)
        actor = Actor(type="client", id=client.client_id, agency_id=client.agency_id, ip=ip)
        quota = self.count(client.client_id)
        if not quota.allowed:
            await self._deny(actor, client.client_id, "rate-limited")
            raise rate_limited(quota.reset, quota.headers())
        grant_type = form.get("grant_type")
        if grant_type != "client_credentials":
            await self._deny(actor, client.client_id, "unsupported-grant-type")
            raise bad_token_request(
                "Alleen grant_type=client_credentials wordt ondersteund "
                f"(ontvangen: {grant_type!r}).",
                "unsupported-grant-type",
            )
        requested = form.get("scope")
        if requested is None or not requested.strip():
            scopes = sorted(client.scopes)
        else:
            scopes = sorted(set(requested.split()))
            unknown = [s for s in scopes if s not in SCOPES]
            denied = [s for s in scopes if s in SCOPES and s not in client.scopes]
            if unknown or denied:
                await self._deny(actor, client.client_id, "invalid-scope")
                what = (
                    f"onbekende scope {unknown[0]!r} (bekend: {', '.join(SCOPES)})"
                    if unknown
                    else f"deze client heeft scope {denied[0]!r} niet"
                    f" (wel: {', '.join(sorted(client.scopes)) or 'geen'})"
                )
                raise bad_token_request(f"Ongeldige scope: {what}.", "invalid-scope")
        ttl = self.settings.partner_token_ttl

        def write(conn: sqlite3.Connection) -> str:
            token = issue_token(conn, client.client_id, scopes, ttl)
            append(
                conn,
                actor,
                "partner.token",
                object_type="api_client",
                object_id=client.client_id,
                detail={"scopes": scopes, "secret": matched},
            )
            return token

        token = await self.db.write(write)
        grant = TokenResponse(
            access_token=token,
            token_type="Bearer",  # noqa: S106 (the token type, not a secret)
            expires_in=ttl,
            scope=" ".join(scopes),
        )
        return grant, quota
