"""A small world for the browser tests: two inspectors and a team lead of one agency, and a
case with an inspection planned for today whose checklist they share; the police take part
with their own checklist (an assigned inspector and a team lead)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from server.admin.common import connect, write
from server.cases.repository import (
    add_case_agencies,
    insert_case,
    insert_checklist,
    insert_inspection,
)
from server.cases.subject import Address, Business, Reason, Subject
from server.checklists.library import load_dir, publish
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import insert_user, seed_agencies

AGENCY = "gemeente-groningen"
TEMPLATE = ("controle-algemeen", 1)


@dataclass(frozen=True, slots=True)
class World:
    """Ids of the seeded records."""

    case_id: str
    inspection_id: str
    checklist_id: str
    inspectors: tuple[str, ...]
    police_checklist_id: str


def seed(settings: Settings) -> World:
    """Create the database (migrated, templates published) and the world; return its ids."""
    conn = connect(settings)
    try:
        return write(conn, _world)  # type: ignore[no-any-return]
    finally:
        conn.close()


def _world(conn: sqlite3.Connection) -> World:
    publish(conn, load_dir())
    seed_agencies(conn)
    lead = insert_user(conn, "lead", AGENCY, ["teamlead"], "Tessa Leiding")
    insp_a = insert_user(conn, "insp-a", AGENCY, ["inspector"], "Anna Veld")
    insp_b = insert_user(conn, "insp-b", AGENCY, ["inspector"], "Bram Veld")
    insp_p = insert_user(conn, "insp-p", "politie", ["inspector"], "Piet Politie")
    insert_user(conn, "lead-p", "politie", ["teamlead"], "Lotte Politie")
    case_id, inspection_id, checklist_id = uuid7(), uuid7(), uuid7()
    subject = Subject(
        address=Address(
            postcode="9711LM", huisnummer=12, toevoeging="A", street="Herestraat", city="Groningen"
        ),
        business=Business(name="Shishalounge De Kroon", kvk="12345678"),
    )
    reason = Reason(category="signaal", explanation="Meldingen over overlast in de nacht.")
    insert_case(
        conn,
        case_id=case_id,
        reference="RIT-2026-0001",
        subject=subject,
        reason=reason,
        status="planned",
        created_by=lead,
        teamlead_id=lead,
    )
    add_case_agencies(conn, case_id, [AGENCY, "politie"])
    insert_inspection(
        conn,
        inspection_id=inspection_id,
        case_id=case_id,
        scheduled_date=date.today().isoformat(),
        scheduled_time="10:00",
        created_by=lead,
        inspectors=[insp_a, insp_b, insp_p],
    )
    insert_checklist(
        conn,
        checklist_id=checklist_id,
        inspection_id=inspection_id,
        case_id=case_id,
        agency_id=AGENCY,
        template_slug=TEMPLATE[0],
        template_version=TEMPLATE[1],
    )
    police_checklist_id = uuid7()
    insert_checklist(
        conn,
        checklist_id=police_checklist_id,
        inspection_id=inspection_id,
        case_id=case_id,
        agency_id="politie",
        template_slug="politie-ondermijning",
        template_version=1,
    )
    return World(case_id, inspection_id, checklist_id, (insp_a, insp_b), police_checklist_id)
