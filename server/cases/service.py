"""Decisions on signals and cases (team lead actions). Each runs inside one write.

Every state change records its change-feed rows (through the repository) and an audit event
in the same transaction; a domain error rolls the whole unit back.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases import lookups
from server.cases import repository as repo
from server.cases.lifecycle import check_transition
from server.cases.reference import next_case_reference
from server.cases.schemas import CaseCreate, SignalCreate, SignalDismiss, SignalOut, StatusChange
from server.cases.scope import load_case_scope, reader_of
from server.cases.subject import Subject, normalise_subject
from server.cases.visibility import CaseScope, may_lead, on_case, writes_closed
from server.lib.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from server.lib.ids import uuid7

_subject_decoder = msgspec.json.Decoder(Subject)


def case_not_found(case_id: str) -> NotFound:
    """The one 404 for a case that does not exist or that the caller may not see."""
    return NotFound(
        f"Dossier {case_id} bestaat niet of u bent er niet bij betrokken.", slug="case-not-found"
    )


def case_closed() -> Conflict:
    """The one answer of a team-lead action on a closed case (``closed`` is final)."""
    return Conflict(
        "Dit dossier is gesloten: wijzigingen worden niet meer aangenomen. Een gesloten dossier "
        "is definitief; leg nieuw werk vast in een nieuw dossier.",
        slug="case-closed",
    )


def case_for_teamlead(
    conn: sqlite3.Connection, principal: Principal, case_id: str, *, closed_ok: bool = False
) -> CaseScope:
    """The scope of a case the calling team lead may lead (``may_lead``): 404 when not on it,
    409 ``case-closed`` once it is closed (unless ``closed_ok``)."""
    scope = load_case_scope(conn, case_id)
    reader = reader_of(principal)
    if scope is None or not on_case(reader, scope):
        raise case_not_found(case_id)
    if not may_lead(reader, scope):
        raise Forbidden("Deze actie is alleen voor de rol teamleider.", slug="role-required")
    if writes_closed(scope) and not closed_ok:
        raise case_closed()
    return scope


def check_agencies(conn: sqlite3.Connection, agencies: list[str], field: str) -> None:
    """422 naming every unknown agency slug."""
    known = lookups.known_agencies(conn, agencies)
    errors = [
        FieldError(field=f"{field}[{i}]", message=f"onbekende organisatie {a!r}")
        for i, a in enumerate(agencies)
        if a not in known
    ]
    if errors:
        raise Unprocessable(
            f"Onbekende organisatie: {errors[0].message.split(' ', 2)[2]}. Gebruik de slug, "
            "zoals gemeente-groningen of politie.",
            slug="unknown-agency",
            errors=errors,
        )


def _signal_out(row: sqlite3.Row) -> SignalOut:
    return SignalOut(
        id=row["id"],
        source=row["source"],
        description=row["description"],
        subject=_subject_decoder.decode(row["subject"]),
        status=row["status"],
        agency_id=row["agency_id"],
        created_at=row["created_at"],
        rev=row["rev"],
        case_id=row["case_id"],
        dismissed_reason=row["dismissed_reason"],
    )


def create_signal(conn: sqlite3.Connection, principal: Principal, data: SignalCreate) -> SignalOut:
    """Record a signal of the caller's agency (no reporter identity is stored)."""
    subject = normalise_subject(data.subject)
    signal_id = uuid7()
    repo.insert_signal(
        conn,
        signal_id=signal_id,
        source=data.source,
        description=data.description,
        subject=subject,
        created_by=principal.user_id,
        agency_id=principal.agency_id,
    )
    append(
        conn,
        principal.actor(),
        "signal.create",
        object_type="signal",
        object_id=signal_id,
        detail={"source": data.source},
    )
    return get_signal(conn, principal, signal_id)


def get_signal(conn: sqlite3.Connection, principal: Principal, signal_id: str) -> SignalOut:
    """A signal of the caller's agency (404 for others)."""
    row = conn.execute(
        "SELECT * FROM signals WHERE id = ? AND agency_id = ?", (signal_id, principal.agency_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"Melding {signal_id} bestaat niet.", slug="signal-not-found")
    return _signal_out(row)


def list_signals(
    conn: sqlite3.Connection, agency_id: str, status: str | None, cursor: str | None, limit: int
) -> tuple[list[SignalOut], str | None]:
    """Signals of one agency, newest first, paged by id."""
    rows = conn.execute(
        "SELECT * FROM signals WHERE agency_id = ? AND (? IS NULL OR status = ?)"
        " AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
        (agency_id, status, status, cursor, cursor, limit + 1),
    ).fetchall()
    page = [_signal_out(r) for r in rows[:limit]]
    return page, (page[-1].id if len(rows) > limit else None)


def dismiss_signal(
    conn: sqlite3.Connection, principal: Principal, signal_id: str, data: SignalDismiss
) -> SignalOut:
    """Dismiss an open signal with a reason."""
    signal = get_signal(conn, principal, signal_id)
    if signal.status != "open":
        raise Conflict(
            f"Melding {signal_id} is al {signal.status}; alleen open meldingen kunnen worden "
            "afgewezen.",
            slug="signal-not-open",
        )
    repo.set_signal_status(conn, signal_id, "dismissed", dismissed_reason=data.reason)
    append(conn, principal.actor(), "signal.dismiss", object_type="signal", object_id=signal_id)
    return get_signal(conn, principal, signal_id)


def create_case(conn: sqlite3.Connection, principal: Principal, data: CaseCreate) -> str:
    """Create a case (status ``selected``); return its id."""
    subject_in = data.subject
    signal: SignalOut | None = None
    if data.signal_id is not None:
        signal = get_signal(conn, principal, data.signal_id)
        if signal.status != "open":
            raise Conflict(
                f"Melding {data.signal_id} is al {signal.status} en kan geen nieuw dossier worden.",
                slug="signal-not-open",
            )
        subject_in = subject_in or signal.subject
    if subject_in is None:
        raise Unprocessable(
            "Geef het onderwerp van het dossier op: een adres, een bedrijf of beide.",
            errors=[FieldError(field="subject", message="ontbreekt")],
        )
    subject = normalise_subject(subject_in)
    agencies = list(dict.fromkeys([principal.agency_id, *data.agencies]))
    check_agencies(conn, agencies, "agencies")
    teamlead_id = data.teamlead_id or principal.user_id
    if teamlead_id != principal.user_id:
        user = lookups.load_users(conn, [teamlead_id]).get(teamlead_id)
        if (
            user is None
            or user["disabled_at"]
            or "teamlead" not in msgspec.json.decode(user["roles"])
        ):
            raise Unprocessable(
                "De opgegeven teamleider bestaat niet of heeft de rol teamleider niet.",
                errors=[FieldError(field="teamlead_id", message="geen actieve teamleider")],
            )
        if user["agency_id"] not in agencies:
            agencies.append(user["agency_id"])
    case_id = uuid7()
    reason = data.reason
    if signal is not None:
        reason = msgspec.structs.replace(reason, signal_id=signal.id)
    repo.insert_case(
        conn,
        case_id=case_id,
        reference=next_case_reference(conn),
        subject=subject,
        reason=reason,
        status="selected",
        created_by=principal.user_id,
        teamlead_id=teamlead_id,
        signal_id=signal.id if signal else None,
        possible_duplicates=lookups.find_possible_duplicates(conn, subject, exclude=case_id),
    )
    repo.add_case_agencies(conn, case_id, agencies)
    if signal is not None:
        repo.set_signal_status(conn, signal.id, "triaged", case_id=case_id)
    append(
        conn,
        principal.actor(),
        "case.create",
        object_type="case",
        object_id=case_id,
        detail={"agencies": agencies, "signal_id": signal.id if signal else None},
    )
    return case_id


def change_status(
    conn: sqlite3.Connection, principal: Principal, case_id: str, data: StatusChange
) -> None:
    """Move a case along its lifecycle (422 for an illegal jump; closing has its own route)."""
    case_for_teamlead(conn, principal, case_id, closed_ok=True)
    (current,) = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    if data.status == "closed" and current != "closed":
        raise Unprocessable(
            "Sluit een dossier met een resultaat (uitkomst en toelichting) via "
            f"POST /api/v1/cases/{case_id}/close, niet via de status.",
            slug="close-with-result",
            errors=[FieldError(field="status", message="gebruik /close")],
        )
    check_transition(current, data.status)
    repo.set_case_status(conn, case_id, data.status)
    append(
        conn,
        principal.actor(),
        "case.status",
        object_type="case",
        object_id=case_id,
        detail={"from": current, "to": data.status},
    )
