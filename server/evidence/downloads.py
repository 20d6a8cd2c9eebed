"""Photo downloads: thumbnail, display copy and original, through the visibility projection.

Every request is audited (``photo.view`` for derivatives, ``photo.view_original`` for the
original), including refusals. A photo the caller may not see answers 404, like one that
does not exist.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import ETag, State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import FromPath, KwargDefinition
from litestar.response import File

from server.audit.log import Actor, append
from server.auth.guards import principal_of
from server.auth.principal import Principal
from server.cases.scope import reader_of
from server.cases.visibility import Reader
from server.db import Database
from server.evidence import repository as repo
from server.evidence.access import reader_may_view
from server.evidence.blobstore import BlobStore
from server.lib.errors import NotFound

VARIANTS = ("thumb", "display", "original")
CACHE = "private, max-age=31536000, immutable"
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True, slots=True)
class Download:
    """A file the caller may read, with its strong ETag and type."""

    path: Path
    etag: str
    mime: str
    filename: str


def _held(conn: sqlite3.Connection, photo: repo.PhotoTarget) -> bool:
    return (
        photo.state == "verified"
        and repo.agency_blob(conn, photo.agency_id, photo.sha256) is not None
    )


def _missing() -> NotFound:
    return NotFound(
        "Deze foto bestaat niet, of u hebt er geen toegang toe.", slug="photo-not-found"
    )


async def open_photo(
    db: Database, store: BlobStore, principal: Principal, photo_id: str, variant: str
) -> Download:
    """Decide whether the caller may read ``variant`` of the photo; audit the attempt."""
    return await open_photo_as(
        db,
        store,
        reader=reader_of(principal),
        actor=principal.actor(),
        photo_id=photo_id,
        variant=variant,
    )


async def open_photo_as(
    db: Database,
    store: BlobStore,
    *,
    reader: Reader,
    actor: Actor,
    photo_id: str,
    variant: str,
    case_id: str | None = None,
) -> Download:
    """:func:`open_photo` for any reader; ``case_id``, when given, must be the photo's case."""
    if variant not in VARIANTS:
        raise _missing()
    action = "photo.view_original" if variant == "original" else "photo.view"

    def fn(conn: sqlite3.Connection) -> tuple[str, repo.PhotoTarget | None]:
        photo = repo.load_photo(conn, photo_id)
        if photo is None or (case_id is not None and photo.case_id != case_id):
            return "missing", None
        if not reader_may_view(conn, reader, photo):
            outcome = "denied"
        elif not _held(conn, photo):
            outcome = "not-available"
        else:
            outcome = "ok"
        append(
            conn,
            actor,
            action,
            result=outcome,
            object_type="photo",
            object_id=photo_id,
            detail={"variant": variant, "case_id": photo.case_id},
        )
        return outcome, photo

    outcome, photo = await db.write(fn)
    if outcome == "not-available":
        raise NotFound(
            "Deze foto is nog niet (volledig) ontvangen en gecontroleerd.",
            slug="photo-not-available",
        ).mark_audited()
    if outcome != "ok" or photo is None:
        missing = _missing()
        raise missing.mark_audited() if outcome == "denied" else missing
    if variant == "original":
        path, mime = store.original(photo.sha256), photo.mime
        filename = f"{photo.photo_id}.{_EXT.get(mime, 'bin')}"
    else:
        path, mime = store.derived(photo.sha256, variant), "image/jpeg"
        filename = f"{photo.photo_id}.{variant}.jpg"
    if not path.is_file():
        raise NotFound("Het bestand van deze foto ontbreekt op de server.", slug="blob-missing")
    return Download(path=path, etag=f"{photo.sha256}-{variant}", mime=mime, filename=filename)


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = {t.strip().removeprefix("W/").strip('"') for t in header.split(",")}
    return etag in tags or "*" in tags


_PHOTO_BYTES = ResponseSpec(
    data_container=Annotated[bytes, KwargDefinition(format=OpenAPIFormat.BINARY)],
    media_type="image/jpeg",
    description="The photo's bytes: JPEG for thumb and display; the original keeps its own "
    "type (image/jpeg, image/png or image/webp). 304 when If-None-Match matches the ETag.",
    generate_examples=False,
)


@get(
    "/api/v1/photos/{photo_id:str}/{variant:str}",
    tags=["evidence"],
    summary="Photo bytes",
    responses={200: _PHOTO_BYTES},
)
async def download_photo(
    request: Request[Any, Any, State], photo_id: FromPath[str], variant: FromPath[str]
) -> Response[Any]:
    """``thumb`` (320 px), ``display`` (1600-2048 px) or the byte-exact ``original``."""
    download = await open_photo(
        request.app.state.db,
        request.app.state.photos.store,
        principal_of(request),
        photo_id,
        variant,
    )
    headers = {"Cache-Control": CACHE, "ETag": f'"{download.etag}"'}
    if etag_matches(request.headers.get("if-none-match"), download.etag):
        return Response(None, status_code=304, headers=headers)
    return File(
        path=download.path,
        media_type=download.mime,
        filename=download.filename,
        content_disposition_type="attachment" if variant == "original" else "inline",
        etag=ETag(value=download.etag),
        headers={"Cache-Control": CACHE},
    )
