"""HTTP endpoints of authentication (sync protocol "Authentication")."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from server.auth.guards import principal_of, requires_json
from server.auth.schemas import LoginRequest, LoginResponse, LogoutResponse, RefreshRequest
from server.auth.service import AuthService
from server.lib.errors import PROBLEM_MEDIA_TYPE, Problem
from server.lib.net import client_ip

PUBLIC = {"exclude_from_auth": True}
LOGOUT_HEADERS = {"Clear-Site-Data": '"cache"'}
TOKEN_PROBLEMS = {
    415: ResponseSpec(
        data_container=Problem,
        description="The body is not declared application/json",
        media_type=PROBLEM_MEDIA_TYPE,
        generate_examples=False,
    )
}


class AuthController(Controller):
    """Login, token refresh and logout."""

    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        opt=PUBLIC,
        guards=[requires_json],
        status_code=200,
        summary="Log in on a device",
        responses=TOKEN_PROBLEMS,
    )
    async def login(
        self, request: Request[Any, Any, State], data: JSONBody[LoginRequest]
    ) -> LoginResponse:
        """Check username and password, register the device, and issue a token pair."""
        state = request.app.state
        auth: AuthService = state.auth
        return await auth.login(data, client_ip(request, state.settings.trusted_proxies))

    @post(
        "/refresh",
        opt=PUBLIC,
        guards=[requires_json],
        status_code=200,
        summary="Rotate the token pair",
        responses=TOKEN_PROBLEMS,
    )
    async def refresh(
        self, request: Request[Any, Any, State], data: JSONBody[RefreshRequest]
    ) -> LoginResponse:
        """Exchange a refresh token for a new pair; the old refresh token stops working."""
        state = request.app.state
        auth: AuthService = state.auth
        return await auth.refresh(data, client_ip(request, state.settings.trusted_proxies))

    @post("/logout", status_code=200, summary="End this device's tokens")
    async def logout(self, request: Request[Any, Any, State]) -> Response[LogoutResponse]:
        """End every token of the calling device; the browser drops its HTTP cache
        (``Clear-Site-Data: "cache"``: photos are cached privately)."""
        ended = await request.app.state.auth.logout(principal_of(request))
        return Response(LogoutResponse(ended_tokens=ended), headers=LOGOUT_HEADERS)
