"""The data-directory lock that keeps ``schouw restore`` away from a running server.

A running server holds a *shared* ``flock`` on ``<data dir>/schouw.lock`` for its whole
lifetime; restore needs the *exclusive* lock. The operating system drops the lock when the
process ends, even on SIGKILL, so a crashed server never blocks a restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_NAME = "schouw.lock"


class LockBusy(Exception):
    """The lock is held in a conflicting mode by another process (or file descriptor)."""


class DataDirLock:
    """An acquired lock; call :meth:`release` (or use it as a context manager)."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd: int | None = fd
        self.path = path

    def release(self) -> None:
        """Give the lock back; safe to call twice."""
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DataDirLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_data_dir(data_dir: Path, *, exclusive: bool) -> DataDirLock:
    """Take the data-directory lock without waiting; raise :class:`LockBusy` if taken."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LockBusy(str(path)) from None
    return DataDirLock(fd, path)
