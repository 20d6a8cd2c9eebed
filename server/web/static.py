"""Serving the PWA: the service worker with its headers and the pinned vendor libraries.

The service worker's cache name carries a digest of the app shell, computed here, so every
change to a shell file installs a new version on the phones without a build step or a
manual version bump.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from litestar import Response, Router, get
from litestar.params import FromPath
from litestar.response import File
from litestar.static_files import create_static_files_router

from server.lib.errors import NotFound

PUBLIC = {"exclude_from_auth": True}

# Only the files the app loads, never the whole node_modules tree.
VENDOR_FILES: dict[str, str] = {
    "tus.min.js": "tus-js-client/dist/tus.min.js",
}
SHELL_FOLDERS = ("css", "js", "icons")
_VERSION = re.compile(r'const VERSION = "([^"]*)";')


def shell_files(pwa_dir: Path) -> list[Path]:
    """The files whose content makes up one app version."""
    files = [pwa_dir / "index.html", pwa_dir / "manifest.webmanifest", pwa_dir / "sw.js"]
    for folder in SHELL_FOLDERS:
        files += sorted(p for p in (pwa_dir / folder).rglob("*") if p.is_file())
    files += [pwa_dir / "node_modules" / rel for rel in VENDOR_FILES.values()]
    return [p for p in files if p.is_file()]


class ShellDigest:
    """sha256 over the shell files, recomputed only when a file's size or mtime changes."""

    def __init__(self, pwa_dir: Path) -> None:
        self.pwa_dir = pwa_dir
        self._key: tuple[tuple[str, int, int], ...] = ()
        self._digest = ""

    def __call__(self) -> str:
        files = shell_files(self.pwa_dir)
        key = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
        if key != self._key:
            h = hashlib.sha256()
            for p in files:
                h.update(str(p.relative_to(self.pwa_dir)).encode() + b"\0")
                h.update(p.read_bytes())
            self._key, self._digest = key, h.hexdigest()[:12]
        return self._digest


def pwa_router(pwa_dir: Path) -> Router:
    """Routes for ``/sw.js`` (no-cache, scope ``/``, versioned) and ``/vendor/<file>``."""
    digest = ShellDigest(pwa_dir)

    @get("/sw.js", opt=PUBLIC, include_in_schema=False, name="pwa-sw", sync_to_thread=True)
    def service_worker() -> Response[bytes]:
        text = (pwa_dir / "sw.js").read_text()
        text = _VERSION.sub(lambda m: f'const VERSION = "{m.group(1)}-{digest()}";', text, 1)
        return Response(
            text.encode(),
            media_type="text/javascript",
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

    @get(["/", "/index.html"], opt=PUBLIC, include_in_schema=False, name="pwa-index")
    async def index() -> File:
        return File(
            path=pwa_dir / "index.html",
            media_type="text/html",
            content_disposition_type="inline",
            headers={"Cache-Control": "no-cache"},
        )

    @get("/manifest.webmanifest", opt=PUBLIC, include_in_schema=False, name="pwa-manifest")
    async def manifest() -> File:
        return File(
            path=pwa_dir / "manifest.webmanifest",
            media_type="application/manifest+json",
            content_disposition_type="inline",
            headers={"Cache-Control": "no-cache"},
        )

    handlers: list[Any] = [service_worker, vendor, index, manifest]
    # Only the shell folders are served: never node_modules, package files or tests.
    handlers += [
        create_static_files_router(
            path=f"/{folder}",
            directories=[pwa_dir / folder],
            opt=PUBLIC,
            name=f"pwa-{folder}",
            include_in_schema=False,
        )
        for folder in SHELL_FOLDERS
    ]
    return Router(path="/", route_handlers=handlers)
