"""HTTP endpoints of authentication (sync protocol "Authentication")."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import JSONBody

from server.auth.guards import principal_of
from server.auth.schemas import LoginRequest, LoginResponse, LogoutResponse, RefreshRequest
from server.auth.service import AuthService
from server.lib.net import client_ip

PUBLIC = {"exclude_from_auth": True}


class AuthController(Controller):
    """Login, token refresh and logout."""

    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", opt=PUBLIC, status_code=200, summary="Log in on a device")
    async def login(
        self, request: Request[Any, Any, State], data: JSONBody[LoginRequest]
    ) -> LoginResponse:
        """Check username and password, register the device, and issue a token pair."""
        state = request.app.state
        auth: AuthService = state.auth
        return await auth.login(data, client_ip(request, state.settings.trusted_proxies))

    @post("/refresh", opt=PUBLIC, status_code=200, summary="Rotate the token pair")
    async def refresh(
        self, request: Request[Any, Any, State], data: JSONBody[RefreshRequest]
    ) -> LoginResponse:
        """Exchange a refresh token for a new pair; the old refresh token stops working."""
        state = request.app.state
        auth: AuthService = state.auth
        return await auth.refresh(data, client_ip(request, state.settings.trusted_proxies))

    @post("/logout", status_code=200, summary="End this device's tokens")
    async def logout(self, request: Request[Any, Any, State]) -> LogoutResponse:
        """End every token of the calling device."""
        ended = await request.app.state.auth.logout(principal_of(request))
        return LogoutResponse(ended_tokens=ended)
