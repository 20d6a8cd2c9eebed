"""Jobs for the photo worker pool tests; they run inside worker processes (stdlib only)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from server.evidence import worker


def crash_once(marker: Path) -> int:
    """Kill the worker the first time (leaving ``marker``); return the pid the second time."""
    if not marker.exists():
        marker.touch()
        os.abort()
    return os.getpid()


def spin(cpu_seconds: int) -> None:
    """Burn CPU inside a job window of ``cpu_seconds`` until the limit stops the worker."""
    worker.job_window(cpu_seconds)
    while True:
        pass


def imported(module: str) -> bool:
    """Whether ``module`` has been imported in this worker."""
    return module in sys.modules


def wait_for_file(path: Path) -> None:
    """Block until ``path`` exists."""
    while not path.exists():
        time.sleep(0.01)


def wait_for(started: Path, marker: Path) -> int:
    """Say it started, then block until ``marker`` exists (a long derivative job)."""
    started.touch()
    wait_for_file(marker)
    return os.getpid()


def parent_pid() -> int:
    """The pid of this worker's parent process (the fork server)."""
    return os.getppid()


def churn(nbytes: int) -> None:
    """Allocate and touch ``nbytes``, then free them (a photo job's buffers, in short)."""
    buffer = bytearray(nbytes)
    del buffer


def rss_kib() -> int:
    """This worker's resident memory in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")
