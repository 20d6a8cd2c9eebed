"""Decisions on inspections and interventions (team lead actions). Each runs in one write."""

from __future__ import annotations

import sqlite3

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases import lookups
from server.cases import repository as repo
from server.cases.lifecycle import check_date, check_time, parse_template_ref
from server.cases.schemas import (
    InspectionPlan,
    InspectorsChange,
    InterventionCreate,
    InterventionUpdate,
)
from server.cases.scope import load_case_scope, reader_of
from server.cases.service import case_for_teamlead, check_agencies
from server.cases.visibility import CaseScope, Reader, full_access, may_act_for, on_case
from server.checklists.library import get_template
from server.lib.errors import FieldError, Forbidden, NotFound, Unprocessable
from server.lib.ids import uuid7

PLANNABLE = ("signal", "selected")


def _check_inspectors(
    conn: sqlite3.Connection, inspectors: list[str], agencies: set[str]
) -> list[str]:
    """Active users of the inspection's agencies with a field role; 422 naming the others."""
    users = lookups.load_users(conn, inspectors)
    errors: list[FieldError] = []
    for i, user_id in enumerate(inspectors):
        user = users.get(user_id)
        field = f"inspectors[{i}]"
        if user is None or user["disabled_at"]:
            errors.append(FieldError(field=field, message="onbekende of uitgeschakelde gebruiker"))
        elif user["agency_id"] not in agencies:
            errors.append(
                FieldError(
                    field=field,
                    message=f"{user['name']} ({user['agency_id']}) hoort niet bij een "
                    "organisatie van deze controle",
                )
            )
        elif not {"inspector", "teamlead"} & set(msgspec.json.decode(user["roles"])):
            errors.append(FieldError(field=field, message=f"{user['name']} is geen inspecteur"))
    if errors:
        raise Unprocessable(
            "Niet alle inspecteurs kunnen aan deze controle worden toegewezen: "
            + errors[0].message
            + ".",
            slug="invalid-inspectors",
            errors=errors,
        )
    return list(dict.fromkeys(inspectors))


def _check_staffing(
    conn: sqlite3.Connection, principal: Principal, scope: CaseScope, changed: list[str]
) -> None:
    """403 unless the caller may assign or remove every user in ``changed`` (``may_act_for``:
    only a team lead of the user's own agency staffs that agency's inspectors)."""
    users = lookups.load_users(conn, changed)
    reader = reader_of(principal)
    others = sorted(
        {
            users[u]["agency_id"]
            for u in changed
            if u in users and not may_act_for(reader, scope, users[u]["agency_id"])
        }
    )
    if others:
        raise Forbidden(
            "Alleen teamleiders van de eigen organisatie wijzen inspecteurs van die organisatie "
            f"toe of halen ze van een controle af ({', '.join(others)}); vraag dat aan een "
            "teamleider van die organisatie.",
            slug="other-agency-inspectors",
        )


def plan_inspection(
    conn: sqlite3.Connection, principal: Principal, case_id: str, data: InspectionPlan
) -> str:
    """Plan an inspection with one checklist per agency; return the inspection id.

    The caller assigns inspectors of their own agency only; the other agencies' team leads
    add theirs afterwards (:func:`reassign_inspectors`).
    """
    scope = case_for_teamlead(conn, principal, case_id)
    (status,) = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    scheduled_date = check_date(data.date, "date")
    scheduled_time = check_time(data.time, "time") if data.time is not None else None
    agencies = [c.agency for c in data.checklists]
    check_agencies(conn, agencies, "checklists[].agency")
    seen: set[str] = set()
    templates: list[tuple[str, str, int]] = []
    for i, entry in enumerate(data.checklists):
        if entry.agency in seen:
            raise Unprocessable(
                f"{entry.agency} staat twee keer in deze controle; één checklist per organisatie.",
                errors=[FieldError(field=f"checklists[{i}].agency", message="dubbel")],
            )
        seen.add(entry.agency)
        slug, version = parse_template_ref(entry.template, f"checklists[{i}].template")
        if get_template(conn, slug, version) is None:
            raise Unprocessable(
                f"Sjabloon {entry.template} bestaat niet; zie GET /api/v1/templates.",
                slug="unknown-template",
                errors=[FieldError(field=f"checklists[{i}].template", message="onbekend")],
            )
        templates.append((entry.agency, slug, version))
    inspectors = _check_inspectors(conn, list(data.inspectors), seen)
    _check_staffing(conn, principal, scope, inspectors)
    repo.add_case_agencies(conn, case_id, agencies)
    repo.touch_case(conn, case_id)
    inspection_id = uuid7()
    repo.insert_inspection(
        conn,
        inspection_id=inspection_id,
        case_id=case_id,
        scheduled_date=scheduled_date,
        scheduled_time=scheduled_time,
        created_by=principal.user_id,
        inspectors=inspectors,
    )
    for agency_id, slug, version in templates:
        repo.insert_checklist(
            conn,
            checklist_id=uuid7(),
            inspection_id=inspection_id,
            case_id=case_id,
            agency_id=agency_id,
            template_slug=slug,
            template_version=version,
        )
    if status in PLANNABLE:
        repo.set_case_status(conn, case_id, "planned")
    append(
        conn,
        principal.actor(),
        "inspection.plan",
        object_type="inspection",
        object_id=inspection_id,
        detail={"case_id": case_id, "agencies": agencies, "inspectors": inspectors},
    )
    return inspection_id


def reassign_inspectors(
    conn: sqlite3.Connection,
    principal: Principal,
    case_id: str,
    inspection_id: str,
    data: InspectorsChange,
) -> None:
    """Replace the inspectors of an inspection (grants and evictions in the same write)."""
    before = case_for_teamlead(conn, principal, case_id)
    row = conn.execute(
        "SELECT id FROM inspections WHERE id = ? AND case_id = ?", (inspection_id, case_id)
    ).fetchone()
    if row is None:
        raise NotFound(
            f"Controle {inspection_id} hoort niet bij dit dossier.", slug="inspection-not-found"
        )
    agencies = {
        r[0]
        for r in conn.execute(
            "SELECT agency_id FROM checklists WHERE inspection_id = ?", (inspection_id,)
        )
    }
    inspectors = _check_inspectors(conn, list(data.inspectors), agencies)
    current = repo.inspection_inspectors(conn, inspection_id)
    _check_staffing(conn, principal, before, sorted(current.symmetric_difference(inspectors)))
    added, removed, _ = repo.replace_inspectors(conn, case_id, inspection_id, inspectors)
    after = load_case_scope(conn, case_id) or before  # the case exists: we just changed it
    _record_access_changes(conn, before, after, added, removed)
    append(
        conn,
        principal.actor(),
        "inspection.reassign",
        object_type="inspection",
        object_id=inspection_id,
        detail={"case_id": case_id, "added": added, "removed": removed},
    )


def _record_access_changes(
    conn: sqlite3.Connection,
    before: CaseScope,
    after: CaseScope,
    added: list[str],
    removed: list[str],
) -> None:
    """Grants for new inspectors; evictions decided by the projection, before vs. after.

    A removed user who is no longer on the case loses the case; one who still is (another
    inspection, team lead) loses only the checklists they no longer fully see.
    """
    users = lookups.load_users(conn, removed)
    case_evictions: list[str] = []
    checklist_evictions: list[tuple[str, str]] = []
    old = {c.checklist_id: c for c in before.checklists}
    for user_id in removed:
        row = users[user_id]
        reader = Reader(
            kind="user",
            agency_id=row["agency_id"],
            user_id=user_id,
            roles=frozenset(msgspec.json.decode(row["roles"])),
        )
        if not on_case(reader, after):
            case_evictions.append(user_id)
            continue
        for checklist in after.checklists:
            previous = old.get(checklist.checklist_id)
            if (
                previous is not None
                and full_access(reader, before, previous)
                and not full_access(reader, after, checklist)
            ):
                checklist_evictions.append((user_id, checklist.checklist_id))
    repo.record_access_changes(
        conn,
        after.case_id,
        grants=added,
        case_evictions=case_evictions,
        checklist_evictions=checklist_evictions,
    )


def _check_intervention_agency(
    conn: sqlite3.Connection, principal: Principal, case_id: str, agency_id: str
) -> None:
    scope = case_for_teamlead(conn, principal, case_id)
    if not may_act_for(reader_of(principal), scope, agency_id):
        raise Forbidden(
            "Alleen teamleiders van de eigen organisatie leggen interventies van die organisatie "
            "vast.",
            slug="other-agency",
        )
    if agency_id not in repo.case_agencies(conn, case_id):
        raise Unprocessable(
            f"{agency_id} neemt niet deel aan dit dossier.",
            errors=[FieldError(field="agency", message="geen deelnemende organisatie")],
        )


def add_intervention(
    conn: sqlite3.Connection, principal: Principal, case_id: str, data: InterventionCreate
) -> str:
    """Record a follow-up measure of the caller's agency; return its id."""
    _check_intervention_agency(conn, principal, case_id, data.agency)
    due = check_date(data.due_date, "due_date") if data.due_date is not None else None
    again = (
        check_date(data.reinspection_date, "reinspection_date")
        if data.reinspection_date is not None
        else None
    )
    intervention_id = uuid7()
    repo.upsert_intervention(
        conn,
        intervention_id=intervention_id,
        case_id=case_id,
        agency_id=data.agency,
        type=data.type,
        status=data.status,
        due_date=due,
        description=data.description,
        created_by=principal.user_id,
        legal_basis=data.legal_basis,
        reinspection_date=again,
    )
    append(
        conn,
        principal.actor(),
        "intervention.create",
        object_type="intervention",
        object_id=intervention_id,
        detail={"case_id": case_id, "type": data.type, "status": data.status},
    )
    return intervention_id


def update_intervention(
    conn: sqlite3.Connection,
    principal: Principal,
    case_id: str,
    intervention_id: str,
    data: InterventionUpdate,
) -> None:
    """Change type, status, due date or description of an intervention."""
    row = conn.execute(
        "SELECT * FROM interventions WHERE id = ? AND case_id = ?", (intervention_id, case_id)
    ).fetchone()
    if row is None:
        case_for_teamlead(conn, principal, case_id)
        raise NotFound(
            f"Interventie {intervention_id} hoort niet bij dit dossier.",
            slug="intervention-not-found",
        )
    _check_intervention_agency(conn, principal, case_id, row["agency_id"])
    due = row["due_date"]
    if data.due_date is not msgspec.UNSET:
        due = check_date(data.due_date, "due_date") if data.due_date is not None else None
    new_type = row["type"] if data.type is msgspec.UNSET else data.type
    new_status = row["status"] if data.status is msgspec.UNSET else data.status
    description = row["description"] if data.description is msgspec.UNSET else data.description
    basis = row["legal_basis"] if data.legal_basis is msgspec.UNSET else data.legal_basis
    again = row["reinspection_date"]
    if data.reinspection_date is not msgspec.UNSET:
        again = (
            check_date(data.reinspection_date, "reinspection_date")
            if data.reinspection_date is not None
            else None
        )
    repo.upsert_intervention(
        conn,
        intervention_id=intervention_id,
        case_id=case_id,
        agency_id=row["agency_id"],
        type=new_type,
        status=new_status,
        due_date=due,
        description=description,
        created_by=row["created_by"],
        legal_basis=basis,
        reinspection_date=again,
    )
    append(
        conn,
        principal.actor(),
        "intervention.update",
        object_type="intervention",
        object_id=intervention_id,
        detail={"case_id": case_id, "status": new_status},
    )
