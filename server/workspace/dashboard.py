"""The dashboard's content for one reader, composed from the cases and sync read models.

Which cases, checklists and conflicts appear is decided by the projection
(:mod:`server.cases.visibility`): every inspection, conflict and duplicate shown passes
``on_case`` / ``full_access`` with its case's scope. The status counts are taken over
:func:`~server.cases.scope.candidate_filter`, which for a user selects exactly the cases
``on_case`` admits (assigned, the case's team lead, or a team lead of a participating
agency), so they count only what the reader may see without loading thousands of scopes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from server.auth.principal import Principal
from server.cases.overview import (
    DuplicateLine,
    InspectionLine,
    case_references,
    inspections_from,
    possible_duplicates,
    status_counts,
)
from server.cases.scope import load_case_scopes, reader_of
from server.cases.visibility import full_access, on_case
from server.lib.clock import parse_iso
from server.sync.monitor import (
    PHOTO_STATES,
    ConflictLine,
    DeviceLine,
    RejectedOpLine,
    devices_of_users,
    open_conflicts_of,
    ops_received,
    photo_counts,
    rejected_ops,
)

STALE_AFTER = timedelta(minutes=15)
INSPECTIONS_SHOWN = 25
LIST_LIMIT = 20


@dataclass
class DeviceStatus:
    """One phone of an inspector, for one inspection."""

    device: DeviceLine
    ops: int
    last_op_at: str | None
    photos: dict[str, int]
    report_age_minutes: int | None
    stale: bool

    @property
    def unsent(self) -> bool:
        """The phone's last report says it still holds work the server does not have."""
        return bool(self.device.outbox) or bool(self.device.photos_pending)


@dataclass
class InspectorStatus:
    """An inspector assigned to an inspection, with their phones."""

    user_id: str
    name: str
    devices: list[DeviceStatus] = field(default_factory=list)


@dataclass
class InspectionStatus:
    """An inspection with the sync state of each inspector's phones."""

    line: InspectionLine
    inspectors: list[InspectorStatus]
    is_today: bool


@dataclass
class Dashboard:
    """Everything the Overzicht shows for one reader."""

    counts: dict[str, int]
    inspections: list[InspectionStatus]
    conflicts: list[tuple[ConflictLine, str]]  # (conflict, case reference)
    conflicts_total: int
    duplicates: list[DuplicateLine]
    rejected: list[RejectedOpLine]
    generated_at: datetime


def build_dashboard(conn: sqlite3.Connection, principal: Principal, now: datetime) -> Dashboard:
    """The reader's dashboard at ``now`` (a fixed number of queries whatever the data size)."""
    reader = reader_of(principal)
    # Lists are drawn from the cases the reader might be on (for a user exactly those of
    # ``on_case``); every row shown is checked against the projection with its own scope
    # below, as the case list does, so the dashboard never loads thousands of scopes.
    today = now.date().isoformat()
    lines = inspections_from(conn, reader, today, INSPECTIONS_SHOWN * 2)
    found = open_conflicts_of(conn, reader)
    duplicates = possible_duplicates(conn, reader, LIST_LIMIT)
    scopes = load_case_scopes(
        conn,
        sorted(
            {line.case_id for line in lines}
            | {c.case_id for c in found}
            | {d.case_id for d in duplicates}
            | {other for d in duplicates for other, _ in d.duplicates}
        ),
    )

    def visible(case_id: str) -> bool:
        scope = scopes.get(case_id)
        return scope is not None and on_case(reader, scope)

    lines = [line for line in lines if visible(line.case_id)][:INSPECTIONS_SHOWN]
    user_ids = sorted({uid for line in lines for uid, _ in line.inspectors})
    devices = devices_of_users(conn, user_ids)
    checklist_ids = [cid for line in lines for cid, _ in line.checklists]
    device_ids = [d.id for ds in devices.values() for d in ds]
    ops = ops_received(conn, device_ids, checklist_ids)
    photos = photo_counts(conn, checklist_ids)
    inspections: list[InspectionStatus] = []
    for line in lines:
        own = [cid for cid, _ in line.checklists]
        inspectors: list[InspectorStatus] = []
        for uid, name in line.inspectors:
            status = InspectorStatus(user_id=uid, name=name)
            for device in devices.get(uid, []):
                count, last = 0, None
                totals = dict.fromkeys(PHOTO_STATES, 0)
                for cid in own:
                    n, at = ops.get((device.id, cid), (0, None))
                    count += n
                    if at is not None and (last is None or at > last):
                        last = at
                    for state, k in photos.get((cid, device.id), {}).items():
                        totals[state] += k
                age = None
                if device.report_received_at is not None:
                    age = int((now - parse_iso(device.report_received_at)).total_seconds() // 60)
                status.devices.append(
                    DeviceStatus(
                        device=device,
                        ops=count,
                        last_op_at=last,
                        photos=totals,
                        report_age_minutes=age,
                        stale=age is None or age >= STALE_AFTER.total_seconds() // 60,
                    )
                )
            inspectors.append(status)
        inspections.append(
            InspectionStatus(
                line=line, inspectors=inspectors, is_today=line.scheduled_date == today
            )
        )
    # Conflicts in X's checklists are seen by X's team leads (full access), no one else.
    conflicts = [
        c
        for c in found
        if visible(c.case_id)
        and any(
            cl.checklist_id == c.checklist_id and full_access(reader, scopes[c.case_id], cl)
            for cl in scopes[c.case_id].checklists
        )
    ]
    refs = case_references(conn, sorted({c.case_id for c in conflicts[:LIST_LIMIT]}))
    agency = None if principal.has_role("admin") else principal.agency_id
    return Dashboard(
        counts=status_counts(conn, reader),
        inspections=inspections,
        conflicts=[(c, refs.get(c.case_id, "")) for c in conflicts[:LIST_LIMIT]],
        conflicts_total=len(conflicts),
        duplicates=[
            DuplicateLine(
                case_id=d.case_id,
                reference=d.reference,
                subject=d.subject,
                duplicates=tuple((o, ref) for o, ref in d.duplicates if visible(o)),
            )
            for d in duplicates
            if visible(d.case_id) and any(visible(o) for o, _ in d.duplicates)
        ],
        rejected=rejected_ops(conn, agency, LIST_LIMIT),
        generated_at=now,
    )
