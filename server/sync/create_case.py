"""``create_case``: a business found on site becomes a case with an inspection and checklist."""

from __future__ import annotations

import sqlite3

import msgspec

from server.audit.log import append
from server.cases.reference import next_case_reference
from server.cases.subject import Subject, normalise_subject
from server.lib.errors import FieldError, Forbidden, Unprocessable
from server.sync.answers import WriteResult
from server.sync.context import PushContext, id_taken
from server.sync.merge import Outcome
from server.sync.protocol import CreateCase
from server.sync.templates import template_by_ref


def possible_duplicates(conn: sqlite3.Connection, subject: Subject, case_id: str) -> list[str]:
    """Cases with the same KvK-nummer or the same address (postcode, huisnummer, toevoeging)."""
    found: set[str] = set()
    business = subject.business
    if business is not None and business.kvk:
        for row in conn.execute("SELECT id FROM cases WHERE kvk = ?", (business.kvk,)):
            found.add(row[0])
    address = subject.address
    if address is not None:
        for row in conn.execute(
            "SELECT id FROM cases WHERE postcode = ? AND huisnummer = ?"
            " AND coalesce(toevoeging, '') = ?",
            (address.postcode, address.huisnummer, address.toevoeging or ""),
        ):
            found.add(row[0])
    found.discard(case_id)
    return sorted(found)


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
    duplicates = possible_duplicates(conn, subject, op.case_id)
    reference = next_case_reference(conn)
    address, business = subject.address, subject.business
    case_rev = ctx.change(conn, "case", op.case_id, case_id=op.case_id)
    conn.execute(
        "INSERT INTO cases (id, reference, postcode, huisnummer, toevoeging, street, city,"
        " bag_id, business_name, kvk, vestigingsnummer, reason, status, possible_duplicates,"
        " created_by, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned',"
        " ?, ?, ?, ?)",
        (
            op.case_id,
            reference,
            address.postcode if address else None,
            address.huisnummer if address else None,
            address.toevoeging if address else None,
            address.street if address else None,
            address.city if address else None,
            address.bag_id if address else None,
            business.name if business else None,
            business.kvk if business else None,
            business.vestigingsnummer if business else None,
            msgspec.json.encode(op.reason).decode(),
            msgspec.json.encode(duplicates).decode(),
            ctx.user_id,
            ctx.now,
            case_rev,
        ),
    )
    conn.execute(
        "INSERT INTO case_agencies (case_id, agency_id) VALUES (?, ?)",
        (op.case_id, principal.agency_id),
    )
    rev = ctx.change(conn, "inspection", op.inspection_id, case_id=op.case_id)
    conn.execute(
        "INSERT INTO inspections (id, case_id, scheduled_date, performed_at, status, created_by,"
        " created_at, rev) VALUES (?, ?, ?, ?, 'in_progress', ?, ?, ?)",
        (op.inspection_id, op.case_id, ctx.now[:10], ctx.now, ctx.user_id, ctx.now, rev),
    )
    conn.execute(
        "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
        (op.inspection_id, ctx.user_id),
    )
    rev = ctx.change(
        conn, "checklist", op.checklist_id, case_id=op.case_id, checklist_id=op.checklist_id
    )
    conn.execute(
        "INSERT INTO checklists (id, inspection_id, case_id, agency_id, template_slug,"
        " template_version, status, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)",
        (
            op.checklist_id,
            op.inspection_id,
            op.case_id,
            principal.agency_id,
            cached.template.slug,
            cached.template.version,
            ctx.now,
            rev,
        ),
    )
    ctx.change(conn, "grant", op.case_id, case_id=op.case_id, user_id=ctx.user_id)
    append(
        conn,
        principal.actor(),
        "case.create",
        object_type="case",
        object_id=op.case_id,
        detail={"reference": reference, "via": "sync", "possible_duplicates": duplicates},
    )
    return WriteResult(Outcome.WRITE, case_rev)
