"""Browser-test fixtures: a real server (uvicorn subprocess, temp data dir, free loopback port)
and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings
from tests.browser.seed import World, seed

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 390, "height": 844}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real app in a subprocess; ``stop()`` and ``start()`` simulate losing the network."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / "server.log"

    def start(self) -> None:
        """Start and wait until /health answers."""
        env = {
            **os.environ,
            "SCHOUW_DATA_DIR": str(self.data_dir),
            "SCHOUW_HOST": "127.0.0.1",
            "SCHOUW_PORT": str(self.port),
            **self.extra_env,
        }
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.browser.serve"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer /health within 30 s")

    def stop(self) -> None:
        """Stop the server by its pid (SIGTERM, then SIGKILL as a fallback)."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read the server's database (read-only connection)."""
        conn = sqlite3.connect(f"file:{self.data_dir / 'schouw.db'}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def patch_bytes(self) -> list[int]:
        """Body bytes the server received per tus PATCH, in order."""
        log = self.data_dir / "patch-bytes.log"
        if not log.exists():
            return []
        return [int(line.split()[1]) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture
def world_server(tmp_path: Path) -> Iterator[tuple[Server, World]]:
    """A seeded, running server; stopped after the test."""
    data_dir = tmp_path / "data"
    world = seed(Settings(data_dir=data_dir))
    server = Server(data_dir)
    server.start()
    try:
        yield server, world
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module. Not per session: Playwright's sync API keeps
    its own event loop running while it is open, which would break the async tests that
    pytest-asyncio runs after the browser tests."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("Chromium is missing: run `make browser-deps`")
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
