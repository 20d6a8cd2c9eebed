"""The case summary of the partner API, built from the cases service's case view.

Visibility is decided by :mod:`server.cases.visibility` only: items, photos and notes pass
the projection inside :func:`server.cases.view.case_view`; this module adds the partner rows
of that projection (no person names, intervention descriptions for the own agency only,
duplicates only when the client's agency is on them) and reshapes the result.
"""

from __future__ import annotations

import sqlite3

from server.cases.schemas import CaseView, ChecklistView, PhotoOut
from server.cases.scope import load_case_scope, load_case_scopes
from server.cases.view import case_view
from server.cases.visibility import (
    CaseScope,
    Reader,
    intervention_description_visible,
    on_case,
    partner_reader,
)
from server.partners.headers import ROOT
from server.partners.schemas import (
    Agency,
    CaseLinks,
    CaseSummary,
    Checklist,
    ClosingResult,
    DuplicateLink,
    Intervention,
    Item,
    Photo,
    PhotoLinks,
    Progress,
    Visit,
)


def case_link(case_id: str) -> CaseLinks:
    """The links of a case."""
    return CaseLinks(self=f"{ROOT}/cases/{case_id}")


def _photo(case_id: str, p: PhotoOut) -> Photo:
    links = None
    if p.state == "verified" and not p.withdrawn:
        base = f"{ROOT}/cases/{case_id}/photos/{p.id}"
        links = PhotoLinks(
            thumb=base + "/thumb", display=base + "/display", original=base + "/original"
        )
    return Photo(
        id=p.id,
        item_key=p.item_key,
        sha256=p.sha256,
        state=p.state,  # type: ignore[arg-type]
        captured_at=p.captured_at,
        withdrawn=p.withdrawn,
        links=links,
    )


def _checklist(case_id: str, c: ChecklistView) -> Checklist:
    return Checklist(
        id=c.id,
        agency=c.agency_id,
        template=c.template,
        status=c.status,  # type: ignore[arg-type]
        submitted_at=c.submitted_at,
        progress=Progress(
            items=c.progress.items,
            answered=c.progress.answered,
            required=c.progress.required,
            required_answered=c.progress.required_answered,
        ),
        full_access=c.full_access,
        items=[
            Item(key=key, value=a.value, updated_at=a.updated_at, amended=a.amended)
            for key, a in sorted(c.answers.items())
        ],
        photos=[_photo(case_id, p) for p in c.photos],
    )


def changed_at(conn: sqlite3.Connection, case_id: str) -> str:
    """When anything of the case last changed (its newest change-feed row)."""
    row = conn.execute(
        "SELECT at FROM changes WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (case_id,)
    ).fetchone()
    if row is not None:
        return str(row[0])
    (created,) = conn.execute("SELECT created_at FROM cases WHERE id = ?", (case_id,)).fetchone()
    return str(created)


def summarise(
    conn: sqlite3.Connection, reader: Reader, scope: CaseScope, view: CaseView
) -> CaseSummary:
    """Reshape the case view for a partner reader (no people, partner rows applied)."""
    names = dict(conn.execute("SELECT id, name FROM agencies").fetchall())
    performed = dict(
        conn.execute(
            "SELECT id, performed_at FROM inspections WHERE case_id = ?", (view.id,)
        ).fetchall()
    )
    duplicates = load_case_scopes(conn, list(view.possible_duplicates))
    return CaseSummary(
        id=view.id,
        reference=view.reference,
        status=view.status,  # type: ignore[arg-type]
        subject=view.subject,
        selection_reason=view.reason.category,
        created_at=view.created_at,
        closed_at=view.closed_at,
        agencies=[Agency(id=a, name=names.get(a, a)) for a in view.agencies],
        visits=[
            Visit(
                id=i.id,
                scheduled_date=i.scheduled_date,
                scheduled_time=i.scheduled_time,
                performed_at=performed.get(i.id),
                status=i.status,  # type: ignore[arg-type]
                checklists=[_checklist(view.id, c) for c in i.checklists],
            )
            for i in view.inspections
        ],
        interventions=[
            Intervention(
                id=r.id,
                agency=r.agency_id,
                type=r.type,
                status=r.status,
                due_date=r.due_date,
                reinspection_date=r.reinspection_date,
                created_at=r.created_at,
                updated_at=r.updated_at,
                description=r.description
                if intervention_description_visible(reader, scope, r.agency_id)
                else None,
                legal_basis=r.legal_basis
                if intervention_description_visible(reader, scope, r.agency_id)
                else None,
            )
            for r in view.interventions
        ],
        closing_result=ClosingResult(
            category=view.result.category, open_interventions=view.result.open_interventions
        )
        if view.result is not None
        else None,
        duplicate_links=[
            DuplicateLink(
                case_id=link.case_id,
                reference=link.reference,
                direction=link.direction,
                linked_at=link.linked_at,
            )
            for link in view.links
        ],
        possible_duplicates=sorted(d for d, s in duplicates.items() if on_case(reader, s)),
        changed_at=changed_at(conn, view.id),
        links=case_link(view.id),
    )


def case_summary(conn: sqlite3.Connection, agency_id: str, case_id: str) -> CaseSummary | None:
    """The summary of one case for a client of ``agency_id``; None when it may not see it."""
    reader = partner_reader(agency_id)
    scope = load_case_scope(conn, case_id)
    if scope is None or not on_case(reader, scope):
        return None
    view = case_view(conn, reader, case_id, scope)
    if view is None:
        return None
    return summarise(conn, reader, scope, view)
