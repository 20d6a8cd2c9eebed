"""Verification and processing of complete uploads, with bounded worker threads.

Two stages. :meth:`PhotoProcessor.check` runs when the last byte has arrived: it hashes the
whole file and runs the cheap image checks (format from the bytes, complete file, pixel and
side limits), so the client's final request is answered with a definite verdict on
anything wrong with what it sent. :meth:`PhotoProcessor.enqueue` then queues the expensive
part (one decode, derivatives, byte-exact install under the hash) on a pool of
``settings.photo_workers`` threads; the photo goes ``received`` → ``verified``. Queued jobs
hold no memory (their bytes are on disk) and an unfinished job is picked up again at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from server.audit.log import SYSTEM, append
from server.db import Database
from server.evidence import repository as repo
from server.evidence.blobstore import BlobStore
from server.evidence.imaging import ImageInfo, ImageRejected, inspect_image, make_derivatives

log = logging.getLogger("schouw.evidence")

BACKGROUND_NICE = 10


@dataclass(frozen=True, slots=True)
class Job:
    """A complete upload waiting to be turned into a verified photo."""

    upload_id: str
    photo_id: str
    agency_id: str
    sha256: str
    size: int
    info: ImageInfo


def hash_file(path: Path) -> str:
    """The sha256 hex digest of a file, read in bounded chunks."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def check_file(path: Path, declared_sha256: str, size: int, max_pixels: int) -> ImageInfo:
    """Whole-file hash against the declaration, then the cheap image checks."""
    if size > 0 and hash_file(path) != declared_sha256:
        raise ImageRejected(
            "photo-hash-mismatch",
            "De ontvangen bytes hebben een andere sha256 dan opgegeven; de upload is "
            "verwijderd. Stuur de foto opnieuw.",
        )
    return inspect_image(path, size, max_pixels)


Facts = tuple[int, int, str | None, str | None]


def derive_and_install(store: BlobStore, src: Path, job: Job) -> Facts:
    """Decode once, write both derivatives, move the original into the store.

    Returns the upright width and height and the EXIF time and location (JSON) found.
    """
    source = src if src.is_file() else store.original(job.sha256)
    derived = make_derivatives(source, job.info)
    store.write_derived(job.sha256, "display", derived.display, sync_dir=False)
    store.write_derived(job.sha256, "thumb", derived.thumb)
    if source == src:
        # The staged bytes were fsynced before the upload was acknowledged.
        store.install_original(src, job.sha256)
    return derived.width, derived.height, derived.exif.time, repo.encode_geo(derived.exif.geo)


def _background_priority() -> None:
    """Lower this worker thread's CPU priority: request handling (uploads, sync) goes first.

    Linux applies niceness per thread; elsewhere this is a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


class EvidenceConfig(Protocol):
    """What the photo processor needs to know (the app passes its settings)."""

    @property
    def blob_dir(self) -> Path: ...

    @property
    def upload_dir(self) -> Path: ...

    @property
    def photo_workers(self) -> int: ...

    @property
    def max_image_pixels(self) -> int: ...


class PhotoProcessor:
    """Owns the photo worker pool and the upload staging directory."""

    def __init__(self, db: Database, settings: EvidenceConfig) -> None:
        self.db = db
        self.settings = settings
        self.store = BlobStore(settings.blob_dir)
        self.staging = settings.upload_dir
        self.staging.mkdir(parents=True, exist_ok=True)
        self.store.root.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(
            max_workers=settings.photo_workers,
            thread_name_prefix="schouw-photo",
            initializer=_background_priority,
        )
        self._slots = asyncio.Semaphore(settings.photo_workers)
        # Final-request checks get their own small pool so verdicts never queue behind
        # derivative jobs (they are cheap: one read of the file plus a header parse).
        self._checker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="schouw-verify")
        self._tasks: set[asyncio.Task[str]] = set()
        self._loop = asyncio.get_running_loop()
        # Instrumentation for tests and benchmarks: body bytes that reached the server, and
        # bytes kept (acknowledged). A client that never re-sends keeps the two equal.
        self.bytes_arrived = 0
        self.bytes_received = 0

    def staging_path(self, upload_id: str) -> Path:
        """Where the bytes of an upload collect until it is complete."""
        return self.staging / f"{upload_id}.bin"

    async def check(self, upload_id: str, declared_sha256: str, size: int) -> ImageInfo:
        """Hash and cheap checks in a worker thread; raises :class:`ImageRejected`."""
        return await asyncio.get_running_loop().run_in_executor(
            self._checker,
            check_file,
            self.staging_path(upload_id),
            declared_sha256,
            size,
            self.settings.max_image_pixels,
        )

    async def inspect(self, path: Path, size: int) -> ImageInfo:
        """Only the cheap image checks (the caller hashed the bytes as they arrived)."""
        return await asyncio.get_running_loop().run_in_executor(
            self._checker, inspect_image, path, size, self.settings.max_image_pixels
        )

    def enqueue(self, job: Job) -> None:
        """Process ``job`` in the background (bounded by the worker pool)."""
        task = asyncio.create_task(self.process(job), name=f"photo-{job.photo_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, job: Job) -> str:
        """Derive, install and mark verified (or rejected); return the photo's outcome."""
        src = self.staging_path(job.upload_id)
        try:
            async with self._slots:
                facts = await asyncio.get_running_loop().run_in_executor(
                    self._executor, derive_and_install, self.store, src, job
                )
        except ImageRejected as exc:
            await self.reject(job.upload_id, job.photo_id, exc)
            return "rejected"

        width, height, exif_time, exif_geo = facts

        def finish(conn: sqlite3.Connection) -> None:
            repo.insert_blob(
                conn,
                job.agency_id,
                job.sha256,
                size=job.size,
                mime=job.info.mime,
                width=width,
                height=height,
            )
            repo.set_photo_state(
                conn,
                job.photo_id,
                "verified",
                width=width,
                height=height,
                exif_time=exif_time,
                exif_geo=exif_geo,
            )
            repo.update_upload(conn, job.upload_id, state="done", error=None)
            append(
                conn,
                SYSTEM,
                "photo.verify",
                object_type="photo",
                object_id=job.photo_id,
                detail={"sha256": job.sha256, "size": job.size, "width": width, "height": height},
            )

        await self.db.write(finish)
        return "verified"

    async def reject(self, upload_id: str, photo_id: str, exc: ImageRejected) -> None:
        """Discard the bytes of an upload and mark the photo rejected with the reason."""
        with contextlib.suppress(FileNotFoundError):
            self.staging_path(upload_id).unlink()

        def fail(conn: sqlite3.Connection) -> None:
            repo.update_upload(conn, upload_id, state="failed", error=exc.slug)
            repo.set_photo_state(
                conn,
                photo_id,
                "rejected",
                reject_reason=f"{exc.slug}: {exc.detail}",
            )
            append(
                conn,
                SYSTEM,
                "photo.verify",
                result="rejected",
                object_type="photo",
                object_id=photo_id,
                detail={"reason": exc.slug},
            )

        await self.db.write(fail)

    async def recover(self) -> int:
        """Queue again every complete upload whose processing did not finish (after a stop)."""
        ids = await self.db.read(repo.processing_uploads)
        for upload_id in ids:
            upload = await self.db.read(functools.partial(repo.get_upload, upload_id=upload_id))
            if upload is None:
                continue
            try:
                info = await self.check(upload.id, upload.sha256, upload.length)
            except ImageRejected as exc:
                await self.reject(upload.id, upload.photo_id, exc)
                continue
            except FileNotFoundError:
                if not self.store.original(upload.sha256).is_file():
                    log.error("upload %s lost its bytes before processing", upload.id)
                    continue
                info = await asyncio.to_thread(
                    inspect_image,
                    self.store.original(upload.sha256),
                    upload.length,
                    self.settings.max_image_pixels,
                )
            self.enqueue(
                Job(
                    upload.id, upload.photo_id, upload.agency_id, upload.sha256, upload.length, info
                )
            )
        return len(ids)

    async def idle(self) -> None:
        """Wait until every queued job has finished (callable from another event loop)."""
        if asyncio.get_running_loop() is not self._loop:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.idle(), self._loop))
            return
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Let running jobs finish, then stop the worker threads."""
        await self.idle()
        self._executor.shutdown(wait=True)
        self._checker.shutdown(wait=True)
