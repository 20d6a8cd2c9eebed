"""Serving the PWA: the service worker with its headers and the pinned vendor libraries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router, get
from litestar.params import FromPath
from litestar.response import File

from server.lib.errors import NotFound

PUBLIC = {"exclude_from_auth": True}

# Only the files the app loads, never the whole node_modules tree.
VENDOR_FILES: dict[str, str] = {
    "tus.min.js": "tus-js-client/dist/tus.min.js",
}


def pwa_router(pwa_dir: Path) -> Router:
    """Routes for ``/sw.js`` (no-cache, scope ``/``) and ``/vendor/<file>``."""

    @get("/sw.js", opt=PUBLIC, include_in_schema=False, name="pwa-sw")
    async def service_worker() -> File:
        return File(
            path=pwa_dir / "sw.js",
            media_type="text/javascript",
            content_disposition_type="inline",
            headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
        )

    @get("/vendor/{name:str}", opt=PUBLIC, include_in_schema=False, name="pwa-vendor")
    async def vendor(name: FromPath[str]) -> File:
        rel = VENDOR_FILES.get(name)
        path = pwa_dir / "node_modules" / rel if rel else None
        if path is None or not path.is_file():
            raise NotFound("Dit bestand bestaat niet.")
        return File(
            path=path,
            media_type="text/javascript",
            content_disposition_type="inline",
            headers={"Cache-Control": "no-cache"},
        )

    handlers: list[Any] = [service_worker, vendor]
    return Router(path="/", route_handlers=handlers)
