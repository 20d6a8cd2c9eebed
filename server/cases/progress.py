"""Automatic case progress: a planned case is inspected once every checklist is submitted."""

from __future__ import annotations

import sqlite3

from server.audit.log import SYSTEM, append
from server.cases import repository as repo
from server.db.feed import ChangeRecorder, record_change


def mark_inspected_when_done(
    conn: sqlite3.Connection, case_id: str, change: ChangeRecorder = record_change
) -> bool:
    """Move a ``planned`` case to ``inspected`` when no checklist of it is still open.

    Only from ``planned``: a case a team lead has moved on (or back) is left alone. The
    change is audited with the system as actor and ``automatic`` in its detail, which the
    case timeline shows. Returns True when the case moved.
    """
    row = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None or row[0] != "planned" or repo.unsubmitted_checklists(conn, case_id):
        return False
    repo.set_case_status(conn, case_id, "inspected", change)
    append(
        conn,
        SYSTEM,
        "case.status",
        object_type="case",
        object_id=case_id,
        detail={"from": "planned", "to": "inspected", "automatic": True},
    )
    return True
