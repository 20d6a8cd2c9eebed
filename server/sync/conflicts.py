"""The team lead's conflict list (reads through the visibility projection)."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from server.auth.principal import Principal
from server.cases.scope import load_case_scope, load_case_scopes, reader_of
from server.cases.visibility import on_case
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
    """Conflicts in checklists of the caller's agency on cases the caller is on, by id."""
    reader = reader_of(principal)
    if case_id is not None:
        scope = load_case_scope(conn, case_id)
        if scope is None or not on_case(reader, scope):
            raise NotFound(NOT_FOUND, slug="not-found")
    query = (
        "SELECT x.* FROM conflicts x JOIN checklists c ON c.id = x.checklist_id"
        " WHERE c.agency_id = ? AND x.id > ?"
    )
    params: list[Any] = [principal.agency_id, after or ""]
    if case_id is not None:
        query += " AND x.case_id = ?"
        params.append(case_id)
    if status is not None:
        query += " AND x.status = ?"
        params.append(status)
    rows = conn.execute(query + " ORDER BY x.id LIMIT ?", [*params, limit + 1]).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    scopes = load_case_scopes(conn, sorted({r["case_id"] for r in rows}))
    out: list[dict[str, Any]] = []
    for r in rows:
        scope = scopes.get(r["case_id"])
        if scope is None or not on_case(reader, scope):
            continue
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
