"""A real local webhook receiver (aiohttp) for notification tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.live_server import free_port


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Listens on 127.0.0.1:``port``; answers ``status`` (200 unless told otherwise)."""

    port: int = field(default_factory=free_port)
    status: int = 200
    received: list[Received] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.received.append(Received(headers, await request.read()))
        return web.Response(status=self.status)

    async def start(self) -> None:
        """Start listening (again)."""
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stop listening (the endpoint is down)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def ok(self) -> list[Received]:
        """Requests answered with a 2xx."""
        return self.received if 200 <= self.status < 300 else []


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = 60.0
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` (a readiness bound only)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)
