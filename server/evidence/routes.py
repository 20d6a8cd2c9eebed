"""HTTP route handlers of the evidence domain, collected for the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.exceptions import InternalServerException

from server.auth.guards import principal_of
from server.evidence.downloads import download_photo
from server.evidence.errors import StreamInterrupted, too_large
from server.evidence.form import FormResult, receive_form
from server.evidence.form_parser import boundary_of
from server.evidence.package_routes import evidence_package
from server.evidence.tus import UploadController
from server.lib.errors import BadRequest

FORM_OVERHEAD = 64 * 1024
# The form is parsed as a stream (see ``server.evidence.form``); ``file`` must come last.
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["photo_id", "sha256", "file"],
    "properties": {
        "photo_id": {"type": "string", "format": "uuid"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "file": {"type": "string", "format": "binary"},
    },
}


@post(
    "/api/v1/photos",
    status_code=201,
    request_max_body_size=None,
    tags=["evidence"],
    summary="Upload a photo as multipart/form-data (photo_id, sha256, file)",
    opt={"request_body": ("multipart/form-data", FORM_SCHEMA)},
)
async def upload_form(request: Request[Any, Any, State]) -> FormResult:
    """Streamed to disk with python-multipart; answers once the photo is verified."""
    settings = request.app.state.settings
    limit = settings.upload_max_size
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        raise too_large(limit)

    async def body() -> AsyncIterator[bytes]:
        total = 0
        try:
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit + FORM_OVERHEAD:
                    raise too_large(limit)
                yield chunk
        except InternalServerException:
            raise BadRequest(
                "De verbinding werd verbroken voordat het formulier compleet was.",
                slug="photo-form",
            ) from StreamInterrupted()

    processor = request.app.state.photos
    with processor.heap.busy():
        return await receive_form(
            processor,
            principal_of(request),
            boundary_of(request.headers.get("content-type", "")),
            body(),
            limit,
        )


ROUTES: list[Any] = [UploadController, download_photo, upload_form, evidence_package]
