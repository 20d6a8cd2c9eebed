"""Authentication of partner resource calls: bearer token, quota, scope guard.

Runs only on the ``/api/partner/v1`` router (the app's user-token middleware skips it).
Every refusal is audited with the client (when known), the reason and the path.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.audit.log import Actor, append
from server.db import Database
from server.lib.errors import Unauthorized
from server.lib.net import client_ip
from server.partners.clients import PartnerCaller, resolve_token
from server.partners.errors import insufficient_scope, invalid_token, rate_limited
from server.partners.tokens import TokenService

PUBLIC_OPT = "partner_public"
QUOTA_STATE = "partner_quota"


async def _audit_denied(
    db: Database, actor: Actor, path: str, reason: str, scope: str | None = None
) -> None:
    detail: dict[str, Any] = {"reason": reason, "path": path}
    if scope is not None:
        detail["scope"] = scope
    await db.write(
        lambda c: append(
            c,
            actor,
            "partner.request",
            result="denied",
            object_type="api_client",
            object_id=actor.id,
            detail=detail,
        )
    )


class PartnerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to a :class:`PartnerCaller` and counts the request's quota."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Resolve ``Authorization: Bearer``; 401 for a missing, unknown, expired or revoked
        token, 429 over the quota."""
        state = connection.app.state
        db: Database = state.db
        ip = client_ip(connection, state.settings.trusted_proxies)
        path = connection.url.path
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            await _audit_denied(db, Actor(type="anonymous", ip=ip), path, "missing-token")
            raise invalid_token(
                "Een toegangstoken is nodig: vraag er een aan met POST /api/partner/v1/oauth/token"
                " en stuur 'Authorization: Bearer <access_token>'.",
                slug="missing-token",
            )
        found = await db.read(lambda c: resolve_token(c, token.strip()))
        if found is None or found.expired or found.revoked:
            reason = "unknown" if found is None else "expired" if not found.revoked else "revoked"
            actor = Actor(
                type="client" if found else "anonymous",
                id=found.client_id if found else None,
                agency_id=found.agency_id if found else None,
                ip=ip,
            )
            await _audit_denied(db, actor, path, "token-" + reason)
            raise invalid_token(
                "Het toegangstoken is verlopen, ingetrokken of onbekend. Vraag een nieuw token "
                "aan met POST /api/partner/v1/oauth/token."
            )
        caller = PartnerCaller(
            client_id=found.client_id, agency_id=found.agency_id, scopes=found.scopes, ip=ip
        )
        tokens: TokenService = state.partner_tokens
        quota = tokens.count(caller.client_id)
        connection.scope.setdefault("state", {})[QUOTA_STATE] = quota
        if not quota.allowed:
            await _audit_denied(db, caller.actor(), path, "rate-limited")
            raise rate_limited(quota.reset, quota.headers())
        return AuthenticationResult(user=caller, auth=token.strip())


def caller_of(connection: ASGIConnection[Any, Any, Any, Any]) -> PartnerCaller:
    """The authenticated partner client of a connection (401 if there is none)."""
    user = connection.scope.get("user")
    if not isinstance(user, PartnerCaller):
        raise Unauthorized("Een toegangstoken is nodig.", slug="missing-token")
    return user


def requires_scope(scope: str) -> Any:
    """A guard: the caller's token must carry ``scope`` (else 403, audited)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        caller = caller_of(connection)
        if scope not in caller.scopes:
            db: Database = connection.app.state.db
            await _audit_denied(db, caller.actor(), connection.url.path, "missing-scope", scope)
            raise insufficient_scope(scope)

    guard.__name__ = "requires_" + scope.replace(":", "_")
    guard.scope = scope  # type: ignore[attr-defined]
    return guard
