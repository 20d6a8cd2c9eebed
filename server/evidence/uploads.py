"""The tus upload service: creation, offsets, durable chunks, completion, termination.

Bytes of one upload collect in ``uploads/<id>.bin``. The offset is the one in the database,
written only after the bytes up to it are fsynced (and, for a new file, its directory entry),
so every byte a HEAD answer counts is durable. A PATCH cut off mid-body keeps, fsyncs and
counts the part that arrived (tus allows it; without a chunk checksum it needs no
verification), so the client resumes after it. A file longer than the offset (a crash
mid-PATCH, before the fsync) is cut back to it before the next append, so no byte is stored
twice and none that is not durable is ever counted.

Memory: a PATCH body is written as it arrives, each piece the ASGI server hands over going
to disk (in a thread) before the next one is read, so an upload in flight holds at most one
piece of its body (uvicorn hands over 64-320 KiB at a time) and never a whole chunk. Not
reading while a piece is written is the back-pressure: the ASGI server stops reading the
socket once it has buffered 64 KiB. Only pieces smaller than :data:`WRITE_BYTES` are
gathered first, so a body that arrives in many small pieces does not cost a thread hop each.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta

from server.audit.log import append
from server.auth.principal import Principal
from server.db import Database
from server.evidence import repository as repo
from server.evidence.access import may_attach
from server.evidence.blobstore import WRITE_BYTES, fsync_dir, is_sha256, write_pieces
from server.evidence.errors import (
    TUS_HEADERS,
    ChecksumMismatch,
    StreamInterrupted,
    rejected,
    too_large,
)
from server.evidence.imaging import ImageRejected
from server.evidence.processor import Job, PhotoProcessor
from server.lib.clock import iso, now_iso, utc_now
from server.lib.errors import BadRequest, Conflict, FieldError, Gone, NotFound, Unprocessable
from server.lib.ids import is_uuid7


@dataclass(frozen=True, slots=True)
class Checksum:
    """An ``Upload-Checksum`` header: algorithm and expected digest."""

    algorithm: str
    digest: bytes


def _not_found() -> NotFound:
    return NotFound(
        "Deze upload of foto bestaat niet, of u mag er geen bytes voor sturen.",
        slug="upload-not-found",
        headers=TUS_HEADERS,
    )


class UploadService:
    """tus semantics on top of the evidence repository and the photo processor."""

    def __init__(self, db: Database, processor: PhotoProcessor, max_size: int, expiry: int):
        self.db = db
        self.processor = processor
        self.max_size = max_size
        self.expiry = expiry
        self._busy: set[str] = set()

    def _expires(self) -> str:
        return iso(utc_now() + timedelta(seconds=self.expiry))

    async def create(self, principal: Principal, length: int, meta: dict[str, str]) -> repo.Upload:
        """Create an upload for a photo the caller may attach; complete at once on dedup."""
        if length > self.max_size:
            raise too_large(self.max_size, TUS_HEADERS)
        photo_id, sha256 = meta.get("photo_id", ""), meta.get("sha256", "")
        errors = []
        if not is_uuid7(photo_id):
            errors.append(FieldError("Upload-Metadata.photo_id", "moet een UUIDv7 zijn"))
        if not is_sha256(sha256):
            errors.append(FieldError("Upload-Metadata.sha256", "moet 64 kleine hex-tekens zijn"))
        if errors:
            raise BadRequest(
                "Upload-Metadata mist een geldige photo_id of sha256.",
                slug="upload-metadata",
                errors=errors,
                headers=TUS_HEADERS,
            )
        photo = await self.db.read(lambda c: repo.load_photo(c, photo_id))
        if photo is None or not may_attach(principal, photo):
            raise _not_found()
        if sha256 != photo.sha256:
            raise Unprocessable(
                "De sha256 in Upload-Metadata verschilt van die van de foto in de sync.",
                slug="sha256-mismatch",
                headers=TUS_HEADERS,
            )
        if length != photo.size:
            raise Unprocessable(
                f"Upload-Length {length} verschilt van de grootte van de foto ({photo.size}).",
                slug="size-mismatch",
                headers=TUS_HEADERS,
            )
        if length == 0:
            raise rejected(
                ImageRejected("photo-empty", "Het bestand is leeg (0 bytes)."), TUS_HEADERS
            )
        upload = repo.Upload(
            id=secrets.token_hex(16),
            photo_id=photo_id,
            sha256=sha256,
            length=length,
            offset=0,
            agency_id=photo.agency_id,
            user_id=principal.user_id,
            device_id=principal.device_id,
            state="open",
            error=None,
            expires_at=self._expires(),
        )

        def fn(conn: sqlite3.Connection) -> repo.Upload:
            # Dedup looks only at the caller's agency's own blobs.
            held = repo.agency_blob(conn, photo.agency_id, sha256) is not None
            made = replace(upload, offset=length, state="done") if held else upload
            repo.insert_upload(conn, made, {"photo_id": photo_id, "sha256": sha256})
            if held:
                repo.verify_from_blob(conn, photo_id)
                append(
                    conn,
                    principal.actor(),
                    "photo.upload",
                    result="deduplicated",
                    object_type="photo",
                    object_id=photo_id,
                    detail={"sha256": sha256, "size": length},
                )
            return made

        return await self.db.write(fn)

    async def get(self, principal: Principal, upload_id: str) -> repo.Upload:
        """The caller's own upload; 404 for anyone else, 410 once expired or rejected."""
        upload = await self.db.read(lambda c: repo.get_upload(c, upload_id))
        if upload is None or upload.user_id != principal.user_id:
            raise _not_found()
        if upload.state == "failed":
            raise Gone(
                f"Deze upload is geweigerd ({upload.error}); maak een nieuwe upload.",
                slug="upload-rejected",
                headers=TUS_HEADERS,
            )
        if upload.state == "open" and upload.expires_at < now_iso():
            raise Gone(
                "Deze upload is verlopen; begin een nieuwe upload.",
                slug="upload-expired",
                headers=TUS_HEADERS,
            )
        return upload

    async def append_chunk(
        self,
        principal: Principal,
        upload_id: str,
        *,
        offset: int,
        content_length: int | None,
        body: AsyncIterator[bytes],
        checksum: Checksum | None,
    ) -> repo.Upload:
        """Append one PATCH body at ``offset``; on the last byte, verify the whole file."""
        upload = await self.get(principal, upload_id)
        if upload.state != "open":
            return upload  # complete already: every PATCH just learns the final offset
        if offset != upload.offset:
            raise Conflict(
                f"Upload-Offset {offset} klopt niet; de server heeft {upload.offset} bytes. "
                "Vraag de offset op met HEAD en ga daar verder.",
                slug="upload-offset-mismatch",
                headers={**TUS_HEADERS, "Upload-Offset": str(upload.offset)},
            )
        remaining = upload.length - upload.offset
        if content_length is not None and content_length > remaining:
            raise too_large(upload.length, TUS_HEADERS)
        if upload_id in self._busy:
            raise Conflict(
                "Er loopt al een PATCH voor deze upload; wacht tot die klaar is.",
                slug="upload-locked",
                headers=TUS_HEADERS,
            )
        self._busy.add(upload_id)
        try:
            with self.processor.heap.busy():
                written = await self._receive(upload, body, checksum, remaining)
                return await self._advance(principal, upload, written)
        finally:
            self._busy.discard(upload_id)

    async def _receive(
        self,
        upload: repo.Upload,
        body: AsyncIterator[bytes],
        checksum: Checksum | None,
        remaining: int,
    ) -> int:
        path = self.processor.staging_path(upload.id)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            # Bytes past the durable offset are from an unacknowledged (crashed) request.
            os.ftruncate(fd, upload.offset)
            os.lseek(fd, upload.offset, os.SEEK_SET)
            hasher = hashlib.new(checksum.algorithm) if checksum else None
            pending: list[bytes] = []
            buffered = written = 0
            interrupted = False
            try:
                async for piece in body:
                    if not piece:
                        continue
                    self.processor.bytes_arrived += len(piece)
                    if written + buffered + len(piece) > remaining:
                        os.ftruncate(fd, upload.offset)
                        raise too_large(upload.length, TUS_HEADERS)
                    pending.append(piece)
                    buffered += len(piece)
                    if buffered >= WRITE_BYTES:
                        # To disk (and through the checksum) before the next piece is read,
                        # off the event loop. No reference stays behind, so no piece is in
                        # memory while the next one arrives.
                        await asyncio.to_thread(write_pieces, fd, pending, hasher)
                        written += buffered
                        buffered = 0
                        pending = []
                        del piece
            except StreamInterrupted:
                interrupted = True
            except BaseException:
                # Refused mid-body (the route's body limit, a server error): nothing of it
                # stays past the durable offset.
                os.ftruncate(fd, upload.offset)
                raise
            if hasher is not None and interrupted:
                os.ftruncate(fd, upload.offset)  # a chunk that cannot be verified is dropped
                return 0
            if pending:
                await asyncio.to_thread(write_pieces, fd, pending, hasher)
                written += buffered
                pending = []
            if written:
                await asyncio.to_thread(os.fsync, fd)
                if upload.offset == 0:  # the first bytes counted: make the file's entry durable
                    await asyncio.to_thread(fsync_dir, path.parent)
            if (
                hasher is not None
                and checksum is not None
                and not hmac.compare_digest(hasher.digest(), checksum.digest)
            ):
                os.ftruncate(fd, upload.offset)
                raise ChecksumMismatch(
                    "Het controlegetal (Upload-Checksum) van dit deel klopt niet; het deel "
                    "is weggegooid. Stuur het opnieuw vanaf dezelfde offset.",
                    headers=TUS_HEADERS,
                )
            return written
        finally:
            os.close(fd)

    async def _advance(
        self, principal: Principal, upload: repo.Upload, written: int
    ) -> repo.Upload:
        new_offset = upload.offset + written
        expires = self._expires()

        def fn(conn: sqlite3.Connection) -> None:
            repo.update_upload(conn, upload.id, offset=new_offset, expires_at=expires)
            if upload.offset == 0 and written > 0:
                repo.set_photo_state(conn, upload.photo_id, "uploading")

        if written:
            await self.db.write(fn)
            self.processor.bytes_received += written
        current = replace(upload, offset=new_offset, expires_at=expires)
        if new_offset < upload.length:
            return current
        return await self._complete(principal, current)

    async def _complete(self, principal: Principal, upload: repo.Upload) -> repo.Upload:
        try:
            info = await self.processor.check(upload.id, upload.sha256, upload.length)
        except ImageRejected as exc:
            await self.processor.reject(upload.id, upload.photo_id, exc)
            raise rejected(exc, TUS_HEADERS) from None

        def fn(conn: sqlite3.Connection) -> None:
            repo.update_upload(conn, upload.id, state="processing")
            repo.set_photo_state(
                conn,
                upload.photo_id,
                "received",
                mime=info.mime,
            )
            append(
                conn,
                principal.actor(),
                "photo.upload",
                result="received",
                object_type="photo",
                object_id=upload.photo_id,
                detail={"sha256": upload.sha256, "size": upload.length, "format": info.format},
            )

        await self.db.write(fn)
        self.processor.enqueue(
            Job(upload.id, upload.photo_id, upload.agency_id, upload.sha256, upload.length, info)
        )
        return replace(upload, state="processing")

    async def terminate(self, principal: Principal, upload_id: str) -> None:
        """Delete an unfinished upload and its bytes (tus termination)."""
        upload = await self.get(principal, upload_id)
        if upload.state == "processing" or upload_id in self._busy:
            raise Conflict(
                "Deze upload wordt nu verwerkt en kan niet meer worden verwijderd.",
                slug="upload-busy",
                headers=TUS_HEADERS,
            )
        await self.forget(upload)

    async def forget_expired(self, upload: repo.Upload) -> bool:
        """Forget an expired upload, unless a PATCH is writing to it right now (one that began
        before the upload expired; its end renews the expiry): False then. A PATCH that
        arrives while the upload is being forgotten is told to wait (409), as for any busy
        upload, so no bytes go to a file that is being removed."""
        if upload.id in self._busy:
            return False
        self._busy.add(upload.id)
        try:
            await self.forget(upload)
        finally:
            self._busy.discard(upload.id)
        return True

    async def forget(self, upload: repo.Upload) -> None:
        """Remove an upload row first, then its bytes; an unfinished photo is expected again."""

        def fn(conn: sqlite3.Connection) -> None:
            repo.delete_upload(conn, upload.id)
            repo.set_photo_state(conn, upload.photo_id, "expected")

        await self.db.write(fn)
        with contextlib.suppress(FileNotFoundError):
            self.processor.staging_path(upload.id).unlink()
