"""Hand a case over to another team lead, and close it with a result.

Only the case's team lead does either (:func:`server.cases.visibility.is_case_lead`).
Closing is final: the phones drop the case. Closing while an intervention of any agency is
still ``voorgenomen``, ``opgelegd`` or ``lopend`` needs an explicit confirmation, which is
recorded with the result.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Literal

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases import lookups
from server.cases import repository as repo
from server.cases.lifecycle import check_transition
from server.cases.scope import load_case_scope, reader_of
from server.cases.service import case_for_teamlead
from server.cases.visibility import Reader, is_case_lead, may_take_lead, on_case
from server.lib.errors import Conflict, FieldError, Forbidden, Unprocessable

OPEN_INTERVENTION = ("voorgenomen", "opgelegd", "lopend")
OutcomeCategory = Literal[
    "geen-overtredingen",
    "overtredingen-afgehandeld",
    "vervolg-bij-organisaties",
    "niet-uitgevoerd",
    "dubbel-dossier",
    "overig",
]
OUTCOME_LABELS: dict[str, str] = {
    "geen-overtredingen": "Geen overtredingen vastgesteld",
    "overtredingen-afgehandeld": "Overtredingen vastgesteld en afgehandeld",
    "vervolg-bij-organisaties": "Vervolg ligt bij de organisaties zelf",
    "niet-uitgevoerd": "Controle niet uitgevoerd",
    "dubbel-dossier": "Dubbel dossier",
    "overig": "Overig",
}
ResultText = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class HandOver(msgspec.Struct, forbid_unknown_fields=True):
    """The team lead who takes the case over, and optionally why."""

    teamlead_id: Annotated[str, msgspec.Meta(max_length=64)]
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class CloseCase(msgspec.Struct, forbid_unknown_fields=True):
    """The result of the case; ``confirm_open_interventions`` when measures are still open."""

    category: OutcomeCategory
    text: ResultText
    confirm_open_interventions: bool = False


class CaseResult(msgspec.Struct):
    """What is stored with a closed case."""

    category: str
    text: str
    open_interventions: list[str]
    confirmed: bool
    closed_by: str


def hand_over(conn: sqlite3.Connection, principal: Principal, case_id: str, data: HandOver) -> None:
    """Make another active team lead the case's team lead (audited)."""
    before = case_for_teamlead(conn, principal, case_id)
    reader = reader_of(principal)
    if not may_take_lead(reader, before):
        raise Forbidden(
            "Alleen de teamleider van dit dossier kan het overdragen.", slug="not-case-teamlead"
        )
    if before.closed:
        raise Conflict(
            "Dit dossier is gesloten en kan niet meer worden overgedragen.", slug="case-closed"
        )
    user = lookups.load_users(conn, [data.teamlead_id]).get(data.teamlead_id)
    if user is None or user["disabled_at"] or "teamlead" not in msgspec.json.decode(user["roles"]):
        raise Unprocessable(
            "Kies een actieve gebruiker met de rol teamleider om het dossier aan over te dragen.",
            slug="not-a-teamlead",
            errors=[FieldError(field="teamlead_id", message="geen actieve teamleider")],
        )
    if data.teamlead_id == before.teamlead_id:
        raise Unprocessable(
            f"{user['name']} is al de teamleider van dit dossier; kies een andere teamleider.",
            slug="same-teamlead",
            errors=[FieldError(field="teamlead_id", message="is al teamleider")],
        )
    repo.add_case_agencies(conn, case_id, [user["agency_id"]])
    repo.set_case_teamlead(conn, case_id, data.teamlead_id)
    # A team lead of a newly participating agency got a grant from add_case_agencies; the
    # previous team lead keeps the case only while still on it another way.
    after = load_case_scope(conn, case_id) or before
    evictions: list[str] = []
    if before.teamlead_id is not None:
        old = lookups.load_users(conn, [before.teamlead_id]).get(before.teamlead_id)
        if old is not None and not on_case(_reader(old), after):
            evictions.append(before.teamlead_id)
    repo.record_access_changes(conn, case_id, case_evictions=evictions)
    append(
        conn,
        principal.actor(),
        "case.handover",
        object_type="case",
        object_id=case_id,
        detail={"from": before.teamlead_id, "to": data.teamlead_id, "reason": data.reason},
    )


def _reader(user: sqlite3.Row) -> Reader:
    return Reader(
        kind="user",
        agency_id=user["agency_id"],
        user_id=user["id"],
        roles=frozenset(msgspec.json.decode(user["roles"])),
    )


def open_interventions(conn: sqlite3.Connection, case_id: str) -> list[sqlite3.Row]:
    """Interventions of any agency still voorgenomen, opgelegd or lopend."""
    return conn.execute(
        "SELECT id, agency_id, type, status FROM interventions WHERE case_id = ?"
        " AND status IN ('voorgenomen', 'opgelegd', 'lopend') ORDER BY created_at, id",
        (case_id,),
    ).fetchall()


def close_case(
    conn: sqlite3.Connection, principal: Principal, case_id: str, data: CloseCase
) -> CaseResult:
    """Close the case with its result; final. Every phone drops it on its next pull."""
    scope = case_for_teamlead(conn, principal, case_id, closed_ok=True)
    if not is_case_lead(reader_of(principal), scope):
        raise Forbidden(
            "Alleen de teamleider van dit dossier kan het sluiten.", slug="not-case-teamlead"
        )
    (current,) = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    check_transition(current, "closed")
    still_open = open_interventions(conn, case_id)
    if still_open and not data.confirm_open_interventions:
        listed = "; ".join(f"{r['type']} ({r['agency_id']}, {r['status']})" for r in still_open)
        raise Conflict(
            f"Er lopen nog {len(still_open)} interventie(s): {listed}. Bevestig dat u het "
            "dossier toch wilt sluiten (confirm_open_interventions), of rond ze eerst af.",
            slug="open-interventions",
            errors=[FieldError(field="confirm_open_interventions", message="bevestiging nodig")],
        )
    result = CaseResult(
        category=data.category,
        text=data.text,
        open_interventions=[r["id"] for r in still_open],
        confirmed=bool(still_open),
        closed_by=principal.user_id,
    )
    repo.set_case_result(conn, case_id, msgspec.json.encode(result))
    repo.set_case_status(conn, case_id, "closed")
    append(
        conn,
        principal.actor(),
        "case.close",
        object_type="case",
        object_id=case_id,
        detail={
            "from": current,
            "category": data.category,
            "open_interventions": result.open_interventions,
            "confirmed": result.confirmed,
        },
    )
    return result
