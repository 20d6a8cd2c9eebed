"""``create_case``: a business found on site becomes a case with an inspection and checklist."""

from __future__ import annotations

import sqlite3

from server.audit.log import append
from server.cases.lookups import find_possible_duplicates
from server.cases.reference import next_case_reference
from server.cases.repository import insert_case, insert_checklist, insert_inspection
from server.cases.subject import normalise_subject
from server.lib.errors import FieldError, Forbidden, Unprocessable
from server.sync.answers import WriteResult
from server.sync.context import PushContext, id_taken
from server.sync.merge import Outcome
from server.sync.protocol import CreateCase
from server.sync.templates import template_by_ref


def create_case(conn: sqlite3.Connection, ctx: PushContext, op: CreateCase) -> WriteResult:
    """Create case, participation, inspection (assigned to the creator) and one checklist."""
    principal = ctx.principal
    if not principal.has_role("inspector"):
        raise Forbidden(
            "Alleen een inspecteur kan ter plaatse een zaak aanmaken.", slug="role-required"
        )
    slug, _, version = op.template.partition("@")
    cached = template_by_ref(conn, slug, int(version))
    if cached is None:
        message = f"Sjabloon {op.template} bestaat niet."
        raise Unprocessable(
            message, slug="unknown-template", errors=[FieldError("template", message)]
        )
    kind = conn.execute("SELECT kind FROM agencies WHERE id = ?", (principal.agency_id,)).fetchone()
    kinds = cached.template.agency_kinds
    if "*" not in kinds and (kind is None or kind[0] not in kinds):
        message = f"Sjabloon {op.template} is niet bedoeld voor uw organisatie."
        raise Unprocessable(
            message, slug="template-not-for-agency", errors=[FieldError("template", message)]
        )
    subject = normalise_subject(op.subject)
    for table, entity_id, what in (
        ("cases", op.case_id, "zaak"),
        ("inspections", op.inspection_id, "controle"),
        ("checklists", op.checklist_id, "checklist"),
    ):
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (entity_id,)).fetchone():
            raise id_taken(what)
    duplicates = find_possible_duplicates(conn, subject, exclude=op.case_id)
    reference = next_case_reference(conn)
    case_rev = insert_case(
        conn,
        case_id=op.case_id,
        reference=reference,
        subject=subject,
        reason=op.reason,
        status="planned",
        created_by=ctx.user_id,
        possible_duplicates=duplicates,
        change=ctx.change,
    )
    conn.execute(
        "INSERT INTO case_agencies (case_id, agency_id) VALUES (?, ?)",
        (op.case_id, principal.agency_id),
    )
    insert_inspection(
        conn,
        inspection_id=op.inspection_id,
        case_id=op.case_id,
        scheduled_date=ctx.now[:10],
        scheduled_time=None,
        created_by=ctx.user_id,
        inspectors=[ctx.user_id],
        status="in_progress",
        performed_at=ctx.now,
        change=ctx.change,
    )
    insert_checklist(
        conn,
        checklist_id=op.checklist_id,
        inspection_id=op.inspection_id,
        case_id=op.case_id,
        agency_id=principal.agency_id,
        template_slug=cached.template.slug,
        template_version=cached.template.version,
        change=ctx.change,
    )
    append(
        conn,
        principal.actor(),
        "case.create",
        object_type="case",
        object_id=op.case_id,
        detail={"reference": reference, "via": "sync", "possible_duplicates": duplicates},
    )
    return WriteResult(Outcome.WRITE, case_rev)
