"""The team lead's conflict list (reads through the visibility projection)."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from server.auth.principal import Principal
from server.cases.scope import (
    candidate_case_ids,
    load_case_scope,
    load_case_scopes,
    reader_of,
)
from server.cases.visibility import full_access, on_case
from server.lib.errors import NotFound
from server.sync.teamlead import NOT_FOUND


def list_conflicts(
    conn: sqlite3.Connection,
    principal: Principal,
    *,
    case_id: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    """Conflicts the projection lets the caller see in full (``full_access`` to the
    checklist: for a team lead, their own agency's checklists), on cases they are on, by id.

    The SQL only narrows to the caller's candidate cases; the projection decides per row.
    """
    reader = reader_of(principal)
    if case_id is not None:
        scope = load_case_scope(conn, case_id)
        if scope is None or not on_case(reader, scope):
            raise NotFound(NOT_FOUND, slug="not-found")
        case_ids = [case_id]
    else:
        case_ids = candidate_case_ids(conn, reader)
    scopes = load_case_scopes(conn, case_ids)
    rows: list[sqlite3.Row] = []
    cursor = after or ""
    while len(rows) <= limit:
        batch = conn.execute(
            "SELECT x.* FROM conflicts x WHERE x.id > ? AND (? IS NULL OR x.status = ?)"
            " AND x.case_id IN (SELECT value FROM json_each(?)) ORDER BY x.id LIMIT ?",
            (cursor, status, status, msgspec.json.encode(case_ids).decode(), limit + 1),
        ).fetchall()
        if not batch:
            break
        cursor = batch[-1]["id"]
        for r in batch:
            scope = scopes.get(r["case_id"])
            checklist = (
                next((c for c in scope.checklists if c.checklist_id == r["checklist_id"]), None)
                if scope is not None
                else None
            )
            if (
                scope is not None
                and checklist is not None
                and full_access(reader, scope, checklist)
            ):
                rows.append(r)
    more = len(rows) > limit
    rows = rows[:limit]
    out: list[dict[str, Any]] = []
    for r in rows:
        out.append(
            {
                "id": r["id"],
                "case_id": r["case_id"],
                "checklist_id": r["checklist_id"],
                "item_key": r["item_key"],
                "status": r["status"],
                "candidates": msgspec.Raw(r["candidates"].encode()),
                "created_at": r["created_at"],
                "resolved_by": r["resolved_by"],
                "resolved_at": r["resolved_at"],
                "resolution": msgspec.Raw(r["resolution"].encode()) if r["resolution"] else None,
                "rev": r["rev"],
            }
        )
    return {"conflicts": out, "next": rows[-1]["id"] if more and rows else None}
