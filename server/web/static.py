"""Serving the PWA: the service worker with its headers, the shell files (gzip-compressed,
with an ETag and a short cache lifetime) and the pinned vendor libraries.

The service worker's cache name carries a digest of the app shell, computed here, so every
change to a shell file installs a new version on the phones without a build step or a
manual version bump.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath

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


# Shell files are revalidated cheaply (ETag) after a short lifetime: the service worker
# precaches them itself (bypassing this cache on install), so a lifetime only helps the
# first visit and browsers without a service worker, and must stay short because the URLs
# carry no version.
SHELL_MAX_AGE = {"css": 600, "js": 600, "icons": 86400, "vendor": 86400}
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".html": "text/html",
    ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = ("text/", "application/manifest+json")


@dataclass(frozen=True, slots=True)
class Served:
    """One shell file ready to send: its bytes, their gzip form and an ETag."""

    body: bytes
    gzipped: bytes | None
    etag: str
    media_type: str


class ShellFiles:
    """Shell files read once per change (size, mtime) and gzip-compressed in memory: the
    shell is about 250 KB, so holding it twice costs little and spares every request."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[tuple[int, int], Served]] = {}

    def get(self, path: Path) -> Served:
        """The served form of ``path`` (which must exist)."""
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        hit = self._cache.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
        body = path.read_bytes()
        media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
        packed = (
            gzip.compress(body, compresslevel=9, mtime=0)
            if media_type.startswith(COMPRESSIBLE)
            else None
        )
        served = Served(
            body=body,
            gzipped=packed if packed is not None and len(packed) < len(body) else None,
            etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
            media_type=media_type,
        )
        self._cache[path] = (key, served)
        return served


def respond(request: Request[Any, Any, Any], served: Served, cache_control: str) -> Response[bytes]:
    """200 with gzip when the client accepts it (else plain), or 304 for a matching ETag."""
    headers = {"Cache-Control": cache_control, "ETag": served.etag, "Vary": "Accept-Encoding"}
    if served.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers, media_type=served.media_type)
    body = served.body
    if served.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body = served.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=served.media_type, headers=headers)


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

    # Async handlers: a stat per request, and a read plus gzip only when a file changed.
    files = ShellFiles()

    @get(
        "/vendor/{name:str}",
        opt=PUBLIC,
        include_in_schema=False,
        name="pwa-vendor",
    )
    async def vendor(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        rel = VENDOR_FILES.get(name)
        path = pwa_dir / "node_modules" / rel if rel else None
        if path is None or not path.is_file():
            raise NotFound("Dit bestand bestaat niet.")
        return respond(request, files.get(path), f"public, max-age={SHELL_MAX_AGE['vendor']}")

    @get(
        ["/", "/index.html"],
        opt=PUBLIC,
        include_in_schema=False,
        name="pwa-index",
    )
    async def index(request: Request[Any, Any, Any]) -> Response[bytes]:
        return respond(request, files.get(pwa_dir / "index.html"), "no-cache")

    @get(
        "/manifest.webmanifest",
        opt=PUBLIC,
        include_in_schema=False,
        name="pwa-manifest",
    )
    async def manifest(request: Request[Any, Any, Any]) -> Response[bytes]:
        return respond(request, files.get(pwa_dir / "manifest.webmanifest"), "no-cache")

    def shell_handler(folder: str) -> Any:
        # Only files directly inside the shell folders: never node_modules, package files,
        # tests, or anything outside the folder (no path separators in a name).
        @get(
            f"/{folder}/{{name:str}}",
            opt=PUBLIC,
            include_in_schema=False,
            name=f"pwa-{folder}",
        )
        async def shell_file(
            request: Request[Any, Any, Any], name: FromPath[str]
        ) -> Response[bytes]:
            path = pwa_dir / folder / name
            if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
                raise NotFound("Dit bestand bestaat niet.")
            return respond(request, files.get(path), f"public, max-age={SHELL_MAX_AGE[folder]}")

        return shell_file

    handlers: list[Any] = [service_worker, vendor, index, manifest]
    handlers += [shell_handler(folder) for folder in SHELL_FOLDERS]
    return Router(path="/", route_handlers=handlers)
