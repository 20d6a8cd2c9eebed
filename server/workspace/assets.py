"""Static files of the workspace, served from our own origin under ``/regie/static``.

Our own stylesheet and scripts live in ``server/workspace/static``; third-party browser
libraries are pinned in ``pwa/package.json`` (installed by ``npm ci`` into
``pwa/node_modules``) and only the files listed in :data:`VENDOR` are reachable. None of
these files is part of the field app's shell, so a workspace change never forces a
field-app update (``server/web/static.py`` digests only the shell).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import File

from server.lib.errors import NotFound
from server.workspace.security import PUBLIC

STATIC_DIR = Path(__file__).resolve().parent / "static"

# name → path inside pwa/node_modules
VENDOR: dict[str, str] = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "htmx-sse.js": "htmx-ext-sse/dist/sse.min.js",
    "utrecht.css": "@utrecht/component-library-css/dist/index.css",
    "voorbeeld-theme.css": "@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css",
}
OWN = frozenset({"regie.css", "print.css"})
_TYPES = {".js": "text/javascript", ".css": "text/css"}


def asset_path(pwa_dir: Path, name: str) -> Path | None:
    """The file behind ``/regie/static/<name>``, or None."""
    if name in OWN:
        return STATIC_DIR / name
    rel = VENDOR.get(name)
    return pwa_dir / "node_modules" / rel if rel else None


@get(
    "/static/{name:str}",
    opt={PUBLIC: True},
    include_in_schema=False,
    name="workspace-static",
)
async def static_file(request: Request[Any, Any, Any], name: FromPath[str]) -> File:
    """One pinned library or one of our own files; 404 for anything else."""
    path = asset_path(request.app.state.settings.pwa_dir, name)
    if path is None or not path.is_file():
        raise NotFound("Dit bestand bestaat niet.")
    return File(
        path=path,
        media_type=_TYPES[path.suffix],
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache"},
    )
