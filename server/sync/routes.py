"""HTTP route handlers of the sync domain, collected for the app."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery

from server.auth.guards import principal_of
from server.sync import service
from server.sync.protocol import MAX_BODY, PullResponse, PushResponse, encoder


@post(
    "/api/v1/sync/push",
    request_max_body_size=MAX_BODY,
    status_code=200,
    tags=["sync"],
    summary="Push a device's ops (idempotent, per-device sequenced)",
)
async def sync_push(request: Request[Any, Any, State]) -> Response[bytes]:
    """Apply ops in one durable transaction; see docs/sync.md."""
    result: PushResponse = await service.push(
        request.app.state.db, principal_of(request), await request.body()
    )
    return Response(encoder.encode(result), media_type="application/json")


@get("/api/v1/sync/pull", tags=["sync"], summary="Pull the caller's visible changes")
async def sync_pull(
    request: Request[Any, Any, State],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 500,
) -> Response[bytes]:
    """State-based page of changes after ``cursor``; 410 when the cursor cannot be honoured."""
    page: PullResponse = await service.pull(
        request.app.state.db, principal_of(request), cursor, limit
    )
    return Response(encoder.encode(page), media_type="application/json")


ROUTES: list[Any] = [sync_push, sync_pull]
