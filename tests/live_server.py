"""The one way tests and benchmarks run the real server as a process on a free port.

``LiveServer(data_dir).start()`` starts uvicorn with ``server.app:create_app`` (or any other
command), waits until ``GET /health`` answers 200, and raises :class:`ServerDidNotStart` with
the server's own output when the process exits early or does not answer in time. stdout and
stderr go to files beside the data directory, so nothing is lost when a test fails. The
process is stopped by its pid: :meth:`stop` sends SIGTERM (or the signal given) and kills it
only as a fallback, :meth:`kill` simulates a crash.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_TAIL = 4000


class ServerDidNotStart(RuntimeError):
    """The server process exited or did not answer ``/health``; the message holds its output."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn_command(port: int, *options: str, factory: str = "server.app:create_app") -> list[str]:
    """uvicorn serving an app factory on 127.0.0.1:``port`` (``options``: e.g. ``--loop``)."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        *options,
    ]


class LiveServer:
    """A server process on a free loopback port with its own data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        env: dict[str, str] | None = None,
        command: Callable[[int], Sequence[str]] = uvicorn_command,
        log_dir: Path | None = None,
        ready_timeout: float = 60.0,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = command
        self.ready_timeout = ready_timeout  # a readiness bound, not a timing assertion
        self.env = {
            **os.environ,
            "SCHOUW_DATA_DIR": str(data_dir),
            "SCHOUW_HOST": "127.0.0.1",
            "SCHOUW_PORT": str(self.port),
            **(env or {}),
        }
        log_dir = log_dir or data_dir.parent
        self.stdout_path = log_dir / "server.out"
        self.stderr_path = log_dir / "server.err"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The pid of the running server process."""
        if self.proc is None:
            raise RuntimeError("the server is not running")
        return self.proc.pid

    def start(self) -> LiveServer:
        """Start the process and wait until ``/health`` answers 200."""
        if self.proc is not None:
            raise RuntimeError("the server is running already")
        self.stdout_path.parent.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.proc = subprocess.Popen(
                list(self.command(self.port)), cwd=ROOT, env=self.env, stdout=out, stderr=err
            )
        deadline = time.monotonic() + self.ready_timeout
        while True:
            code = self.proc.poll()
            if code is not None:
                self.proc = None
                raise ServerDidNotStart(
                    f"the server exited with code {code} before it answered /health; "
                    f"its output:\n{self.output()}"
                )
            if self._healthy():
                return self
            if time.monotonic() > deadline:
                self.kill()
                raise ServerDidNotStart(
                    f"the server did not answer /health on {self.url} within "
                    f"{self.ready_timeout:.0f} s; its output:\n{self.output()}"
                )
            time.sleep(0.1)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig``, SIGKILL after ``timeout``; return the exit code (negative: a signal).

        A caller that needs a clean stop asserts on the code (SIGKILL gives -9).
        """
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def kill(self) -> None:
        """SIGKILL the process (a crash) and wait for it."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait()

    def output(self) -> str:
        """The end of the server's stdout and stderr."""
        parts = []
        for name, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {name} ---\n{text[-OUTPUT_TAIL:]}")
        return "\n".join(parts)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
