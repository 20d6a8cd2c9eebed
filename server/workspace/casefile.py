"""Dossier: the case file page, its photos, and status changes from it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import ETag
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from server.cases import service
from server.cases.schemas import StatusChange
from server.cases.scope import reader_of
from server.db import Database
from server.evidence.downloads import VARIANTS, etag_matches, open_photo
from server.lib.errors import DomainError, NotFound
from server.workspace.casefile_model import CaseFile, load_case_file
from server.workspace.forms import refused
from server.workspace.rendering import page
from server.workspace.security import PREFIX, session_of

PHOTO_CACHE = "private, max-age=3600"


async def case_file_of(request: Request[Any, Any, Any], case_id: str) -> CaseFile:
    """The case file as the session's user may see it (404 when not on the case)."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    file = await db.read(lambda c: load_case_file(c, reader_of(me), case_id))
    if file is None:
        raise service.case_not_found(case_id)
    return file


def case_url(case_id: str, *parts: str) -> str:
    """A workspace URL of the case (``/regie/zaken/<id>/…``)."""
    return "/".join([PREFIX, "zaken", case_id, *parts])


def dossier_page(
    request: Request[Any, Any, Any],
    file: CaseFile,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """Render the Dossier page (also after a refused status change)."""
    return page(
        request,
        "dossier.html",
        active="zaken",
        title=f"Dossier {file.view.reference}",
        file=file,
        view=file.view,
        case_tab="dossier",
        error=error,
        status_code=status_code,
    )


@get("/zaken/{case_id:str}", include_in_schema=False, name="workspace-case")
async def dossier(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Subject, status, agencies, team lead, timeline and every checklist as visible."""
    return dossier_page(request, await case_file_of(request, case_id))


@post("/zaken/{case_id:str}/status", include_in_schema=False, name="workspace-case-status")
async def change_status(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """Move the case along its lifecycle; the page again with the reason when refused."""
    me = session_of(request).principal
    form = await request.form()
    target = str(form.get("status", ""))
    db: Database = request.app.state.db
    try:
        data = StatusChange(status=target)  # type: ignore[arg-type]
        if target not in ("signal", "selected", "planned", "inspected", "reviewed", "intervention"):
            raise ValueError(target)
        await db.write(lambda c: service.change_status(c, me, case_id, data))
    except ValueError:
        file = await case_file_of(request, case_id)
        return dossier_page(
            request, file, error="Kies een van de getoonde statussen.", status_code=422
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        refusal = await refused(request, exc)
        file = await case_file_of(request, case_id)
        return dossier_page(request, file, error=refusal.message, status_code=refusal.status)
    return Redirect(path=case_url(case_id), status_code=303)


@get("/fotos/{photo_id:str}/{variant:str}", include_in_schema=False, name="workspace-photo")
async def photo(
    request: Request[Any, Any, Any], photo_id: FromPath[str], variant: FromPath[str]
) -> Response[Any]:
    """A photo through the projection, audited (``original`` is a download)."""
    if variant not in VARIANTS:
        raise NotFound("Deze foto bestaat niet.", slug="photo-not-found")
    me = session_of(request).principal
    download = await open_photo(
        request.app.state.db, request.app.state.photos.store, me, photo_id, variant
    )
    headers = {"Cache-Control": PHOTO_CACHE, "ETag": f'"{download.etag}"'}
    if variant != "original" and etag_matches(request.headers.get("if-none-match"), download.etag):
        return Response(None, status_code=304, headers=headers)
    return File(
        path=download.path,
        media_type=download.mime,
        filename=download.filename,
        content_disposition_type="attachment" if variant == "original" else "inline",
        etag=ETag(value=download.etag),
        headers={"Cache-Control": "no-store" if variant == "original" else PHOTO_CACHE},
    )
