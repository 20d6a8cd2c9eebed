"""Role guards: plain callables, as Litestar expects."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.auth.principal import Principal
from server.lib.errors import Forbidden, Unauthorized, UnsupportedMediaType


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated principal of a connection (401 if there is none)."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("Inloggen is nodig.", slug="missing-token")
    return user


def _require(role: str, label: str) -> Any:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not principal_of(connection).has_role(role):
            raise Forbidden(f"Deze actie is alleen voor de rol {label}.", slug="role-required")

    guard.__name__ = f"requires_{role}"
    return guard


def requires_json(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """415 unless the body is declared ``application/json``.

    A web page can send a cross-origin ``text/plain`` POST without asking first (no CORS
    preflight); demanding JSON keeps other sites from spending a user's login attempts.
    """
    media_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaType(
            "Stuur de gegevens als JSON met de header 'Content-Type: application/json'.",
        )


requires_inspector = _require("inspector", "inspecteur")
requires_teamlead = _require("teamlead", "teamleider")
requires_admin = _require("admin", "beheerder")
