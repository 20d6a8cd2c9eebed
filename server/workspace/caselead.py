"""Interventies, Afsluiten and Mogelijke dubbelingen: the case-level screens."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.cases import planning
from server.cases.closing import OUTCOME_LABELS, CloseCase, close_case
from server.cases.duplicates import (
    LinkDuplicate,
    duplicate_candidates,
    link_duplicate,
    unlink_duplicate,
)
from server.cases.schemas import InterventionCreate, InterventionUpdate
from server.cases.scope import reader_of
from server.db import Database
from server.workspace.casefile import case_file_of, case_url
from server.workspace.forms import FormError, Refusal, decode, form_values, run
from server.workspace.rendering import page
from server.workspace.security import session_of

INTERVENTION_TYPES = {
    "waarschuwing": "Waarschuwing",
    "last-onder-dwangsom": "Last onder dwangsom",
    "bestuurlijke-boete": "Bestuurlijke boete",
    "sluiting-13b-opiumwet": "Sluiting (art. 13b Opiumwet)",
    "bibob-onderzoek": "Bibob-onderzoek",
    "proces-verbaal": "Proces-verbaal",
    "fiscale-vervolgactie": "Fiscale vervolgactie",
    "hercontrole": "Hercontrole",
}
INTERVENTION_STATUSES = {
    "voorgenomen": "Voorgenomen",
    "opgelegd": "Opgelegd",
    "lopend": "Lopend",
    "afgerond": "Afgerond",
    "ingetrokken": "Ingetrokken",
}


async def _case_page(
    request: Request[Any, Any, Any],
    case_id: str,
    template: str,
    tab: str,
    title: str,
    *,
    refusal: Refusal | None = None,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> Template:
    file = await case_file_of(request, case_id)
    return page(
        request,
        template,
        active="zaken",
        title=f"{title} · {file.view.reference}",
        view=file.view,
        file=file,
        case_tab=tab,
        refusal=refusal,
        values=values or {},
        status_code=refusal.status if refusal else 200,
        TYPES=INTERVENTION_TYPES,
        STATUSES_I=INTERVENTION_STATUSES,
        OUTCOMES=OUTCOME_LABELS,
        **extra,
    )


@get("/zaken/{case_id:str}/interventies", include_in_schema=False, name="workspace-interventions")
async def interventions(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Every agency's measures (description only for the own agency); add or update own."""
    return await _case_page(request, case_id, "interventies.html", "interventies", "Interventies")


@post(
    "/zaken/{case_id:str}/interventies", include_in_schema=False, name="workspace-intervention-add"
)
async def intervention_add(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """Record a measure of the own agency."""
    me = session_of(request).principal
    values = await form_values(request)
    data = {
        k: v
        for k, v in values.items()
        if v != ""
        and k in ("type", "status", "due_date", "description", "legal_basis", "reinspection_date")
    }
    try:
        req = decode({**data, "agency": me.agency_id}, InterventionCreate)
        result: Any = await run(request, lambda c: planning.add_intervention(c, me, case_id, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _case_page(
            request,
            case_id,
            "interventies.html",
            "interventies",
            "Interventies",
            refusal=result,
            values=values,
        )
    return Redirect(path=case_url(case_id, "interventies"), status_code=303)


@post(
    "/zaken/{case_id:str}/interventies/{intervention_id:str}",
    include_in_schema=False,
    name="workspace-intervention-update",
)
async def intervention_update(
    request: Request[Any, Any, Any], case_id: FromPath[str], intervention_id: FromPath[str]
) -> Any:
    """Change the status (and optionally the due date) of an own agency's measure."""
    me = session_of(request).principal
    values = await form_values(request)
    data: dict[str, Any] = {"status": values.get("status", "")}
    if "due_date" in values:
        data["due_date"] = values["due_date"] or None
    try:
        req = decode(data, InterventionUpdate)
        result: Any = await run(
            request,
            lambda c: planning.update_intervention(c, me, case_id, intervention_id, req),
        )
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _case_page(
            request,
            case_id,
            "interventies.html",
            "interventies",
            "Interventies",
            refusal=result,
            values={},
        )
    return Redirect(path=case_url(case_id, "interventies"), status_code=303)


@get("/zaken/{case_id:str}/afsluiten", include_in_schema=False, name="workspace-close-form")
async def close_form(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """The result of the case, and a confirmation while interventions still run."""
    return await _case_page(request, case_id, "afsluiten.html", "afsluiten", "Afsluiten")


@post("/zaken/{case_id:str}/afsluiten", include_in_schema=False, name="workspace-close")
async def close_post(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """Close the case (only its team lead); the phones drop it."""
    me = session_of(request).principal
    values = await form_values(request)
    data = {
        "category": values.get("category", ""),
        "text": values.get("text", ""),
        "confirm_open_interventions": values.get("confirm") == "ja",
    }
    try:
        req = decode(data, CloseCase)
        result: Any = await run(request, lambda c: close_case(c, me, case_id, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        return await _case_page(
            request,
            case_id,
            "afsluiten.html",
            "afsluiten",
            "Afsluiten",
            refusal=result,
            values=values,
        )
    return Redirect(path=case_url(case_id), status_code=303)


@get("/zaken/{case_id:str}/dubbelingen", include_in_schema=False, name="workspace-duplicates")
async def duplicates(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Possible duplicates among the cases the reader is on; link or undo a link."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    candidates = await db.read(lambda c: duplicate_candidates(c, reader_of(me), case_id))
    return await _case_page(
        request,
        case_id,
        "dubbelingen.html",
        "dubbelingen",
        "Mogelijke dubbelingen",
        candidates=candidates,
    )


@post("/zaken/{case_id:str}/dubbelingen", include_in_schema=False, name="workspace-duplicate-link")
async def duplicate_link(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Any:
    """``this`` duplicates ``other``, or the other way round (``direction``)."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    values = await form_values(request)
    other = str(values.get("other", ""))
    source, target = (case_id, other) if values.get("direction") != "reverse" else (other, case_id)
    try:
        req = decode({"duplicate_of": target, "reason": values.get("reason", "")}, LinkDuplicate)
        result: Any = await run(request, lambda c: link_duplicate(c, me, source, req))
    except FormError as exc:
        result = exc.refusal
    if isinstance(result, Refusal):
        candidates = await db.read(lambda c: duplicate_candidates(c, reader_of(me), case_id))
        return await _case_page(
            request,
            case_id,
            "dubbelingen.html",
            "dubbelingen",
            "Mogelijke dubbelingen",
            refusal=result,
            values=values,
            candidates=candidates,
        )
    return Redirect(path=case_url(case_id, "dubbelingen"), status_code=303)


@post(
    "/zaken/{case_id:str}/dubbelingen/{link_id:str}/ongedaan",
    include_in_schema=False,
    name="workspace-duplicate-unlink",
)
async def duplicate_unlink(
    request: Request[Any, Any, Any], case_id: FromPath[str], link_id: FromPath[str]
) -> Any:
    """Undo a link (kept in the history)."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    result: Any = await run(request, lambda c: unlink_duplicate(c, me, case_id, link_id))
    if isinstance(result, Refusal):
        candidates = await db.read(lambda c: duplicate_candidates(c, reader_of(me), case_id))
        return await _case_page(
            request,
            case_id,
            "dubbelingen.html",
            "dubbelingen",
            "Mogelijke dubbelingen",
            refusal=result,
            candidates=candidates,
        )
    return Redirect(path=case_url(case_id, "dubbelingen"), status_code=303)
