"""Role guards: plain callables, as Litestar expects."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from server.auth.principal import Principal
from server.lib.errors import Forbidden, Unauthorized


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


requires_inspector = _require("inspector", "inspecteur")
requires_teamlead = _require("teamlead", "teamleider")
requires_admin = _require("admin", "beheerder")
