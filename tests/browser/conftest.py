"""Browser-test fixtures: a real server (uvicorn subprocess, temp data dir, free loopback port)
and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import signal
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings
from tests.browser.seed import World, seed
from tests.live_server import LiveServer

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


class Server(LiveServer):
    """The real app in a subprocess (``tests.browser.serve``, which counts tus PATCH bytes);
    ``stop()`` and ``start()`` simulate losing the network."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        super().__init__(
            data_dir,
            env=env,
            command=lambda port: [sys.executable, "-m", "tests.browser.serve"],
        )

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Stop the server by its pid (SIGTERM, then SIGKILL as a fallback)."""
        return super().stop(sig, timeout)

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
