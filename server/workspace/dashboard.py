"""The dashboard's content for one reader, composed from the cases and sync read models.

Which cases, checklists and conflicts appear is decided by the projection
(:mod:`server.cases.visibility`); this module only combines what the domains return.
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
    visible_scopes,
)
from server.cases.scope import reader_of
from server.cases.visibility import full_access
from server.lib.clock import parse_iso
from server.sync.monitor import (
    PHOTO_STATES,
    ConflictLine,
    DeviceLine,
    RejectedOpLine,
    devices_of_users,
    open_conflicts,
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
    scopes = visible_scopes(conn, reader)
    case_ids = sorted(scopes)
    today = now.date().isoformat()
    lines = inspections_from(conn, case_ids, today, INSPECTIONS_SHOWN)
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
    full = [
        checklist.checklist_id
        for scope in scopes.values()
        for checklist in scope.checklists
        if full_access(reader, scope, checklist)
    ]
    conflicts, total = open_conflicts(conn, full, LIST_LIMIT)
    refs = case_references(conn, sorted({c.case_id for c in conflicts}))
    agency = None if principal.has_role("admin") else principal.agency_id
    return Dashboard(
        counts=status_counts(conn, case_ids),
        inspections=inspections,
        conflicts=[(c, refs.get(c.case_id, "")) for c in conflicts],
        conflicts_total=total,
        duplicates=possible_duplicates(conn, case_ids, LIST_LIMIT),
        rejected=rejected_ops(conn, agency, LIST_LIMIT),
        generated_at=now,
    )
