"""The router that serves ``/api/v1/openapi.json``, without Litestar's HTML 404 catch-all.

Litestar's OpenAPI router answers every unknown path below its own path (``/api/v1/…``) with an
HTML "Error 404" page. Below ``/api/v1`` every error must be problem+json, so a guard turns
that catch-all into a :class:`~server.lib.errors.NotFound`.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar._openapi.plugin import handle_schema_path_not_found

from server.lib.errors import NotFound


def _no_html_404(connection: Any, handler: Any) -> None:
    if getattr(handler, "fn", None) is handle_schema_path_not_found:
        raise NotFound(
            f"{connection.url.path} bestaat niet. De API staat beschreven in /api/v1/openapi.json.",
            slug="not-found",
        )


def openapi_router(path: str = "/api/v1") -> Router:
    """An empty router for the OpenAPI plugin to fill, guarded against the HTML 404."""
    return Router(path=path, route_handlers=[], include_in_schema=False, guards=[_no_html_404])
