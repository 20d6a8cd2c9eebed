"""Session cookie, session middleware and CSRF protection of the workspace (``/regie``).

Only the workspace router uses these: the bearer-token API, the field app's push and its
uploads are not cookie-authenticated and never see a CSRF check.

- :class:`SessionMiddleware` resolves the session cookie for every workspace route that is
  not marked ``PUBLIC`` and puts the :class:`~server.auth.principal.Principal` in
  ``scope["user"]``. Without a live session a page request is redirected to the login
  page (an htmx request gets ``HX-Redirect``; the event stream gets 204, which ends an
  ``EventSource``). A user without the team lead or admin role is sent to the field app.
  Routes marked ``PASSIVE`` (the event stream) do not count as activity.
- :func:`csrf_guard` (a router guard) refuses every state-changing request without a
  same-origin ``Origin``/``Sec-Fetch-Site`` and the session's CSRF token, taken from the
  ``X-CSRF-Token`` header (htmx sends it from ``hx-headers`` on ``<body>``) or the
  ``_csrf`` form field.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from server.auth.sessions import WORKSPACE_ROLES, Session, SessionService, csrf_matches
from server.lib.errors import Forbidden
from server.lib.net import client_ip

PREFIX = "/regie"
LOGIN_PATH = PREFIX + "/login"
# Route ``opt`` keys.
PUBLIC = "workspace_public"  # reachable without a session (login page, static files)
PASSIVE = "workspace_passive"  # does not count as activity (the live event stream)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
SESSION_KEY = "workspace_session"


def is_https(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """True when the browser talks HTTPS to us (directly or through a trusted proxy)."""
    if connection.scope.get("scheme") == "https":
        return True
    trusted: tuple[str, ...] = connection.app.state.settings.trusted_proxies
    peer = connection.client.host if connection.client else ""
    if trusted and peer_is_trusted(peer, trusted):
        return connection.headers.get("x-forwarded-proto", "").strip().lower() == "https"
    return False


def peer_is_trusted(peer: str, trusted: tuple[str, ...]) -> bool:
    """True when the direct peer is one of the configured reverse proxies."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(t, strict=False) for t in trusted)


def cookie_name(https: bool) -> str:
    """``__Host-`` needs ``Secure`` and ``Path=/``: only over HTTPS."""
    return "__Host-schouw_regie" if https else "schouw_regie"


def session_cookie(token: str, https: bool, *, clear: bool = False) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Strict; Secure and ``__Host-`` over HTTPS.

    Browsers accept a ``__Host-`` cookie only with ``Path=/``; over plain HTTP (development,
    tests) the cookie is limited to ``Path=/regie``.
    """
    return Cookie(
        key=cookie_name(https),
        value="" if clear else token,
        path="/" if https else PREFIX,
        httponly=True,
        secure=https,
        samesite="strict",
        max_age=0 if clear else None,
    )


def session_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Session:
    """The live session the middleware resolved for this request."""
    session = connection.scope.get("state", {}).get(SESSION_KEY)
    if not isinstance(session, Session):
        raise Forbidden("Geen werkplek-sessie; log opnieuw in.", slug="session-required")
    return session


def presented_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The session token in the request's cookie ('' when none)."""
    return connection.cookies.get(cookie_name(is_https(connection)), "")


class SessionMiddleware(ASGIMiddleware):
    """Resolves the workspace session cookie; redirects when there is none."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = PUBLIC

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Resolve the session, or answer with a redirect."""
        opt = scope["route_handler"].opt
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive)
        sessions: SessionService = connection.app.state.sessions
        ip = client_ip(connection, connection.app.state.settings.trusted_proxies)
        session = await sessions.resolve(
            presented_token(connection), ip, activity=not opt.get(PASSIVE)
        )
        if session is None:
            await _redirect_to_login(connection, send, passive=bool(opt.get(PASSIVE)))
            return
        if not session.principal.roles & WORKSPACE_ROLES:
            await _send_redirect(connection, send, "/")
            return
        scope["user"] = session.principal
        scope.setdefault("state", {})[SESSION_KEY] = session
        await next_app(scope, receive, send)


async def _redirect_to_login(
    connection: ASGIConnection[Any, Any, Any, Any], send: Send, *, passive: bool
) -> None:
    if passive:  # an EventSource stops reconnecting on 204
        await _send(send, 204, [])
        return
    target = LOGIN_PATH
    path = connection.scope.get("path", "")
    if connection.scope.get("method") == "GET" and path not in (PREFIX, PREFIX + "/"):
        target += "?next=" + quote(path, safe="/")
    await _send_redirect(connection, send, target)


async def _send_redirect(
    connection: ASGIConnection[Any, Any, Any, Any], send: Send, target: str
) -> None:
    if connection.headers.get("hx-request") == "true":
        await _send(send, 200, [(b"hx-redirect", target.encode())])
    else:
        await _send(send, 303, [(b"location", target.encode())])


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", b"0"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def same_origin(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """True when the browser says the request comes from our own origin.

    ``Sec-Fetch-Site`` (sent by current browsers) must be ``same-origin``; otherwise the
    ``Origin`` header must name this host. A request with neither is refused.
    """
    site = connection.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = connection.headers.get("origin")
    if not origin or origin == "null":
        return False
    host = connection.headers.get("host", "")
    parts = urlsplit(origin)
    scheme = "https" if is_https(connection) else "http"
    return parts.netloc == host and parts.scheme == scheme


async def csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse a state-changing workspace request that is cross-site or lacks the CSRF token."""
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return
    if not same_origin(connection):
        raise Forbidden(
            "Dit formulier kwam niet van deze website. Open de pagina opnieuw en probeer het "
            "nog eens.",
            slug="cross-site-request",
        )
    opt = connection.scope["route_handler"].opt
    if opt.get(PUBLIC):  # the login form: same-origin only, there is no session yet
        return
    session = session_of(connection)
    presented = connection.headers.get(CSRF_HEADER, "")
    if not presented:
        form = await Request[Any, Any, Any](connection.scope, connection.receive).form()
        value = form.get(CSRF_FIELD, "")
        presented = value if isinstance(value, str) else ""
    if not presented or not csrf_matches(session.token, presented):
        raise Forbidden(
            "De beveiligingscode van dit formulier ontbreekt of is verlopen. Laad de pagina "
            "opnieuw en verstuur het formulier nog eens.",
            slug="csrf-failed",
        )
