"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.lib.errors import Unauthorized
from server.lib.net import client_ip


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user`` to a :class:`~server.auth.principal.Principal`."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        """Resolve the ``Authorization: Bearer`` header, or raise 401."""
        state = connection.app.state
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "Inloggen is nodig: stuur 'Authorization: Bearer <access_token>'.",
                slug="missing-token",
            )
        ip = client_ip(connection, state.settings.trusted_proxies)
        principal = await state.auth.authenticate(token.strip(), ip)
        return AuthenticationResult(user=principal, auth=token)
