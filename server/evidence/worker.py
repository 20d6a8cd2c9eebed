"""What runs inside a photo worker process: resource limits, the checks and the derivatives.

This module is imported by the worker processes (and preloaded by the process that forks
them), so it imports Pillow and the blob store but nothing of the database or the web app.
Only paths and small values cross the process boundary: a :class:`Job` in, an
:class:`~server.evidence.imaging.ImageInfo` or :data:`Facts` out, or an
:class:`~server.evidence.imaging.ImageRejected` with its reason.

Limits (set once when a worker starts, see :func:`start_worker`):

- ``RLIMIT_AS``: the worker's whole address space. An allocation beyond it fails inside
  the worker (``MemoryError`` or a decoder error), never in the server.
- ``RLIMIT_CPU``: CPU seconds per job. Before each job the soft limit is moved to the CPU
  time used so far plus the budget; a job that spends more gets ``SIGXCPU`` and the worker
  dies. The hard limit caps the worker's whole life (every job's budget plus a margin).
- ``RLIMIT_CORE`` 0: a worker killed by a signal leaves no core file behind.
- niceness 10 for background jobs: request handling in the server goes first. The worker
  that runs the checks a client waits for keeps the server's priority.

A worker exits as soon as the server process is gone, even if it was killed (a worker
waiting for work would otherwise wait for ever, and keep its fork server alive too): a small
thread waits for the end of the server's lifeline, the pipe multiprocessing keeps open
between a process and the children it started.

A worker ignores SIGINT and SIGTERM. Ctrl-C in a terminal and a service manager's stop
signal reach the whole process group; the server then shuts down in order and lets the
photos in progress finish, and a worker interrupted half-way would only turn a good photo
into a failed attempt. The server stops its workers itself; if the server dies, a worker's
job queue closes and the worker exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

from server.evidence.blobstore import BlobStore
from server.evidence.imaging import ImageInfo, ImageRejected, inspect_image, make_derivatives

BACKGROUND_NICE = 10
MIB = 1024 * 1024
# CPU seconds a worker may spend outside jobs over its life (start-up, pickling).
_CPU_MARGIN = 10
# glibc malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# Photo-sized buffers (a 12 MP photo's half-scale image is 12 MB) come from the heap and stay
# there between the jobs of a burst; larger ones (a full-size decode of a huge PNG) are mapped
# and unmapped on their own. 32 MiB is the largest threshold glibc accepts on 64-bit.
_MMAP_THRESHOLD = 32 * MIB
_KEEP_FREE = 256 * MIB


@dataclass(frozen=True, slots=True)
class Job:
    """A complete upload waiting to be turned into a verified photo."""

    upload_id: str
    photo_id: str
    agency_id: str
    sha256: str
    size: int
    info: ImageInfo


# Upright width and height, EXIF capture time (ISO 8601) and EXIF location (or None).
Facts = tuple[int, int, str | None, dict[str, float] | None]


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    """Resource limits of one worker process."""

    memory_bytes: int
    cpu_seconds_per_job: int
    jobs_per_worker: int


def start_worker(limits: WorkerLimits, nice: int = BACKGROUND_NICE) -> None:
    """Initializer of every worker process: lower its priority by ``nice`` and set its
    limits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = multiprocessing.parent_process()
    if server is not None:
        # Thread stacks and per-thread malloc arenas (64 MiB each) count against RLIMIT_AS:
        # a small stack, and one arena for the whole process.
        _tune_malloc()
        threading.stack_size(256 * 1024)
        threading.Thread(
            target=_exit_with, args=(server.sentinel,), name="lifeline", daemon=True
        ).start()
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    lifetime = limits.cpu_seconds_per_job * (limits.jobs_per_worker + 1) + _CPU_MARGIN
    used = _cpu_used()
    resource.setrlimit(resource.RLIMIT_CPU, (used + limits.cpu_seconds_per_job, used + lifetime))


def _tune_malloc() -> None:
    """glibc malloc for a worker: one arena, and free memory kept until :func:`trim`.

    Left to itself, glibc gives a freed 12 MB image back to the system at once or keeps it,
    depending on the order of earlier frees; given back, the next photo faults the same
    pages in again (about 6,000 page faults, 10 % more CPU per photo). So within a burst
    of jobs the memory stays with the worker, and the pool calls :func:`trim` when the
    worker has nothing left to do.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_ARENA_MAX, 1)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_FREE)


def trim() -> None:
    """Give the free memory of the heap back to the system (glibc ``malloc_trim``)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _exit_with(sentinel: int) -> None:
    """Wait until the server process is gone, then end this worker at once."""
    multiprocessing.connection.wait([sentinel])
    os._exit(0)


def _cpu_used() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_utime + usage.ru_stime) + 1


def job_window(seconds: int) -> None:
    """Allow this job ``seconds`` of CPU from now (never beyond the worker's hard limit)."""
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = _cpu_used() + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


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


def derive_and_install(store: BlobStore, src: Path, job: Job) -> Facts:
    """Decode once, write both derivatives, move the original into the store.

    Returns the upright width and height and the EXIF time and location found.
    """
    source = src if src.is_file() else store.original(job.sha256)
    derived = make_derivatives(source, job.info)
    store.write_derived(job.sha256, "display", derived.display, sync_dir=False)
    store.write_derived(job.sha256, "thumb", derived.thumb)
    if source == src:
        # The staged bytes were fsynced before the upload was acknowledged.
        store.install_original(src, job.sha256)
    return derived.width, derived.height, derived.exif.time, derived.exif.geo


# The entry points the server calls in a worker, each inside the job's CPU window.


def run_check(
    cpu_seconds: int, path: Path, declared_sha256: str, size: int, max_pixels: int
) -> ImageInfo:
    """:func:`check_file` in a worker."""
    job_window(cpu_seconds)
    return check_file(path, declared_sha256, size, max_pixels)


def run_inspect(cpu_seconds: int, path: Path, size: int, max_pixels: int) -> ImageInfo:
    """:func:`~server.evidence.imaging.inspect_image` in a worker."""
    job_window(cpu_seconds)
    return inspect_image(path, size, max_pixels)


def run_derive(cpu_seconds: int, blob_root: Path, src: Path, job: Job) -> Facts:
    """:func:`derive_and_install` in a worker."""
    job_window(cpu_seconds)
    return derive_and_install(BlobStore(blob_root), src, job)


def pid() -> int:
    """The worker's process id (to start a worker ahead of its first job, and for tests)."""
    return os.getpid()
