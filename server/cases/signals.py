"""HTTP endpoints of signals (meldingen): thin, they delegate to the case service."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from server.audit.log import append
from server.auth.guards import principal_of, requires_teamlead
from server.cases import service
from server.cases.controllers import Cursor, Limit, database, problems
from server.cases.schemas import SignalCreate, SignalDismiss, SignalOut, SignalPage, SignalStatus


class SignalController(Controller):
    """Signals (meldingen) of the team lead's agency."""

    path = "/api/v1/signals"
    tags = ["signals"]
    guards = [requires_teamlead]

    @post("/", summary="Record a signal", responses=problems(403, 422))
    async def create(
        self, request: Request[Any, Any, State], data: JSONBody[SignalCreate]
    ) -> SignalOut:
        """A new open signal; anonymous reports store no reporter identity."""
        p = principal_of(request)
        return await database(request).write(lambda c: service.create_signal(c, p, data))

    @get("/", summary="List signals of my agency", responses=problems(403))
    async def list_signals(
        self,
        request: Request[Any, Any, State],
        status: Annotated[SignalStatus | None, QueryParameter()] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> SignalPage:
        """Signals of the caller's agency, newest first (audited as a search)."""
        p = principal_of(request)
        page, next_cursor = await database(request).read(
            lambda c: service.list_signals(c, p.agency_id, status, cursor, limit)
        )
        await database(request).write(
            lambda c: append(
                c,
                p.actor(),
                "signal.search",
                object_type="signal",
                detail={"status": status, "results": len(page)},
            )
        )
        return SignalPage(signals=page, next_cursor=next_cursor)

    @post(
        "/{signal_id:str}/dismiss",
        status_code=200,
        summary="Dismiss a signal",
        responses=problems(403, 404, 409),
    )
    async def dismiss(
        self,
        request: Request[Any, Any, State],
        signal_id: FromPath[str],
        data: JSONBody[SignalDismiss],
    ) -> SignalOut:
        """Close an open signal without a case, with a reason."""
        p = principal_of(request)
        return await database(request).write(
            lambda c: service.dismiss_signal(c, p, signal_id, data)
        )
