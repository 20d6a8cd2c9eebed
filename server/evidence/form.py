"""``POST /api/v1/photos``: a photo as ``multipart/form-data`` for simple clients.

Parsed as a stream with python-multipart: the ``file`` part goes to the staging file and
through the hash as it arrives (every ``WRITE_BYTES``, in a thread), each byte written once
(Litestar's own form parsing would spool it to a temporary file first). ``photo_id`` and
``sha256`` must come before ``file``, so that nothing is written for a caller who may not
attach the photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator

import msgspec
import python_multipart

from server.audit.log import append
from server.auth.principal import Principal
from server.evidence import repository as repo
from server.evidence.access import may_attach
from server.evidence.blobstore import WRITE_BYTES, write_pieces
from server.evidence.errors import rejected
from server.evidence.form_parser import FormState, bad_form, callbacks
from server.evidence.imaging import ImageRejected
from server.evidence.processor import Job, PhotoProcessor
from server.lib.clock import now_iso
from server.lib.errors import NotFound, Unprocessable
from server.lib.ids import is_uuid7


class FormResult(msgspec.Struct):
    """The photo after the upload: ``verified`` (or ``rejected`` with a 422 instead)."""

    photo_id: str
    sha256: str
    state: str
    size: int


async def receive_form(
    processor: PhotoProcessor,
    principal: Principal,
    boundary: bytes,
    body: AsyncIterator[bytes],
    limit: int,
) -> FormResult:
    """Stream the form to disk, verify it, process it and return the photo's state."""
    state = FormState()
    parser = python_multipart.MultipartParser(boundary, callbacks(state, limit))  # type: ignore[arg-type]
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
            if state.fd is not None and state.buffered >= WRITE_BYTES:
                await _write(state)
        parser.finalize()
        if state.error is not None:
            raise state.error
        if not state.finished or not state.file_done or photo is None:
            raise bad_form("Het formulier is onvolledig: photo_id, sha256 en file zijn nodig.")
        if state.fd is not None:
            await _write(state)
            await asyncio.to_thread(os.fsync, state.fd)
        return await _finish(processor, principal, photo, upload_id, state)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    finally:
        if state.fd is not None:
            os.close(state.fd)


async def _write(state: FormState) -> None:
    """Write and hash the file's pieces received so far, in a thread (the event loop serves
    other requests meanwhile); no reference to them stays behind."""
    pending, state.pending, state.buffered = state.pending, [], 0
    if pending and state.fd is not None:
        await asyncio.to_thread(write_pieces, state.fd, pending, state.hasher)


async def _authorize(
    processor: PhotoProcessor, principal: Principal, state: FormState
) -> repo.PhotoTarget:
    photo_id = state.fields.get("photo_id", bytearray()).decode("utf-8", "replace").strip()
    sha256 = state.fields.get("sha256", bytearray()).decode("utf-8", "replace").strip()
    if not is_uuid7(photo_id) or len(sha256) != 64:
        raise bad_form("Stuur eerst photo_id (UUIDv7) en sha256 (64 hex-tekens), dan file.")
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
    state: FormState,
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
