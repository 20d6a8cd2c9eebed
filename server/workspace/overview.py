"""Overzicht: the team lead's dashboard."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.cases.lifecycle import STATUSES
from server.cases.scope import reader_of
from server.cases.search import count_by_status
from server.db import Database
from server.workspace.rendering import page
from server.workspace.security import session_of


@get("/", include_in_schema=False, name="workspace-overview")
async def overview(request: Request[Any, Any, Any]) -> Template:
    """My cases by status."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    counts = await db.read(lambda c: count_by_status(c, reader_of(me)))
    return page(
        request,
        "overzicht.html",
        active="overzicht",
        title="Overzicht",
        statuses=STATUSES,
        counts=counts,
    )
