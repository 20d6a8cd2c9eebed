"""Read models of field sync for the team lead's dashboard: devices, their reports, ops
received, photo states, open conflicts and rejected ops. Only reads; the caller decides
through the projection which cases, checklists and people these are asked about.

Every function runs a fixed number of queries whatever the number of ids.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import msgspec

from server.cases.scope import candidate_filter
from server.cases.visibility import Reader

_json = msgspec.json.Encoder()


def _ids(ids: list[str] | set[str]) -> str:
    return _json.encode(sorted(ids)).decode()


@dataclass(frozen=True)
class DeviceLine:
    """A device with its last sync and the latest state it reported."""

    id: str
    user_id: str
    user_name: str
    agency_id: str
    label: str
    last_seen_at: str
    revoked_at: str | None
    last_seq: int
    outbox: int | None
    photos_pending: int | None
    reported_at: str | None
    report_received_at: str | None


_DEVICE_SQL = (
    "SELECT d.id, d.user_id, u.name AS user_name, u.agency_id, d.label, d.last_seen_at,"
    " d.revoked_at, d.last_seq, s.outbox, s.photos_pending, s.reported_at,"
    " s.received_at AS report_received_at FROM devices d JOIN users u ON u.id = d.user_id"
    " LEFT JOIN device_states s ON s.device_id = d.id"
)


def _device(row: sqlite3.Row) -> DeviceLine:
    return DeviceLine(**{k: row[k] for k in row.keys()})  # noqa: SIM118


def devices_of_users(conn: sqlite3.Connection, user_ids: list[str]) -> dict[str, list[DeviceLine]]:
    """Active (not revoked) devices of these users, most recently seen first."""
    out: dict[str, list[DeviceLine]] = defaultdict(list)
    if not user_ids:
        return out
    for row in conn.execute(
        _DEVICE_SQL + " WHERE d.user_id IN (SELECT value FROM json_each(?))"
        " AND d.revoked_at IS NULL ORDER BY d.last_seen_at DESC",
        (_ids(user_ids),),
    ):
        out[row["user_id"]].append(_device(row))
    return out


def devices_of_agency(
    conn: sqlite3.Connection, agency_id: str | None, *, after: str | None, limit: int
) -> list[DeviceLine]:
    """Devices of an agency's users (every agency when ``agency_id`` is None), by user name
    and device id; ``after`` is the last device id of the previous page."""
    rows = conn.execute(
        _DEVICE_SQL + " WHERE (?1 IS NULL OR u.agency_id = ?1) AND (?2 IS NULL OR d.id > ?2)"
        " ORDER BY d.id LIMIT ?3",
        (agency_id, after, limit),
    ).fetchall()
    return [_device(r) for r in rows]


def device_line(conn: sqlite3.Connection, device_id: str) -> DeviceLine | None:
    """One device."""
    row = conn.execute(_DEVICE_SQL + " WHERE d.id = ?", (device_id,)).fetchone()
    return _device(row) if row is not None else None


def ops_received(
    conn: sqlite3.Connection, device_ids: list[str], checklist_ids: list[str]
) -> dict[tuple[str, str], tuple[int, str]]:
    """(device, checklist) → (ops received for that checklist, when the last one arrived)."""
    if not device_ids or not checklist_ids:
        return {}
    wanted = set(checklist_ids)
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for device_id, checklist_id, n, last in conn.execute(
        "SELECT device_id, checklist_id, COUNT(*),"
        " MAX(received_at) FROM ops WHERE device_id IN (SELECT value FROM json_each(?))"
        " GROUP BY 1, 2",
        (_ids(device_ids),),
    ):
        if checklist_id in wanted:
            out[(device_id, checklist_id)] = (n, last)
    return out


PHOTO_STATES = ("expected", "uploading", "verified", "rejected")


def photo_counts(
    conn: sqlite3.Connection, checklist_ids: list[str]
) -> dict[tuple[str, str | None], dict[str, int]]:
    """(checklist, device) → photos per state; ``received`` counts as ``uploading`` (the
    bytes are in, verification is running); withdrawn photos are not counted."""
    out: dict[tuple[str, str | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(PHOTO_STATES, 0)
    )
    if not checklist_ids:
        return out
    for checklist_id, device_id, state, n in conn.execute(
        "SELECT checklist_id, device_id, state, COUNT(*) FROM photos"
        " WHERE checklist_id IN (SELECT value FROM json_each(?)) AND withdrawn_at IS NULL"
        " GROUP BY 1, 2, 3",
        (_ids(checklist_ids),),
    ):
        key = "uploading" if state == "received" else state
        out[(checklist_id, device_id)][key] += n
    return out


@dataclass(frozen=True)
class ConflictLine:
    """An open conflict: where it is, never its values."""

    id: str
    case_id: str
    checklist_id: str
    item_key: str
    created_at: str


def open_conflicts_of(conn: sqlite3.Connection, reader: Reader) -> list[ConflictLine]:
    """Open conflicts in the reader's agency's checklists of the reader's candidate cases,
    newest first (the projection decides per checklist)."""
    where, params = candidate_filter(reader, "x.case_id")
    rows = conn.execute(
        "SELECT x.id, x.case_id, x.checklist_id, x.item_key, x.created_at FROM conflicts x"
        " JOIN checklists c ON c.id = x.checklist_id WHERE x.status = 'open'"
        f" AND c.agency_id = :cand_agency AND {where} ORDER BY x.id DESC",
        params,
    ).fetchall()
    return [ConflictLine(*r) for r in rows]


@dataclass(frozen=True)
class RejectedOpLine:
    """A rejected op from the field: who, which device, what kind, why (never its payload)."""

    op_id: str
    user_name: str
    device_label: str
    device_id: str | None
    kind: str
    reason: str
    title: str
    received_at: str


_problem = msgspec.json.Decoder(dict[str, Any])


def rejected_ops(
    conn: sqlite3.Connection, agency_id: str | None, limit: int
) -> list[RejectedOpLine]:
    """The latest rejected ops of an agency's users (every agency when None)."""
    rows = conn.execute(
        "SELECT o.op_id, u.name, COALESCE(d.label, ''), o.device_id, o.kind, o.result,"
        " o.received_at FROM ops o JOIN users u ON u.id = o.user_id"
        " LEFT JOIN devices d ON d.id = o.device_id"
        " WHERE o.status = 'rejected' AND (?1 IS NULL OR u.agency_id = ?1)"
        " ORDER BY o.received_at DESC, o.op_id DESC LIMIT ?2",
        (agency_id, limit),
    ).fetchall()
    out: list[RejectedOpLine] = []
    for op_id, name, label, device_id, kind, result, received_at in rows:
        try:
            problem = _problem.decode(result).get("problem") or {}
        except msgspec.DecodeError:
            problem = {}
        slug = str(problem.get("type", "")).rsplit("/", 1)[-1]
        out.append(
            RejectedOpLine(
                op_id=op_id,
                user_name=name,
                device_label=label,
                device_id=device_id,
                kind=kind,
                reason=slug,
                title=str(problem.get("title", "")),
                received_at=received_at,
            )
        )
    return out


def activity_mark(conn: sqlite3.Connection) -> tuple[Any, ...]:
    """Changes whenever something the dashboard shows may have changed (one cheap query)."""
    row = conn.execute(
        "SELECT (SELECT MAX(seq) FROM changes), (SELECT MAX(received_at) FROM device_states),"
        " (SELECT MAX(last_seen_at) FROM devices), (SELECT MAX(rowid) FROM ops),"
        " (SELECT COUNT(*) FROM devices WHERE revoked_at IS NOT NULL)"
    ).fetchone()
    return tuple(row)
