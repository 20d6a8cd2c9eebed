"""HTTP surface of tus 1.0.0 at ``/api/v1/uploads`` (core, creation, checksum, expiration,
termination). Thin: parses headers, calls :class:`~server.evidence.uploads.UploadService`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from email.utils import format_datetime
from typing import Any

from litestar import Controller, Request, Response, delete, head, patch, route
from litestar.datastructures import State
from litestar.enums import HttpMethod
from litestar.exceptions import InternalServerException
from litestar.params import FromPath

from server.auth.guards import principal_of
from server.evidence.errors import (
    TUS_HEADERS,
    TUS_VERSION,
    PreconditionFailed,
    StreamInterrupted,
    UnsupportedMediaType,
)
from server.evidence.repository import Upload
from server.evidence.uploads import Checksum, UploadService
from server.lib.clock import parse_iso
from server.lib.errors import BadRequest
from server.lib.numbers import ascii_digits

_TUS_VERSION_HEADER = ("Tus-Resumable", True, {"type": "string", "enum": ["1.0.0"]}, "tus version")
_DIGITS = {"type": "string", "pattern": "^[0-9]{1,18}$"}
PATCH_LIMIT = 16 * 1024 * 1024 + 64 * 1024
EXTENSIONS = "creation,checksum,expiration,termination"
ALGORITHMS = {"sha1": 20, "sha256": 32}
BASE = "/api/v1/uploads"


def _service(request: Request[Any, Any, State]) -> UploadService:
    service: UploadService = request.app.state.uploads
    return service


def _require_tus(request: Request[Any, Any, State]) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise PreconditionFailed(
            f"Deze server spreekt tus {TUS_VERSION}; stuur 'Tus-Resumable: {TUS_VERSION}'.",
            headers={**TUS_HEADERS, "Tus-Version": TUS_VERSION},
        )


def _int_header(request: Request[Any, Any, State], name: str) -> int:
    raw = request.headers.get(name)
    if raw is None or not ascii_digits(raw, 18):
        raise BadRequest(
            f"Header {name} ontbreekt of is geen geheel getal ≥ 0.",
            slug="tus-header",
            headers=TUS_HEADERS,
        )
    return int(raw)


def parse_metadata(raw: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (values UTF-8)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in raw.split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(
                f"Upload-Metadata: de waarde van '{key}' is geen geldige base64.",
                slug="upload-metadata",
                headers=TUS_HEADERS,
            ) from None
    return out


def parse_checksum(raw: str | None) -> Checksum | None:
    """``Upload-Checksum: <sha1|sha256> <base64 digest>``; 400 for anything else."""
    if raw is None:
        return None
    algorithm, _, value = raw.strip().partition(" ")
    algorithm = algorithm.lower()
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if algorithm not in ALGORITHMS or len(digest) != ALGORITHMS[algorithm]:
        raise BadRequest(
            "Upload-Checksum moet 'sha1 <base64>' of 'sha256 <base64>' zijn.",
            slug="checksum-algorithm",
            headers=TUS_HEADERS,
        )
    return Checksum(algorithm, digest)


def _headers(upload: Upload) -> dict[str, str]:
    headers = {
        **TUS_HEADERS,
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    }
    if upload.state == "open":
        headers["Upload-Expires"] = format_datetime(parse_iso(upload.expires_at), usegmt=True)
    return headers


async def _body(request: Request[Any, Any, State]) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
            del chunk  # not kept while the next piece is read
    except InternalServerException as exc:
        if "disconnect" not in str(exc.detail):
            raise
        raise StreamInterrupted from None


def _discovery(max_size: int) -> Response[None]:
    return Response(
        None,
        status_code=204,
        headers={
            **TUS_HEADERS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": EXTENSIONS,
            "Tus-Max-Size": str(max_size),
            "Tus-Checksum-Algorithm": ",".join(ALGORITHMS),
        },
    )


async def _create(request: Request[Any, Any, State]) -> Response[None]:
    """tus creation; completes at once when the caller's agency already holds the bytes."""
    _require_tus(request)
    if "upload-defer-length" in request.headers:
        raise BadRequest(
            "Upload-Defer-Length wordt niet ondersteund; stuur Upload-Length.",
            slug="tus-header",
            headers=TUS_HEADERS,
        )
    length = _int_header(request, "upload-length")
    meta = parse_metadata(request.headers.get("upload-metadata", ""))
    upload = await _service(request).create(principal_of(request), length, meta)
    return Response(
        None,
        status_code=201,
        headers={**_headers(upload), "Location": f"{BASE}/{upload.id}"},
    )


class UploadController(Controller):
    """tus resources: ``POST /uploads`` creates, ``/uploads/{id}`` is HEAD/PATCH/DELETE."""

    path = BASE
    tags = ["evidence"]

    @route(
        "/",
        http_method=[HttpMethod.POST, HttpMethod.OPTIONS],
        summary="tus discovery (OPTIONS) and creation (POST)",
        opt={
            "response_body": (201, "", None),
            "headers": [
                _TUS_VERSION_HEADER,
                ("Upload-Length", True, _DIGITS, "size of the whole file in bytes"),
                (
                    "Upload-Metadata",
                    True,
                    {"type": "string"},
                    "photo_id and sha256, each as `key base64(value)`, comma-separated",
                ),
            ],
        },
    )
    async def collection(self, request: Request[Any, Any, State]) -> Response[None]:
        """OPTIONS says what this server supports (no login needed); POST creates an upload.

        One handler for both: Litestar would otherwise add its own OPTIONS handler here.
        """
        if request.method == HttpMethod.OPTIONS:
            return _discovery(request.app.state.settings.upload_max_size)
        return await _create(request)

    @head(
        "/{upload_id:str}",
        summary="Offset of an upload",
        opt={"response_body": (200, "", None), "headers": [_TUS_VERSION_HEADER]},
    )
    async def offset(
        self, request: Request[Any, Any, State], upload_id: FromPath[str]
    ) -> Response[None]:
        """How many bytes the server holds durably."""
        _require_tus(request)
        upload = await _service(request).get(principal_of(request), upload_id)
        return Response(None, status_code=200, headers=_headers(upload))

    @patch(
        "/{upload_id:str}",
        status_code=204,
        request_max_body_size=PATCH_LIMIT,
        summary="Append bytes to an upload",
        opt={
            "request_body": (
                "application/offset+octet-stream",
                {"type": "string", "format": "binary"},
            ),
            "response_body": (204, "", None),
            "headers": [
                _TUS_VERSION_HEADER,
                ("Upload-Offset", True, _DIGITS, "where this chunk starts"),
                (
                    "Upload-Checksum",
                    False,
                    {"type": "string"},
                    "`sha1 <base64>` or `sha256 <base64>` of this chunk",
                ),
            ],
        },
    )
    async def append(
        self, request: Request[Any, Any, State], upload_id: FromPath[str]
    ) -> Response[None]:
        """Stream the body to disk at ``Upload-Offset``; 204 with the new offset."""
        _require_tus(request)
        if request.headers.get("content-type", "").split(";")[0].strip() != (
            "application/offset+octet-stream"
        ):
            raise UnsupportedMediaType(
                "Een PATCH moet Content-Type 'application/offset+octet-stream' hebben.",
                headers=TUS_HEADERS,
            )
        offset = _int_header(request, "upload-offset")
        checksum = parse_checksum(request.headers.get("upload-checksum"))
        upload = await _service(request).append_chunk(
            principal_of(request),
            upload_id,
            offset=offset,
            content_length=request.content_length,
            body=_body(request),
            checksum=checksum,
        )
        return Response(None, status_code=204, headers=_headers(upload))

    @delete(
        "/{upload_id:str}",
        status_code=204,
        summary="Terminate an upload",
        opt={"response_body": (204, "", None), "headers": [_TUS_VERSION_HEADER]},
    )
    async def terminate(
        self, request: Request[Any, Any, State], upload_id: FromPath[str]
    ) -> Response[None]:
        """tus termination: the unfinished upload and its bytes are removed."""
        _require_tus(request)
        await _service(request).terminate(principal_of(request), upload_id)
        return Response(None, status_code=204, headers=dict(TUS_HEADERS))
