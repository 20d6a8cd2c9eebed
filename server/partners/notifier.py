"""The notification worker: tails the change feed into the outbox and delivers it.

Two loops share nothing but the database: the *tail* decides the events of the next feed
rows on a reader (:func:`server.partners.outbox.plan`), then writes the outbox rows and moves
the stored cursor in one small write (:func:`server.partners.outbox.apply`); the *delivery*
loop sends due rows over HTTPS (no redirects followed), with exponential backoff and jitter,
and dead-letters a notification after ``webhook_max_attempts``. Delivery is at-least-once:
a row is marked delivered only after a 2xx, so a crash in between sends it again with the
same ``webhook-id``. Pushes never wait for a receiver: the loops only queue small writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from datetime import timedelta
from typing import Protocol

import aiohttp

from server.db import Database
from server.lib.clock import iso, utc_now
from server.partners import outbox
from server.partners.events import last_seq
from server.partners.webhooks import WebhookUrlError, check_url, cloud_event, sign

log = logging.getLogger("schouw.partners.notifier")
POLL = 0.25
TAIL_INTERVAL = 1.0
"""How often the tail looks for new feed rows while it keeps up: the work of a fill grows
with the cases and clients it touches, not with the rows, so a fill a second costs pushes
less than four (a notification waits at most a second longer)."""
MAX_BACKOFF = 3600.0
TIMEOUT = 10.0
PARALLEL = 128


class NotifierConfig(Protocol):
    """What the worker needs to know (the app passes its settings)."""

    @property
    def webhook_allow_loopback_http(self) -> bool: ...

    @property
    def webhook_max_attempts(self) -> int: ...

    @property
    def webhook_retry_base_ms(self) -> int: ...

    @property
    def webhook_coalesce_ms(self) -> int: ...


def check_endpoints(conn: sqlite3.Connection, settings: NotifierConfig) -> None:
    """Refuse to start while a client's endpoint is not allowed (plain HTTP without the
    loopback setting)."""
    for row in conn.execute(
        "SELECT id, webhook_url FROM api_clients WHERE webhook_url IS NOT NULL"
    ).fetchall():
        try:
            check_url(row[1], allow_loopback_http=settings.webhook_allow_loopback_http)
        except WebhookUrlError as exc:
            raise RuntimeError(
                f"client {row[0]} has a webhook endpoint that is not allowed: {exc}. "
                "Set SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP=1 (tests only) or run "
                "`schouw client webhook clear` for it."
            ) from None


def backoff(attempts: int, base_ms: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures: doubling, capped, with
    jitter (between half and all of the delay)."""
    delay = min(MAX_BACKOFF, base_ms / 1000 * 2 ** max(0, attempts - 1))
    return float(delay * random.uniform(0.5, 1.0))


class Notifier:
    """The two loops of one app."""

    def __init__(self, db: Database, settings: NotifierConfig) -> None:
        self.db = db
        self.settings = settings
        self._tasks: list[asyncio.Task[None]] = []
        self._client: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()

    async def start(self) -> None:
        """Check the endpoints, then start tailing and delivering."""
        await self.db.read(lambda c: check_endpoints(c, self.settings))
        # aiohttp, not httpx: with 128 connections open httpx spent about 4 ms of CPU per
        # request in its pool, aiohttp about 0.3 ms (docs/performance.md, partner section).
        self._client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=PARALLEL),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT),
        )
        self._tasks = [
            asyncio.create_task(self._tail_forever(), name="schouw-notify-tail"),
            asyncio.create_task(self._deliver_forever(), name="schouw-notify-deliver"),
        ]

    async def stop(self) -> None:
        """Stop both loops; unsent notifications stay in the outbox."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.close()

    async def tail_once(self) -> int:
        """Move the cursor over new feed rows. Nothing is written when there are none or
        when no client has an endpoint (the cursor then waits; see ``set_webhook``)."""

        def behind(conn: sqlite3.Connection) -> outbox.Plan | None:
            if last_seq(conn) <= outbox.cursor(conn) or not outbox.subscribers(conn):
                return None
            return outbox.plan(conn)

        planned = await self.db.read(behind)
        if planned is None:
            return 0
        coalesce_ms = self.settings.webhook_coalesce_ms
        moved = await self.db.write(lambda c: outbox.apply(c, planned, coalesce_ms))
        if moved:
            self._wake.set()
        return moved

    async def _tail_forever(self) -> None:
        while True:
            try:
                moved = await self.tail_once()
            except Exception:
                log.exception("notification tail failed; retrying")
                moved = 0
            if moved < outbox.BATCH:
                await asyncio.sleep(TAIL_INTERVAL)

    async def _send(self, delivery: outbox.Delivery) -> tuple[bool, int | None, str | None]:
        if self._client is None:
            raise RuntimeError("the notifier is not started")
        body = cloud_event(
            delivery.id, delivery.case_id, delivery.types, delivery.seq, delivery.created_at
        )
        headers = sign(delivery.id, body, delivery.secrets, utc_now()).as_dict()
        try:
            async with self._client.post(
                delivery.url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return False, None, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return True, status, None
        return False, status, f"HTTP {status}"

    async def deliver_once(self) -> int:
        """Send every due notification (up to a batch); store the outcomes; return how many."""
        batch = await self.db.read(lambda c: outbox.due(c, PARALLEL))
        if not batch:
            return 0
        outcomes = await asyncio.gather(*(self._send(d) for d in batch))
        max_attempts = self.settings.webhook_max_attempts
        base_ms = self.settings.webhook_retry_base_ms

        attempts = []
        for delivery, (ok, status, error) in zip(batch, outcomes, strict=True):
            retry_at = None
            if not ok and delivery.attempts + 1 < max_attempts:
                delay = backoff(delivery.attempts + 1, base_ms)
                retry_at = iso(utc_now() + timedelta(seconds=delay))
            attempts.append(outbox.Attempt(delivery.id, ok, status, error, retry_at))
        await self.db.write(lambda c: outbox.record_attempts(c, attempts))
        return len(batch)

    async def _deliver_forever(self) -> None:
        while True:
            try:
                sent = await self.deliver_once()
            except Exception:
                log.exception("notification delivery failed; retrying")
                sent = 0
            if sent < PARALLEL:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL)
