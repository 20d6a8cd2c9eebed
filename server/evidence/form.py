"""``POST /api/v1/photos``: a photo as ``multipart/form-data`` for simple clients.

Parsed as a stream with python-multipart: the ``file`` part goes straight to the staging
file and through the hash as it arrives, each byte written once (Litestar's own form
parsing would spool it to a temporary file first). ``photo_id`` and ``sha256`` must come
before ``file``, so that nothing is written for a caller who may not attach the photo.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import msgspec
import python_multipart
from python_multipart.multipart import parse_options_header

from server.audit.log import append
from server.auth.principal import Principal
from server.evidence import repository as repo
from server.evidence.access import may_attach
from server.evidence.errors import rejected, too_large
from server.evidence.imaging import ImageRejected
from server.evidence.processor import Job, PhotoProcessor
from server.lib.clock import now_iso
from server.lib.errors import BadRequest, NotFound, Unprocessable
from server.lib.ids import is_uuid7

FIELDS = ("photo_id", "sha256")
FIELD_MAX = 128


class FormResult(msgspec.Struct):
    """The photo after the upload: ``verified`` (or ``rejected`` with a 422 instead)."""

    photo_id: str
    sha256: str
    state: str
    size: int


@dataclass
class _Parts:
    """What the parser callbacks have seen so far."""

    name: str | None = None
    header_field: bytes = b""
    header_value: bytes = b""
    fields: dict[str, bytearray] = field(default_factory=dict)
    file_started: bool = False
    file_done: bool = False
    finished: bool = False
    pending: list[bytes] = field(default_factory=list)
    fd: int | None = None
    size: int = 0
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)
    error: BadRequest | None = None


def _bad(detail: str) -> BadRequest:
    return BadRequest(detail, slug="photo-form")


def _callbacks(state: _Parts, limit: int) -> dict[str, object]:
    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        if state.header_field.lower() == b"content-disposition":
            _, params = parse_options_header(state.header_value)
            state.name = params.get(b"name", b"").decode("utf-8", "replace")
        state.header_field, state.header_value = b"", b""

    def on_headers_finished() -> None:
        name = state.name
        if name == "file":
            if state.file_started:
                state.error = state.error or _bad("Het formulier bevat meer dan één bestand.")
            state.file_started = True
        elif name in FIELDS:
            if name in state.fields or state.file_started:
                state.error = state.error or _bad(
                    "Stuur photo_id en sha256 elk één keer, vóór het veld file."
                )
            state.fields[name] = bytearray()
        else:
            state.error = state.error or _bad(
                f"Onbekend veld '{name}'; verwacht photo_id, sha256 en file."
            )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.error is not None:
            return
        chunk = data[start:end]
        if state.name == "file" and not state.file_done:
            state.size += len(chunk)
            if state.size > limit:
                state.error = too_large(limit)  # type: ignore[assignment]
                return
            state.hasher.update(chunk)
            if state.fd is None:
                state.pending.append(bytes(chunk))
            else:
                _write_all(state.fd, chunk)
        elif state.name in state.fields:
            buf = state.fields[state.name]
            buf += chunk
            if len(buf) > FIELD_MAX:
                state.error = _bad(f"Het veld {state.name} is te lang.")

    def on_part_end() -> None:
        if state.name == "file":
            state.file_done = True
        state.name = None

    def on_end() -> None:
        state.finished = True

    return {
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a Content-Type header; 400 when there is none."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 70:
        raise _bad("Stuur multipart/form-data met een boundary (velden photo_id, sha256, file).")
    return boundary


async def receive_form(
    processor: PhotoProcessor,
    principal: Principal,
    boundary: bytes,
    body: AsyncIterator[bytes],
    limit: int,
) -> FormResult:
    """Stream the form to disk, verify it, process it and return the photo's state."""
    state = _Parts()
    parser = python_multipart.MultipartParser(boundary, _callbacks(state, limit))  # type: ignore[arg-type]
    upload_id = secrets.token_hex(16)
    path = processor.staging_path(upload_id)
    photo: repo.PhotoTarget | None = None
    try:
        async for chunk in body:
            if chunk:
                processor.bytes_arrived += len(chunk)
                parser.write(chunk)
            if state.error is not None:
                raise state.error
            if state.file_started and photo is None:
                photo = await _authorize(processor, principal, state)
                held = await processor.db.read(
                    functools.partial(
                        repo.agency_blob, agency_id=photo.agency_id, sha256=photo.sha256
                    )
                )
                if photo.state == "verified" or held is not None:
                    await processor.db.write(
                        functools.partial(repo.verify_from_blob, photo_id=photo.photo_id)
                    )
                    return FormResult(photo.photo_id, photo.sha256, "verified", photo.size)
                state.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                for pending in state.pending:
                    _write_all(state.fd, pending)
                state.pending.clear()
        parser.finalize()
        if state.error is not None:
            raise state.error
        if not state.finished or not state.file_done or photo is None:
            raise _bad("Het formulier is onvolledig: photo_id, sha256 en file zijn nodig.")
        if state.fd is not None:
            os.fsync(state.fd)
        return await _finish(processor, principal, photo, upload_id, state)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    finally:
        if state.fd is not None:
            os.close(state.fd)


async def _authorize(
    processor: PhotoProcessor, principal: Principal, state: _Parts
) -> repo.PhotoTarget:
    photo_id = state.fields.get("photo_id", bytearray()).decode("utf-8", "replace").strip()
    sha256 = state.fields.get("sha256", bytearray()).decode("utf-8", "replace").strip()
    if not is_uuid7(photo_id) or len(sha256) != 64:
        raise _bad("Stuur eerst photo_id (UUIDv7) en sha256 (64 hex-tekens), dan file.")
    photo = await processor.db.read(lambda c: repo.load_photo(c, photo_id))
    if photo is None or not may_attach(principal, photo):
        raise NotFound("Deze foto bestaat niet, of u mag er geen bytes voor sturen.")
    if sha256 != photo.sha256:
        raise Unprocessable(
            "De sha256 in het formulier verschilt van die van de foto in de sync.",
            slug="sha256-mismatch",
        )
    return photo


async def _finish(
    processor: PhotoProcessor,
    principal: Principal,
    photo: repo.PhotoTarget,
    upload_id: str,
    state: _Parts,
) -> FormResult:
    path = processor.staging_path(upload_id)
    try:
        if state.hasher.hexdigest() != photo.sha256:
            raise ImageRejected(
                "photo-hash-mismatch",
                "De ontvangen bytes hebben een andere sha256 dan opgegeven; stuur de foto opnieuw.",
            )
        info = await processor.inspect(path, state.size)
    except ImageRejected as exc:
        await _record_rejection(processor, principal, photo, exc)
        raise rejected(exc) from None
    upload = repo.Upload(
        id=upload_id,
        photo_id=photo.photo_id,
        sha256=photo.sha256,
        length=state.size,
        offset=state.size,
        agency_id=photo.agency_id,
        user_id=principal.user_id,
        device_id=principal.device_id,
        state="processing",
        error=None,
        expires_at=now_iso(),
    )

    def received(conn: sqlite3.Connection) -> None:
        repo.insert_upload(conn, upload, {"photo_id": photo.photo_id, "via": "multipart"})
        repo.set_photo_state(
            conn,
            photo.photo_id,
            "received",
            only_from=("expected", "uploading", "rejected"),
            mime=info.mime,
        )
        append(
            conn,
            principal.actor(),
            "photo.upload",
            result="received",
            object_type="photo",
            object_id=photo.photo_id,
            detail={"sha256": photo.sha256, "size": state.size, "via": "multipart"},
        )

    await processor.db.write(received)
    processor.bytes_received += state.size
    outcome = await processor.process(
        Job(upload_id, photo.photo_id, photo.agency_id, photo.sha256, state.size, info)
    )
    if outcome != "verified":
        reason = await processor.db.read(
            functools.partial(repo.reject_reason, photo_id=photo.photo_id)
        )
        slug, _, detail = str(reason).partition(": ")
        raise rejected(ImageRejected(slug, detail))
    return FormResult(photo.photo_id, photo.sha256, "verified", state.size)


async def _record_rejection(
    processor: PhotoProcessor, principal: Principal, photo: repo.PhotoTarget, exc: ImageRejected
) -> None:
    def fn(conn: sqlite3.Connection) -> None:
        repo.set_photo_state(
            conn,
            photo.photo_id,
            "rejected",
            only_from=("expected", "uploading", "received", "rejected"),
            reject_reason=f"{exc.slug}: {exc.detail}",
        )
        append(
            conn,
            principal.actor(),
            "photo.upload",
            result="rejected",
            object_type="photo",
            object_id=photo.photo_id,
            detail={"reason": exc.slug, "via": "multipart"},
        )

    await processor.db.write(fn)
