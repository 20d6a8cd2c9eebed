"""Overzicht: the team lead's dashboard, live over server-sent events.

The page renders :func:`~server.workspace.dashboard.build_dashboard`; ``/regie/live`` keeps
an event stream open and sends the re-rendered live part (event ``overzicht``) whenever
the activity mark changes (a push, an upload, a state report, a revocation) and at least
once a minute (so report ages and greying stay current). htmx's SSE extension swaps it in.
The stream does not count as activity for the idle timeout, re-checks the session on every
tick and ends (204 on reconnect) when the session has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request, get
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from server.auth.sessions import SessionService
from server.cases.lifecycle import STATUSES
from server.db import Database
from server.lib.clock import utc_now
from server.lib.net import client_ip
from server.sync.monitor import activity_mark
from server.workspace.dashboard import Dashboard, build_dashboard
from server.workspace.rendering import page, render_fragment
from server.workspace.security import PASSIVE, session_of

TICK_SECONDS = 2.0
REFRESH_SECONDS = 60.0


async def _dashboard(request: Request[Any, Any, Any]) -> Dashboard:
    me = session_of(request).principal
    db: Database = request.app.state.db
    now = utc_now()
    return await db.read(lambda c: build_dashboard(c, me, now))


@get("/", include_in_schema=False, name="workspace-overview")
async def overview(request: Request[Any, Any, Any]) -> Template:
    """My cases by status, inspections with their phones' sync state, conflicts,
    possible duplicates and rejected ops."""
    return page(
        request,
        "overzicht.html",
        active="overzicht",
        title="Overzicht",
        statuses=STATUSES,
        d=await _dashboard(request),
    )


@get("/live", include_in_schema=False, name="workspace-live", opt={PASSIVE: True})
async def live(request: Request[Any, Any, Any]) -> ServerSentEvent:
    """The live part of the dashboard as server-sent events."""
    session = session_of(request)
    state = request.app.state
    db: Database = state.db
    sessions: SessionService = state.sessions
    ip = client_ip(request, state.settings.trusted_proxies)

    async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
        mark: tuple[Any, ...] | None = None
        since_refresh = 0.0
        yield ServerSentEventMessage(comment="verbonden", retry=5000)
        while True:
            current = await db.read(activity_mark)
            # The first round also renders: something may have changed between the page
            # and the stream's start. At most one render per tick, however busy the phones
            # are: a dashboard must never compete with the pushes it watches.
            if mark is None or current != mark or since_refresh >= REFRESH_SECONDS:
                mark, since_refresh = current, 0.0
                html = render_fragment(
                    request,
                    "_overzicht_live.html",
                    statuses=STATUSES,
                    d=await _dashboard(request),
                )
                yield ServerSentEventMessage(event="overzicht", data=html)
            await asyncio.sleep(TICK_SECONDS)
            since_refresh += TICK_SECONDS
            if await sessions.resolve(session.token, ip, activity=False) is None:
                return

    return ServerSentEvent(events(), headers={"Cache-Control": "no-store"})
