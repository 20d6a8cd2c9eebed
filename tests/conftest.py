"""Fixtures: a temporary data directory per test and the real app with its lifespan."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db import Database
from server.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh data directory (a real SQLite file)."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def app(settings: Settings) -> Litestar:
    """The real application."""
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """An HTTP client with the app's lifespan running."""
    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture
def db(app: Litestar, client: AsyncTestClient[Litestar]) -> Database:
    """The running app's database."""
    database: Database = app.state.db
    return database


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test leaves an aiosqlite connection open.

    Each connection owns a non-daemon thread, so a leaked one makes the interpreter hang at
    exit after every test has passed (CI would then time out instead of failing).
    """
    leaked = [
        t.name
        for t in threading.enumerate()
        if t.is_alive() and not t.daemon and "_connection_worker_thread" in t.name
    ]
    if leaked:
        print(f"\nLEAKED aiosqlite connection threads (a Database was not closed): {leaked}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        # Their threads would keep the process alive forever: end it here.
        os._exit(int(pytest.ExitCode.TESTS_FAILED))
