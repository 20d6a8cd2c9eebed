"""Give the server's free heap memory back to the system when a burst of uploads is over.

An upload's body passes through the server in pieces of 64-320 KiB (the ASGI server's
reads). glibc serves pieces of that size from its heap once one of them has been freed
(its mmap threshold adapts upwards), and the small objects allocated in between keep the
freed space from being returned at the heap's top. After 16 concurrent 8 MB uploads the
server process kept 4-10 MiB more than before them, none of it in use. ``malloc_trim``
returns those pages (under a millisecond for such a heap); doing it once the last upload
request in progress has ended, after a short pause so that the next PATCH of a client that
sends one after another does not trigger it each time, costs nothing measurable.

Only glibc has ``malloc_trim``; elsewhere :class:`HeapTrimmer` counts but never trims.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
from collections.abc import Callable, Iterator

QUIET_SECONDS = 0.05


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


class HeapTrimmer:
    """Counts requests that move upload bytes; trims the heap when none is left for a while."""

    def __init__(self, quiet_seconds: float = QUIET_SECONDS) -> None:
        self.quiet_seconds = quiet_seconds
        self.trims = 0  # trims done (for tests and benchmarks)
        self.trimmed = asyncio.Event()  # set after each trim (for tests)
        self._active = 0
        self._pending: asyncio.TimerHandle | None = None
        self._trim = _malloc_trim()

    @property
    def scheduled(self) -> bool:
        """True while a trim waits for the quiet period to pass."""
        return self._pending is not None

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Around the handling of one upload request (on the event loop)."""
        self._active += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                loop = asyncio.get_running_loop()
                self._pending = loop.call_later(self.quiet_seconds, self._start, loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending = None
        if self._active == 0:
            # In a thread: the trim holds malloc's lock, not the event loop.
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                done = loop.run_in_executor(None, self._run)
                done.add_done_callback(lambda _: self.trimmed.set())

    def _run(self) -> None:
        if self._trim is not None:
            self._trim(0)
            self.trims += 1
