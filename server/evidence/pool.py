"""A small pool of photo worker processes, each with resource limits, recycled after N jobs.

Each slot of the pool is a :class:`~concurrent.futures.ProcessPoolExecutor` with exactly one
worker process (started from a fork server that has Pillow loaded, so a new worker costs a
fork, not an interpreter start). A slot runs one job at a time; the asyncio side hands free
slots to waiting jobs, final-request checks before derivative jobs. One extra slot serves
only those checks, so a client's verdict never waits behind a derivative job.

Why one executor per worker rather than one executor with ``max_workers`` and
``max_tasks_per_child``:

- *Blame.* When a worker dies, a shared executor becomes "broken" and fails every job in
  flight, so the pool could not tell the job that killed it from its neighbours. With one
  job per executor the failure belongs to exactly that job; the others carry on.
- *Replacement.* A broken executor cannot be repaired. Here only the dead worker's slot gets
  a new executor.
- *Recycling.* ``max_tasks_per_child`` on Python 3.11 can stop starting replacement workers
  when jobs queue up (CPython issue 115634, fixed only in later releases), which would stall
  photo processing for good. The pool counts jobs per slot itself and swaps in a new executor
  (a new process) after ``jobs_per_worker`` jobs; the old process exits and its memory
  returns to the system.

*Memory.* A worker keeps the memory its jobs freed while more jobs keep coming (giving it
back and faulting it in again costs a photo about a tenth more CPU), and gives it back to
the system as soon as no job waits for it: the pool sends it a ``malloc_trim`` then.

A job whose worker dies (a decoder crash, the CPU limit, a kill from outside) or runs out
of its address space is tried once more on a fresh worker: a failure that is not the job's
fault (the kernel's OOM killer, an operator's ``kill``) then costs nothing. When the second
attempt fails too, :class:`WorkerLost` says so and the caller rejects the photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from server.evidence import worker
from server.evidence.worker import WorkerLimits

log = logging.getLogger("schouw.evidence")

T = TypeVar("T")
ATTEMPTS = 2
# Worker starts change the main module for a moment (below): one at a time, in any thread.
_START_LOCK = threading.Lock()


class WorkerLost(Exception):
    """Every attempt at a job ended with its worker dead or out of memory."""


def _context() -> multiprocessing.context.BaseContext:
    """Fork server with the worker code and image plugins preloaded (``worker_preload``);
    spawn where there is no fork server."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(["server.evidence.worker_preload"])
    return ctx


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Keep the server's main module out of a new worker's start-up.

    A child of the fork server first re-imports the parent's ``__main__``; under
    ``schouw serve`` that is the console script and with it the whole app (0.7 s of CPU and
    about 90 MiB more per worker, each time a worker is recycled). The workers need only
    ``server.evidence.worker``, so while one is started the main module shows neither a file
    nor a spec and the child leaves it alone. Workers are started only inside the ``submit``
    of :meth:`_Slot.start`, under ``_START_LOCK`` (the executors never start processes on
    their own: they have one worker and no ``max_tasks_per_child``).
    """
    main = sys.modules["__main__"]
    saved: dict[str, object] = {
        key: main.__dict__[key] for key in ("__file__", "__spec__") if key in main.__dict__
    }
    main.__dict__.pop("__file__", None)
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class _Slot:
    """One worker process (inside its own single-worker executor) and its job count."""

    def __init__(self, limits: WorkerLimits, nice: int = worker.BACKGROUND_NICE) -> None:
        self.limits = limits
        self.nice = nice
        self.jobs = 0
        self.executor: ProcessPoolExecutor | None = None
        self.pid: Future[int] | None = None

    def start(self) -> ProcessPoolExecutor:
        """The slot's executor, with its worker process started (once)."""
        with _START_LOCK:
            return self._start()

    def _start(self) -> ProcessPoolExecutor:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=_context(),
                initializer=worker.start_worker,
                initargs=(self.limits, self.nice),
            )
            self.jobs = 0
            # The first call starts the process; its answer is the worker's pid.
            with _main_module_hidden():
                self.pid = self.executor.submit(worker.pid)
        return self.executor

    def retire(self, *, restart: bool) -> None:
        """Let the worker process exit (after its current job) and forget it."""
        old, self.executor, self.pid = self.executor, None, None
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        if restart:
            self.start()

    def trim(self) -> None:
        """Have the worker give its free memory back once it is done (nothing waits for it).

        Queued behind the worker's current job, if any; a dead or stopped worker is left to
        the next job, which replaces it.
        """
        if self.executor is not None:
            with contextlib.suppress(BrokenProcessPool, RuntimeError):
                self.executor.submit(worker.trim)

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


class WorkerPool:
    """Photo worker processes with ``limits``; async :meth:`run` of one call in one of them.

    ``workers`` processes take any job. One more process is kept for ``urgent`` calls (the
    checks a client waits for on its last upload request), so a verdict never waits for a
    derivative job to finish; it idles most of the time and holds little memory. It runs at
    the server's priority; the others at :data:`~server.evidence.worker.BACKGROUND_NICE`, so
    that derivative jobs yield to request handling and to the verdicts clients wait for.
    """

    def __init__(self, workers: int, limits: WorkerLimits) -> None:
        self.limits = limits
        # A client waits for what the reserved worker does: it keeps the server's priority.
        self._reserved = _Slot(limits, nice=0)
        self._slots = [_Slot(limits) for _ in range(workers)]
        self._free: deque[_Slot] = deque(self._slots)
        self._reserved_free = True
        self._urgent: deque[asyncio.Future[_Slot]] = deque()
        self._normal: deque[asyncio.Future[_Slot]] = deque()
        self.lost = 0  # workers that died or ran out of memory (for logs and tests)
        self.recycled = 0  # workers retired after jobs_per_worker jobs

    async def run(self, fn: Callable[..., T], *args: object, urgent: bool = False) -> T:
        """Call ``fn(*args)`` in a worker; :class:`WorkerLost` after two lost workers.

        ``urgent`` calls (a client waits for the verdict) go to the reserved worker or the
        next free one, before background jobs; a second attempt is always urgent.
        Exceptions raised by ``fn`` (a rejection) come back as they are.
        """
        for attempt in range(1, ATTEMPTS + 1):
            slot = await self._acquire(urgent or attempt > 1)
            lost = False
            try:
                future = slot.start().submit(fn, *args)
                return await asyncio.wrap_future(future)
            except (BrokenProcessPool, MemoryError) as exc:
                lost = True
                self.lost += 1
                slot.retire(restart=True)
                reason = "ran out of memory" if isinstance(exc, MemoryError) else "died"
                log.warning(
                    "photo worker %s during %s (attempt %d of %d)",
                    reason,
                    getattr(fn, "__name__", fn),
                    attempt,
                    ATTEMPTS,
                )
                if attempt == ATTEMPTS:
                    raise WorkerLost(reason) from exc
            finally:
                slot.jobs += 0 if lost else 1
                if slot.jobs >= self.limits.jobs_per_worker:
                    self.recycled += 1
                    slot.retire(restart=True)
                self._release(slot)
        raise AssertionError("unreachable")

    async def start(self) -> None:
        """Start every worker now (in a thread: the first start also starts the fork server)."""

        def start_all() -> None:
            for slot in (*self._slots, self._reserved):
                slot.start()

        await asyncio.to_thread(start_all)

    async def pids(self) -> list[int]:
        """The process ids of the workers that take any job (starting them if needed)."""
        return [await asyncio.wrap_future(_pid(slot)) for slot in self._slots]

    async def close(self) -> None:
        """Stop every worker (jobs still running finish first)."""
        for slot in (*self._slots, self._reserved):
            await asyncio.to_thread(slot.close)

    async def _acquire(self, urgent: bool) -> _Slot:
        if urgent and self._reserved_free:
            self._reserved_free = False
            return self._reserved
        if self._free and not self._urgent and (urgent or not self._normal):
            return self._free.popleft()
        waiter: asyncio.Future[_Slot] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._normal).append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())
            else:
                with contextlib.suppress(ValueError):
                    (self._urgent if urgent else self._normal).remove(waiter)
            raise

    def _release(self, slot: _Slot) -> None:
        queues = (self._urgent,) if slot is self._reserved else (self._urgent, self._normal)
        for queue in queues:
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(slot)
                    return
        # No job waits: the burst is over for this worker, its job memory goes back.
        slot.trim()
        if slot is self._reserved:
            self._reserved_free = True
        else:
            self._free.append(slot)


def _pid(slot: _Slot) -> Future[int]:
    slot.start()
    if slot.pid is None:
        raise RuntimeError("photo worker slot started without a pid future")
    return slot.pid
