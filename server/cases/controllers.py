"""HTTP endpoints of cases: thin, they delegate to services and read paths."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from server.audit.log import append
from server.auth.guards import principal_of, requires_teamlead
from server.auth.principal import Principal
from server.cases import planning, service
from server.cases.schemas import (
    CaseCreate,
    CasePage,
    CaseStatus,
    CaseView,
    InspectionPlan,
    InspectorsChange,
    InterventionCreate,
    InterventionUpdate,
    StatusChange,
)
from server.cases.scope import reader_of
from server.cases.search import CaseFilters, search_cases
from server.cases.view import case_view
from server.db import Database
from server.lib.errors import PROBLEM_MEDIA_TYPE, Problem

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=64, description="next_cursor")]
Filter = Annotated[str | None, QueryParameter(max_length=100)]


_PROBLEM_TEXT = {
    403: "Role does not allow this action",
    404: "Not found, or the caller is not on the case",
    409: "Conflicts with the current state",
    422: "Well-formed but invalid values; errors name the fields",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json answers of one endpoint."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=_PROBLEM_TEXT[code],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for code in codes
    }


def database(request: Request[Any, Any, State]) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


def view_after(conn: sqlite3.Connection, principal: Principal, case_id: str) -> CaseView:
    """The case view after a change by the caller."""
    view = case_view(conn, reader_of(principal), case_id)
    if view is None:  # the caller just changed it, so they are on it
        raise service.case_not_found(case_id)
    return view


class CaseController(Controller):
    """Cases (dossiers): create, list, view, status, inspections and interventions."""

    path = "/api/v1/cases"
    tags = ["cases"]

    @post(
        "/",
        guards=[requires_teamlead],
        summary="Create a case",
        responses=problems(403, 404, 409, 422),
    )
    async def create(
        self, request: Request[Any, Any, State], data: JSONBody[CaseCreate]
    ) -> CaseView:
        """A new case (status ``selected``), directly or from an open signal."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            return view_after(c, p, service.create_case(c, p, data))

        return await database(request).write(fn)

    @get("/", summary="List and search my cases", responses=problems(422))
    async def list_cases(
        self,
        request: Request[Any, Any, State],
        *,
        status: Annotated[CaseStatus | None, QueryParameter()] = None,
        agency: Filter = None,
        postcode: Filter = None,
        kvk: Filter = None,
        city: Filter = None,
        q: Filter = None,
        changed_since: Annotated[
            str | None,
            QueryParameter(
                max_length=40,
                description="only cases with a change at or after this date (YYYY-MM-DD, "
                "midnight UTC) or time (ISO 8601 with offset)",
            ),
        ] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> CasePage:
        """Cases the caller is on, filtered and paged (audited as ``case.search``)."""
        p = principal_of(request)
        raw = CaseFilters(
            status=status,
            agency=agency,
            postcode=postcode,
            kvk=kvk,
            city=city,
            q=q,
            changed_since=changed_since,
        )
        filters = raw.normalised()
        page = await database(request).read(
            lambda c: search_cases(c, reader_of(p), filters, cursor, limit)
        )
        await database(request).write(
            lambda c: append(
                c,
                p.actor(),
                "case.search",
                object_type="case",
                detail={
                    "filters": {k: v for k, v in vars(raw).items() if v is not None},
                    "results": len(page.cases),
                },
            )
        )
        return page

    @get("/{case_id:str}", summary="View a case", responses=problems(404))
    async def view(self, request: Request[Any, Any, State], case_id: FromPath[str]) -> CaseView:
        """The case as the caller may see it; 404 when not on it (audited either way)."""
        p = principal_of(request)
        view = await database(request).read(lambda c: case_view(c, reader_of(p), case_id))
        result = "ok" if view is not None else "not-found"
        await database(request).write(
            lambda c: append(
                c,
                p.actor(),
                "case.view",
                result=result,
                object_type="case",
                object_id=case_id[:64],  # ids are uuid7; never store an arbitrary long path
            )
        )
        if view is None:
            raise service.case_not_found(case_id).mark_audited()
        return view

    @post(
        "/{case_id:str}/status",
        guards=[requires_teamlead],
        status_code=200,
        summary="Change the status of a case",
        responses=problems(403, 404, 422),
    )
    async def status(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        data: JSONBody[StatusChange],
    ) -> CaseView:
        """Move the case along its lifecycle; 422 for an illegal jump."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            service.change_status(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @post(
        "/{case_id:str}/inspections",
        guards=[requires_teamlead],
        summary="Plan an inspection",
        responses=problems(403, 404, 422),
    )
    async def plan(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        data: JSONBody[InspectionPlan],
    ) -> CaseView:
        """Plan an inspection with one checklist per agency and assigned inspectors."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            planning.plan_inspection(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @put(
        "/{case_id:str}/inspections/{inspection_id:str}/inspectors",
        guards=[requires_teamlead],
        summary="Reassign the inspectors of an inspection",
        responses=problems(403, 404, 422),
    )
    async def reassign(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        inspection_id: FromPath[str],
        data: JSONBody[InspectorsChange],
    ) -> CaseView:
        """Replace the inspectors; new ones gain access, removed ones are evicted."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            planning.reassign_inspectors(c, p, case_id, inspection_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @post(
        "/{case_id:str}/interventions",
        guards=[requires_teamlead],
        summary="Add an intervention",
        responses=problems(403, 404, 422),
    )
    async def add_intervention(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        data: JSONBody[InterventionCreate],
    ) -> CaseView:
        """Record a follow-up measure of the caller's own agency."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            planning.add_intervention(c, p, case_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)

    @patch(
        "/{case_id:str}/interventions/{intervention_id:str}",
        guards=[requires_teamlead],
        summary="Update an intervention",
        responses=problems(403, 404, 422),
    )
    async def update_intervention(
        self,
        request: Request[Any, Any, State],
        case_id: FromPath[str],
        intervention_id: FromPath[str],
        data: JSONBody[InterventionUpdate],
    ) -> CaseView:
        """Change status, type, due date or description of the caller's agency's measure."""
        p = principal_of(request)

        def fn(c: sqlite3.Connection) -> CaseView:
            planning.update_intervention(c, p, case_id, intervention_id, data)
            return view_after(c, p, case_id)

        return await database(request).write(fn)
