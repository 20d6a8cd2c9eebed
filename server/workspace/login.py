"""Login and logout of the workspace (form posts, no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from server.auth.sessions import NotForWorkspace, SessionService
from server.lib.errors import TooManyRequests, Unauthorized
from server.lib.net import client_ip
from server.workspace.rendering import public_page
from server.workspace.security import (
    PREFIX,
    PUBLIC,
    is_https,
    presented_token,
    session_cookie,
    session_of,
)

MAX_FIELD = 200


def safe_next(value: str | None) -> str:
    """Only a path inside the workspace may be the target after login."""
    if (
        value
        and value.startswith(PREFIX + "/")
        and not value.startswith("//")
        and "\\" not in value
    ):
        return value
    return PREFIX + "/"


@get("/login", opt={PUBLIC: True}, include_in_schema=False, name="workspace-login-form")
async def login_form(next: FromQuery[str | None] = None) -> Template:
    """The login form."""
    return public_page(
        "login.html", title="Inloggen", username="", error=None, next=safe_next(next)
    )


@post("/login", opt={PUBLIC: True}, include_in_schema=False, name="workspace-login")
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    """Check the credentials; a new session (new id) on success, the form again otherwise."""
    form = await request.form()
    username = str(form.get("username", ""))[:MAX_FIELD].strip()
    password = str(form.get("password", ""))[:MAX_FIELD]
    target = safe_next(str(form.get("next", "")))
    state = request.app.state
    sessions: SessionService = state.sessions
    if not username or not password:
        return public_page(
            "login.html",
            title="Inloggen",
            username=username,
            next=target,
            error="Vul uw gebruikersnaam en wachtwoord in.",
            status_code=422,
        )
    try:
        session = await sessions.login(
            username,
            password,
            client_ip(request, state.settings.trusted_proxies),
            replaces=presented_token(request) or None,
        )
    except NotForWorkspace:
        # An inspector belongs in the field app.
        return Redirect(path="/", status_code=303)
    except (Unauthorized, TooManyRequests) as exc:
        return public_page(
            "login.html",
            title="Inloggen",
            username=username,
            next=target,
            error=exc.detail,
            status_code=exc.status,
            headers=exc.headers,
        )
    response: Redirect = Redirect(path=target, status_code=303)
    response.set_cookie(session_cookie(session.token, is_https(request)))
    return response


@post("/logout", include_in_schema=False, name="workspace-logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session on the server and clear the cookie."""
    sessions: SessionService = request.app.state.sessions
    await sessions.logout(session_of(request))
    response = Redirect(path=PREFIX + "/login", status_code=303)
    response.set_cookie(session_cookie("", is_https(request), clear=True))
    return response
