"""HTTP endpoints of the case file: hand over, close with a result, duplicate links."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Controller, Request, delete, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from server.auth.guards import principal_of, requires_teamlead
from server.cases.closing import CloseCase, HandOver, close_case, hand_over
from server.cases.controllers import database, problems, view_after
from server.cases.duplicates import LinkDuplicate, link_duplicate, unlink_duplicate
from server.cases.schemas import CaseView


class CaseFileController(Controller):
    """Case-level decisions of the case's team lead."""

    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [requires_teamlead]

    @post(
        "/{case_id:str}/handover",
        status_code=200,
        summary="Hand the case over to another team lead",
        responses=problems(403, 404, 409, 422),
    )
    async def handover(
        self, request: Request[Any, Any, State], case_id: FromPath[str], data: JSONBody[HandOver]
    ) -> CaseView:
        """Only the case's team lead; the new one must be an active team lead (audited)."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            hand_over(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @post(
        "/{case_id:str}/close",
        status_code=200,
        summary="Close the case with a result",
        responses=problems(403, 404, 409, 422),
    )
    async def close(
        self, request: Request[Any, Any, State], case_id: FromPath[str], data: JSONBody[CloseCase]
    ) -> CaseView:
        """Final; 409 ``open-interventions`` unless ``confirm_open_interventions`` is true."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            close_case(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @post(
        "/{case_id:str}/duplicate-links",
        summary="Link this case to the case it duplicates",
        responses=problems(403, 404, 409, 422),
    )
    async def link(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        data: JSONBody[LinkDuplicate],
    ) -> CaseView:
        """Shown on both cases and audited on both; findings are never merged."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            link_duplicate(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @delete(
        "/{case_id:str}/duplicate-links/{link_id:str}",
        status_code=200,
        summary="Undo a duplicate link",
        responses=problems(403, 404),
    )
    async def unlink(
        self, request: Request[Any, Any, State], case_id: FromPath[str], link_id: FromPath[str]
    ) -> CaseView:
        """The link stays in the history, marked undone (audited on both cases)."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            unlink_duplicate(c, p, case_id, link_id)
            return view_after(c, p, case_id)

        return await database(request).write(fn)
