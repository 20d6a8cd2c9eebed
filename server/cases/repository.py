"""SQL of cases, inspections and checklists: plain ``(conn, …)`` functions, no decisions.

Every function that changes state records its change-feed row in the same transaction and
stores the returned ``server_seq`` as the row's ``rev``. Callers (the team lead's REST
service, the field's ``create_case`` op, the demo) decide; these functions only write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from server.cases.scope import users_on_case
from server.cases.subject import Reason, Subject
from server.db.feed import ChangeRecorder, record_change
from server.lib.clock import now_iso

_json = msgspec.json.Encoder()


def insert_case(
    conn: sqlite3.Connection,
    *,
    case_id: str,
    reference: str,
    subject: Subject,
    reason: Reason,
    status: str,
    created_by: str,
    teamlead_id: str | None = None,
    signal_id: str | None = None,
    possible_duplicates: Iterable[str] = (),
    change: ChangeRecorder = record_change,
) -> int:
    """Insert a case row (subject already normalised); return its ``rev``.

    ``change`` records the change-feed rows (a push passes its buffered recorder).
    """
    rev = change(conn, "case", case_id, case_id=case_id)
    address = subject.address
    business = subject.business
    conn.execute(
        "INSERT INTO cases (id, reference, postcode, huisnummer, toevoeging, street, city,"
        " bag_id, business_name, kvk, vestigingsnummer, reason, status, teamlead_id,"
        " signal_id, possible_duplicates, created_by, created_at, rev)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
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
            _json.encode(reason).decode(),
            status,
            teamlead_id,
            signal_id,
            _json.encode(sorted(possible_duplicates)).decode(),
            created_by,
            now_iso(),
            rev,
        ),
    )
    return rev


def touch_case(
    conn: sqlite3.Connection, case_id: str, change: ChangeRecorder = record_change
) -> int:
    """Record a change of the case row itself (status, agencies, team lead); return ``rev``."""
    rev = change(conn, "case", case_id, case_id=case_id)
    conn.execute("UPDATE cases SET rev = ? WHERE id = ?", (rev, case_id))
    return rev


def set_case_status(
    conn: sqlite3.Connection,
    case_id: str,
    status: str,
    change: ChangeRecorder = record_change,
) -> int:
    """Set the status (``closed_at`` follows ``closed``); return the new ``rev``.

    Closing takes the case off every phone: each user on the case gets an ``evict`` row.
    """
    closed_at = now_iso() if status == "closed" else None
    conn.execute(
        "UPDATE cases SET status = ?, closed_at = ? WHERE id = ?", (status, closed_at, case_id)
    )
    rev = touch_case(conn, case_id, change)
    if status == "closed":
        for user_id in users_on_case(conn, case_id):
            change(conn, "evict", case_id, case_id=case_id, user_id=user_id)
    return rev


def unsubmitted_checklists(conn: sqlite3.Connection, case_id: str) -> int:
    """Checklists of the case's (not cancelled) inspections that are not submitted."""
    row = conn.execute(
        "SELECT COUNT(*) FROM checklists c JOIN inspections i ON i.id = c.inspection_id"
        " WHERE c.case_id = ? AND i.status != 'cancelled' AND c.status != 'submitted'",
        (case_id,),
    ).fetchone()
    return int(row[0])


def set_case_teamlead(conn: sqlite3.Connection, case_id: str, teamlead_id: str) -> int:
    """Hand the case to another team lead; return the new ``rev``."""
    conn.execute("UPDATE cases SET teamlead_id = ? WHERE id = ?", (teamlead_id, case_id))
    return touch_case(conn, case_id)


def set_case_result(conn: sqlite3.Connection, case_id: str, result: bytes) -> None:
    """Store the closing result (JSON); the caller closes the case in the same unit."""
    conn.execute("UPDATE cases SET result = ? WHERE id = ?", (result.decode(), case_id))


def case_agencies(conn: sqlite3.Connection, case_id: str) -> set[str]:
    """The participating agencies of a case."""
    rows = conn.execute("SELECT agency_id FROM case_agencies WHERE case_id = ?", (case_id,))
    return {r[0] for r in rows}


def add_case_agencies(conn: sqlite3.Connection, case_id: str, agencies: Iterable[str]) -> list[str]:
    """Add participating agencies; return those newly added (in order).

    Users the projection newly puts on the case (team leads of a newly added agency) get a
    ``grant`` row each so their next pull carries the case; the same rule as the evict
    fan-out (:func:`~server.cases.scope.users_on_case`), disabled users included.
    """
    existing = case_agencies(conn, case_id)
    added = [a for a in dict.fromkeys(agencies) if a not in existing]
    if not added:
        return added
    before = set(users_on_case(conn, case_id))
    conn.executemany(
        "INSERT INTO case_agencies (case_id, agency_id) VALUES (?, ?)",
        [(case_id, agency_id) for agency_id in added],
    )
    for user_id in users_on_case(conn, case_id):
        if user_id not in before:
            record_change(conn, "grant", case_id, case_id=case_id, user_id=user_id)
    return added


def insert_inspection(
    conn: sqlite3.Connection,
    *,
    inspection_id: str,
    case_id: str,
    scheduled_date: str,
    scheduled_time: str | None,
    created_by: str,
    inspectors: Iterable[str],
    status: str = "planned",
    performed_at: str | None = None,
    change: ChangeRecorder = record_change,
) -> int:
    """Insert an inspection with its inspectors (each gets a ``grant`` row); return ``rev``."""
    rev = change(conn, "inspection", inspection_id, case_id=case_id)
    conn.execute(
        "INSERT INTO inspections (id, case_id, scheduled_date, scheduled_time, performed_at,"
        " status, created_by, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            inspection_id,
            case_id,
            scheduled_date,
            scheduled_time,
            performed_at,
            status,
            created_by,
            now_iso(),
            rev,
        ),
    )
    for user_id in dict.fromkeys(inspectors):
        conn.execute(
            "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
            (inspection_id, user_id),
        )
        change(conn, "grant", case_id, case_id=case_id, user_id=user_id)
    return rev


def inspection_inspectors(conn: sqlite3.Connection, inspection_id: str) -> set[str]:
    """User ids assigned to an inspection."""
    rows = conn.execute(
        "SELECT user_id FROM inspection_inspectors WHERE inspection_id = ?", (inspection_id,)
    )
    return {r[0] for r in rows}


def replace_inspectors(
    conn: sqlite3.Connection, case_id: str, inspection_id: str, inspectors: Iterable[str]
) -> tuple[list[str], list[str], int]:
    """Set an inspection's inspectors; return ``(added, removed, rev)``.

    Only the rows and the inspection's change; which ``grant``/``evict`` rows follow is the
    caller's decision (see :func:`record_access_changes`).
    """
    wanted = list(dict.fromkeys(inspectors))
    current = inspection_inspectors(conn, inspection_id)
    added = [u for u in wanted if u not in current]
    removed = sorted(current - set(wanted))
    for user_id in removed:
        conn.execute(
            "DELETE FROM inspection_inspectors WHERE inspection_id = ? AND user_id = ?",
            (inspection_id, user_id),
        )
    for user_id in added:
        conn.execute(
            "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
            (inspection_id, user_id),
        )
    rev = record_change(conn, "inspection", inspection_id, case_id=case_id)
    conn.execute("UPDATE inspections SET rev = ? WHERE id = ?", (rev, inspection_id))
    return added, removed, rev


def record_access_changes(
    conn: sqlite3.Connection,
    case_id: str,
    *,
    grants: Iterable[str] = (),
    case_evictions: Iterable[str] = (),
    checklist_evictions: Iterable[tuple[str, str]] = (),
) -> None:
    """Write ``grant`` rows (per user), case ``evict`` rows (per user) and checklist ``evict``
    rows (per ``(user, checklist)``), addressed to those users."""
    for user_id in grants:
        record_change(conn, "grant", case_id, case_id=case_id, user_id=user_id)
    for user_id in case_evictions:
        record_change(conn, "evict", case_id, case_id=case_id, user_id=user_id)
    for user_id, checklist_id in checklist_evictions:
        record_change(
            conn,
            "evict",
            checklist_id,
            case_id=case_id,
            checklist_id=checklist_id,
            user_id=user_id,
        )


def insert_checklist(
    conn: sqlite3.Connection,
    *,
    checklist_id: str,
    inspection_id: str,
    case_id: str,
    agency_id: str,
    template_slug: str,
    template_version: int,
    change: ChangeRecorder = record_change,
) -> int:
    """Insert an (open) checklist owned by ``agency_id``; return its ``rev``."""
    rev = change(conn, "checklist", checklist_id, case_id=case_id, checklist_id=checklist_id)
    conn.execute(
        "INSERT INTO checklists (id, inspection_id, case_id, agency_id, template_slug,"
        " template_version, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            checklist_id,
            inspection_id,
            case_id,
            agency_id,
            template_slug,
            template_version,
            now_iso(),
            rev,
        ),
    )
    return rev


def insert_signal(
    conn: sqlite3.Connection,
    *,
    signal_id: str,
    source: str,
    description: str,
    subject: Subject,
    created_by: str | None,
    agency_id: str,
    created_by_client: str | None = None,
    client_ref: str | None = None,
) -> int:
    """Insert an open signal; return its ``rev``. No reporter identity is ever stored.

    The creator is a user, or (``created_by_client``) a partner API client with the signal's
    id in its own system (``client_ref``).
    """
    rev = record_change(conn, "signal", signal_id)
    conn.execute(
        "INSERT INTO signals (id, source, description, subject, status, created_by,"
        " created_by_client, client_ref, agency_id, created_at, rev)"
        " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)",
        (
            signal_id,
            source,
            description,
            _json.encode(subject).decode(),
            created_by,
            created_by_client,
            client_ref,
            agency_id,
            now_iso(),
            rev,
        ),
    )
    return rev


def set_signal_status(
    conn: sqlite3.Connection,
    signal_id: str,
    status: str,
    *,
    case_id: str | None = None,
    dismissed_reason: str | None = None,
) -> int:
    """Mark a signal triaged (into ``case_id``) or dismissed; return the new ``rev``."""
    rev = record_change(conn, "signal", signal_id)
    conn.execute(
        "UPDATE signals SET status = ?, case_id = COALESCE(?, case_id),"
        " dismissed_reason = COALESCE(?, dismissed_reason), rev = ? WHERE id = ?",
        (status, case_id, dismissed_reason, rev, signal_id),
    )
    return rev


def upsert_intervention(
    conn: sqlite3.Connection,
    *,
    intervention_id: str,
    case_id: str,
    agency_id: str,
    type: str,
    status: str,
    due_date: str | None,
    description: str,
    created_by: str,
    legal_basis: str = "",
    reinspection_date: str | None = None,
) -> int:
    """Insert or update an intervention; return its ``rev``."""
    rev = record_change(conn, "intervention", intervention_id, case_id=case_id)
    now = now_iso()
    conn.execute(
        "INSERT INTO interventions (id, case_id, agency_id, type, status, due_date, description,"
        " created_by, created_at, updated_at, rev, legal_basis, reinspection_date)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET type = excluded.type, status = excluded.status,"
        " due_date = excluded.due_date, description = excluded.description,"
        " legal_basis = excluded.legal_basis, reinspection_date = excluded.reinspection_date,"
        " updated_at = excluded.updated_at, rev = excluded.rev",
        (
            intervention_id,
            case_id,
            agency_id,
            type,
            status,
            due_date,
            description,
            created_by,
            now,
            now,
            rev,
            legal_basis,
            reinspection_date,
        ),
    )
    return rev


def set_inspection_status(
    conn: sqlite3.Connection, case_id: str, inspection_id: str, status: str
) -> int:
    """Set an inspection's status (``planned``, ``in_progress``, ``done``, ``cancelled``)."""
    rev = record_change(conn, "inspection", inspection_id, case_id=case_id)
    performed = now_iso() if status == "done" else None
    conn.execute(
        "UPDATE inspections SET status = ?, performed_at = COALESCE(?, performed_at), rev = ?"
        " WHERE id = ?",
        (status, performed, rev, inspection_id),
    )
    return rev
