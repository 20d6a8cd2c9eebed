"""Planning: plan a visit, each agency's team lead assigns its own inspectors, hand over."""

from __future__ import annotations

import sqlite3
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.auth.repository import list_agencies
from server.cases import lookups
from server.cases import planning as plans
from server.cases.closing import HandOver, hand_over
from server.cases.schemas import InspectionPlan, InspectorsChange
from server.checklists.library import template_refs
from server.db import Database
from server.workspace.casefile import case_file_of, case_url
from server.workspace.forms import FormError, Refusal, as_list, decode, form_values, run
from server.workspace.rendering import page
from server.workspace.security import session_of


def _choices(conn: sqlite3.Connection, agency_id: str) -> dict[str, Any]:
    return {
        "own_inspectors": [
            (r["id"], r["name"])
            for r in lookups.active_users_with_role(conn, "inspector", agency_id)
        ],
        "teamleads": [
            (r["id"], f"{r['name']} ({r['agency_id']})")
            for r in lookups.active_users_with_role(conn, "teamlead")
        ],
        "agencies": [(r["id"], r["name"]) for r in list_agencies(conn)],
        "templates": template_refs(conn),
    }


async def _planning_page(
    request: Request[Any, Any, Any],
    case_id: str,
    *,
    refusal: Refusal | None = None,
    failed: str = "",
    values: dict[str, Any] | None = None,
) -> Template:
    me = session_of(request).principal
    file = await case_file_of(request, case_id)
    db: Database = request.app.state.db
    choices = await db.read(lambda c: _choices(c, me.agency_id))
    return page(
        request,
        "planning.html",
        active="zaken",
        title=f"Planning · {file.view.reference}",
        view=file.view,
        file=file,
        case_tab="planning",
        refusal=refusal,
        failed=failed,
        values=values or {},
        status_code=refusal.status if refusal else 200,
        **choices,
    )


@get("/zaken/{case_id:str}/planning", include_in_schema=False, name="workspace-planning")
async def planning_page(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Visits with their inspectors; forms to plan, assign and hand over."""
    return await _planning_page(request, case_id)


@post("/zaken/{case_id:str}/planning", include_in_schema=False, name="workspace-plan")
async def plan_post(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """Plan a visit: date, time, a template per participating agency, own inspectors."""
    me = session_of(request).principal
    values = await form_values(request)
    agencies = as_list(values.get("agencies"))
    checklists = [{"agency": a, "template": str(values.get(f"template-{a}", ""))} for a in agencies]
    data: dict[str, Any] = {
        "date": values.get("date", ""),
        "checklists": checklists,
        "inspectors": as_list(values.get("inspectors")),
    }
    if values.get("time"):
        data["time"] = values["time"]
    try:
        if not agencies:
            raise FormError(
                Refusal(
                    "Kies minstens één organisatie met een checklist.",
                    fields={"agencies": "Kies een organisatie."},
                )
            )
        missing = [a for a in agencies if not values.get(f"template-{a}")]
        if missing:
            raise FormError(
                Refusal(
                    "Kies een checklist voor " + ", ".join(missing) + ".",
                    fields={"checklists": "Kies een checklist."},
                )
            )
        req = decode(data, InspectionPlan)
        result: Any = await run(request, lambda c: plans.plan_inspection(c, me, case_id, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        values["agencies"], values["inspectors"] = agencies, as_list(values.get("inspectors"))
        return await _planning_page(request, case_id, refusal=result, failed="plan", values=values)
    return Redirect(path=case_url(case_id, "planning"), status_code=303)


@post(
    "/zaken/{case_id:str}/planning/{inspection_id:str}/inspecteurs",
    include_in_schema=False,
    name="workspace-assign",
)
async def assign_post(
    request: Request[Any, Any, Any], case_id: FromPath[str], inspection_id: FromPath[str]
) -> Any:
    """Replace the inspectors of the own agency on one visit; other agencies' stay."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    values = await form_values(request)
    chosen = as_list(values.get("inspectors"))
    file = await case_file_of(request, case_id)
    inspection = next((i for i in file.view.inspections if i.id == inspection_id), None)
    own = {uid for uid, _ in (await db.read(lambda c: _choices(c, me.agency_id)))["own_inspectors"]}
    try:
        if inspection is None:
            raise FormError(Refusal("Deze controle hoort niet bij dit dossier.", 404))
        if not set(chosen) <= own:
            raise FormError(
                Refusal(
                    "U wijst alleen inspecteurs van uw eigen organisatie toe.",
                    403,
                    {"inspectors": "niet van uw organisatie"},
                )
            )
        keep = [p.id for p in inspection.inspectors if p.agency_id != me.agency_id]
        req = decode({"inspectors": keep + chosen}, InspectorsChange)
        result: Any = await run(
            request, lambda c: plans.reassign_inspectors(c, me, case_id, inspection_id, req)
        )
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _planning_page(request, case_id, refusal=result, failed=inspection_id)
    return Redirect(path=case_url(case_id, "planning"), status_code=303)


@post(
    "/zaken/{case_id:str}/planning/overdragen", include_in_schema=False, name="workspace-handover"
)
async def handover_post(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """Hand the case to another team lead (only the case's team lead)."""
    me = session_of(request).principal
    values = await form_values(request)
    try:
        req = decode(
            {"teamlead_id": values.get("teamlead_id", ""), "reason": values.get("reason", "")},
            HandOver,
        )
        result: Any = await run(request, lambda c: hand_over(c, me, case_id, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _planning_page(
            request, case_id, refusal=result, failed="handover", values=values
        )
    return Redirect(path=case_url(case_id), status_code=303)
