"""Verification and processing of complete uploads, in a pool of worker processes.

Two stages. :meth:`PhotoProcessor.check` runs when the last byte has arrived: it hashes the
whole file and runs the cheap image checks (format from the bytes, complete file, pixel and
side limits), so the client's final request is answered with a definite verdict on
anything wrong with what it sent. :meth:`PhotoProcessor.enqueue` then queues the expensive
part (one decode, derivatives, byte-exact install under the hash); the photo goes
``received`` → ``verified``. Both run in the photo worker processes (``pool.py``), with
limits on memory and CPU time, so no image is parsed or decoded in the server process and a
decoder that crashes or runs away takes down a worker, not the server. Only paths and small
results cross to the workers. Queued jobs hold no memory (their bytes are on disk) and an
unfinished job is picked up again at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from pathlib import Path
from typing import Protocol

from server.audit.log import SYSTEM, append
from server.db import Database
from server.evidence import repository as repo
from server.evidence import worker
from server.evidence.blobstore import BlobStore
from server.evidence.imaging import ImageInfo, ImageRejected
from server.evidence.pool import WorkerLost, WorkerPool
from server.evidence.worker import Facts, Job, WorkerLimits, check_file, derive_and_install
from server.lib.heap import HeapTrimmer

__all__ = ["EvidenceConfig", "Facts", "Job", "PhotoProcessor", "check_file", "derive_and_install"]

log = logging.getLogger("schouw.evidence")

MIB = 1024 * 1024


def unprocessable(exc: WorkerLost) -> ImageRejected:
    """The rejection for a photo whose processing killed its worker twice."""
    return ImageRejected(
        "photo-unprocessable",
        "De foto kon niet worden verwerkt: het lezen ervan overschreed twee keer de grens "
        f"voor geheugen of rekentijd van de fotoverwerking ({exc}). Controleer of het "
        "bestand een gewone foto van het toestel is en stuur het opnieuw.",
    )


class EvidenceConfig(Protocol):
    """What the photo processor needs to know (the app passes its settings)."""

    @property
    def blob_dir(self) -> Path: ...

    @property
    def upload_dir(self) -> Path: ...

    @property
    def photo_workers(self) -> int: ...

    @property
    def photo_worker_jobs(self) -> int: ...

    @property
    def photo_worker_memory(self) -> int: ...

    @property
    def photo_worker_cpu(self) -> int: ...

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
        self.pool = WorkerPool(
            settings.photo_workers,
            WorkerLimits(
                memory_bytes=settings.photo_worker_memory * MIB,
                cpu_seconds_per_job=settings.photo_worker_cpu,
                jobs_per_worker=settings.photo_worker_jobs,
            ),
        )
        self._tasks: set[asyncio.Task[str]] = set()
        self._loop = asyncio.get_running_loop()
        # Instrumentation for tests and benchmarks: body bytes that reached the server, and
        # bytes kept (acknowledged). A client that never re-sends keeps the two equal.
        self.bytes_arrived = 0
        self.bytes_received = 0
        # Upload requests (tus and the form) run inside heap.busy(): once none is left, the
        # memory their bodies passed through goes back to the system.
        self.heap = HeapTrimmer()

    def staging_path(self, upload_id: str) -> Path:
        """Where the bytes of an upload collect until it is complete."""
        return self.staging / f"{upload_id}.bin"

    async def check(self, upload_id: str, declared_sha256: str, size: int) -> ImageInfo:
        """Hash and cheap checks in a worker; raises :class:`ImageRejected`.

        A client waits for this verdict, so it goes to the next free worker ahead of
        queued derivative jobs.
        """
        try:
            return await self.pool.run(
                worker.run_check,
                self.settings.photo_worker_cpu,
                self.staging_path(upload_id),
                declared_sha256,
                size,
                self.settings.max_image_pixels,
                urgent=True,
            )
        except WorkerLost as exc:
            raise unprocessable(exc) from None

    async def inspect(self, path: Path, size: int) -> ImageInfo:
        """Only the cheap image checks (the caller hashed the bytes as they arrived)."""
        try:
            return await self.pool.run(
                worker.run_inspect,
                self.settings.photo_worker_cpu,
                path,
                size,
                self.settings.max_image_pixels,
                urgent=True,
            )
        except WorkerLost as exc:
            raise unprocessable(exc) from None

    def enqueue(self, job: Job) -> None:
        """Process ``job`` in the background (one worker process per job at a time)."""
        task = asyncio.create_task(self.process(job), name=f"photo-{job.photo_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, job: Job) -> str:
        """Derive, install and mark verified (or rejected); return the photo's outcome."""
        src = self.staging_path(job.upload_id)
        try:
            facts: Facts = await self.pool.run(
                worker.run_derive, self.settings.photo_worker_cpu, self.store.root, src, job
            )
        except WorkerLost as exc:
            await self.reject(job.upload_id, job.photo_id, unprocessable(exc))
            return "rejected"
        except ImageRejected as exc:
            await self.reject(job.upload_id, job.photo_id, exc)
            return "rejected"

        width, height, exif_time, geo = facts
        exif_geo = repo.encode_geo(geo)

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

    async def start(self) -> None:
        """Start the photo worker processes (with the app, so no photo waits for them)."""
        await self.pool.start()

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
                try:
                    info = await self.inspect(self.store.original(upload.sha256), upload.length)
                except ImageRejected as exc:
                    await self.reject(upload.id, upload.photo_id, exc)
                    continue
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
        """Let running jobs finish, then stop the worker processes."""
        await self.idle()
        await self.pool.close()
