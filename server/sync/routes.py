"""HTTP route handlers of the sync domain, collected for the app."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from server.audit.log import append
from server.auth.guards import principal_of, requires_teamlead
from server.lib.errors import BadRequest
from server.sync import conflicts, returns, service, teamlead
from server.sync.protocol import (
    MAX_BODY,
    CommentResponse,
    ConflictPage,
    PullResponse,
    PushRequest,
    PushResponse,
    ReleaseResponse,
    ResolveResponse,
    ReturnResponse,
    encoder,
)


def _json(value: Any, status: int = 200) -> Response[bytes]:
    return Response(encoder.encode(value), media_type="application/json", status_code=status)


@post(
    "/api/v1/sync/push",
    request_max_body_size=MAX_BODY,
    status_code=200,
    tags=["sync"],
    summary="Push a device's ops (idempotent, per-device sequenced)",
    opt={
        "request_body": ("application/json", PushRequest),
        "response_body": (200, "application/json", PushResponse),
    },
)
async def sync_push(request: Request[Any, Any, State]) -> Response[bytes]:
    """Apply ops in one durable transaction; see docs/sync.md."""
    result: PushResponse = await service.push(
        request.app.state.db, principal_of(request), await request.body()
    )
    return _json(result)


@get(
    "/api/v1/sync/pull",
    tags=["sync"],
    summary="Pull the caller's visible changes",
    opt={"response_body": (200, "application/json", PullResponse)},
)
async def sync_pull(
    request: Request[Any, Any, State],
    cursor: FromQuery[str | None] = None,
    limit: FromQuery[int] = 500,
) -> Response[bytes]:
    """State-based page of changes after ``cursor``; 410 when the cursor cannot be honoured."""
    page: PullResponse = await service.pull(
        request.app.state.db, principal_of(request), cursor, limit
    )
    return _json(page)


@get(
    "/api/v1/conflicts",
    guards=[requires_teamlead],
    tags=["review"],
    summary="Conflicts in checklists of the team lead's agency",
    opt={"response_body": (200, "application/json", ConflictPage)},
)
async def list_conflicts(
    request: Request[Any, Any, State],
    case_id: FromQuery[str | None] = None,
    status: FromQuery[Literal["open", "resolved"] | None] = None,
    after: FromQuery[str | None] = None,
    limit: FromQuery[int] = 100,
) -> Response[bytes]:
    """Page through conflicts by id (``after`` = the previous page's ``next``)."""
    if not 1 <= limit <= 500:
        raise BadRequest("limit moet tussen 1 en 500 liggen.", slug="invalid-limit")
    principal = principal_of(request)

    def fn(conn: Any) -> dict[str, Any]:
        page = conflicts.list_conflicts(
            conn, principal, case_id=case_id, status=status, after=after, limit=limit
        )
        append(
            conn,
            principal.actor(),
            "conflict.list",
            object_type="case" if case_id else None,
            object_id=case_id,
            detail={"count": len(page["conflicts"]), "status": status},
        )
        return page

    return _json(await service.in_writer(request.app.state.db, fn))


@post(
    "/api/v1/conflicts/{conflict_id:str}/resolve",
    status_code=200,
    tags=["review"],
    summary="Resolve a conflict: pick a candidate or enter a value, with a reason",
    opt={
        "request_body": ("application/json", teamlead.ResolveRequest),
        "response_body": (200, "application/json", ResolveResponse),
    },
)
async def resolve_conflict(
    request: Request[Any, Any, State],
    conflict_id: FromPath[str],
    data: JSONBody[teamlead.ResolveRequest],
) -> Response[bytes]:
    """A server op: writes the field, closes the conflict, audited, delivered via pull."""
    principal = principal_of(request)
    result = await service.in_writer(
        request.app.state.db, lambda c: teamlead.resolve_conflict(c, principal, conflict_id, data)
    )
    return _json(result)


@post(
    "/api/v1/checklists/{checklist_id:str}/comments",
    status_code=201,
    tags=["review"],
    summary="Return to officer: comment on a checklist or one item",
    opt={
        "request_body": ("application/json", teamlead.CommentRequest),
        "response_body": (201, "application/json", CommentResponse),
    },
)
async def add_comment(
    request: Request[Any, Any, State],
    checklist_id: FromPath[str],
    data: JSONBody[teamlead.CommentRequest],
) -> Response[bytes]:
    """A server op delivered to the inspectors' devices as kind ``comment``."""
    principal = principal_of(request)
    result = await service.in_writer(
        request.app.state.db, lambda c: teamlead.add_comment(c, principal, checklist_id, data)
    )
    return _json(result, 201)


@post(
    "/api/v1/checklists/{checklist_id:str}/releases",
    status_code=201,
    tags=["review"],
    summary="Release shareable items into the shared summary",
    opt={
        "request_body": ("application/json", teamlead.ReleaseRequest),
        "response_body": (201, "application/json", ReleaseResponse),
    },
)
async def add_release(
    request: Request[Any, Any, State],
    checklist_id: FromPath[str],
    data: JSONBody[teamlead.ReleaseRequest],
) -> Response[bytes]:
    """Only shareable items; restricted and private ones give 422."""
    principal = principal_of(request)
    result = await service.in_writer(
        request.app.state.db, lambda c: teamlead.add_release(c, principal, checklist_id, data)
    )
    return _json(result, 201)


@post(
    "/api/v1/checklists/{checklist_id:str}/return",
    status_code=200,
    tags=["review"],
    summary="Return a submitted checklist to the inspector, with a comment",
    opt={
        "request_body": ("application/json", returns.ReturnRequest),
        "response_body": (200, "application/json", ReturnResponse),
    },
)
async def return_checklist(
    request: Request[Any, Any, State],
    checklist_id: FromPath[str],
    data: JSONBody[returns.ReturnRequest],
) -> Response[bytes]:
    """Stays ``submitted`` with ``returned_at``; the inspector's next submit clears it."""
    principal = principal_of(request)
    result = await service.in_writer(
        request.app.state.db,
        lambda c: returns.return_checklist(c, principal, checklist_id, data),
    )
    return _json(result)


ROUTES: list[Any] = [
    sync_push,
    sync_pull,
    list_conflicts,
    resolve_conflict,
    add_comment,
    add_release,
    return_checklist,
]
