"""The case timeline: everything that happened to a case, as one reader may see it.

Sources, each read with one query: the op log (device ops and team-lead server ops on the
case's checklists), the audit events of the case, its inspections and interventions (status
changes, plans, hand-over, closing, duplicate links), recorded conflicts and withdrawn
photos. Every entry names people and devices, never ids. What an entry may show is decided
by :mod:`server.cases.visibility`: an answer, note or photo of an item the reader may not
see is left out entirely; comments, returns' texts, conflicts and rejected ops are for the
owning agency only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from server.cases.scope import load_case_scope
from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    full_access,
    item_visible,
    on_case,
)
from server.checklists.library import get_template
from server.checklists.model import Item

AUDITED = (
    "case.create",
    "case.status",
    "case.handover",
    "case.close",
    "case.link_duplicate",
    "case.unlink_duplicate",
    "inspection.plan",
    "inspection.reassign",
    "intervention.create",
    "intervention.update",
)


@dataclass(slots=True)
class Entry:
    """One event of the timeline."""

    at: str  # server time (UTC, ISO 8601)
    kind: str  # op kind or audit action
    actor: str | None  # a person's name; None for the system
    agency_id: str | None
    device: str | None  # the device's label, for field ops
    client_time: str | None = None
    checklist_agency: str | None = None
    checklist_id: str | None = None
    item_key: str | None = None
    item_label: str | None = None
    value: Any = None
    has_value: bool = False
    text: str | None = None
    status: str = "applied"  # applied, conflict, rejected
    automatic: bool = False
    detail: dict[str, Any] | None = None


@dataclass(slots=True)
class _Checklists:
    """Checklist scopes, owners and template items of one case, loaded once."""

    scope: CaseScope
    by_id: dict[str, ChecklistScope]
    items: dict[str, dict[str, Item]]
    sensitivities: dict[str, dict[str, str]]


def _load_checklists(conn: sqlite3.Connection, scope: CaseScope) -> _Checklists:
    items: dict[str, dict[str, Item]] = {}
    sens: dict[str, dict[str, str]] = {}
    cache: dict[tuple[str, int], dict[str, Item]] = {}
    for row in conn.execute(
        "SELECT id, template_slug, template_version FROM checklists WHERE case_id = ?",
        (scope.case_id,),
    ):
        key = (row[1], row[2])
        if key not in cache:
            template = get_template(conn, row[1], row[2])
            cache[key] = template.item_map() if template is not None else {}
        items[row[0]] = cache[key]
        sens[row[0]] = {k: i.sensitivity for k, i in cache[key].items()}
    return _Checklists(scope, {c.checklist_id: c for c in scope.checklists}, items, sens)


def _op_entry(reader: Reader, cls: _Checklists, row: sqlite3.Row) -> Entry | None:
    """An op as the reader may see it, or None when it must not be shown at all."""
    try:
        payload: dict[str, Any] = msgspec.json.decode(row["payload"])
    except msgspec.DecodeError:
        return None
    checklist = cls.by_id.get(str(payload.get("checklist_id")))
    if checklist is None:
        return None
    scope = cls.scope
    full = full_access(reader, scope, checklist)
    kind = row["kind"]
    entry = Entry(
        at=row["received_at"],
        kind=kind,
        actor=row["user_name"],
        agency_id=row["user_agency"],
        device=row["device_label"],
        client_time=row["client_time"],
        checklist_agency=checklist.agency_id,
        checklist_id=checklist.checklist_id,
        status=row["status"],
    )
    if row["status"] == "rejected":
        if not full:
            return None
        problem = msgspec.json.decode(row["result"]).get("problem") or {}
        entry.text = str(problem.get("detail") or problem.get("title") or "")
        return entry
    items = cls.items.get(checklist.checklist_id, {})
    sens = cls.sensitivities.get(checklist.checklist_id, {})
    key = payload.get("item_key")
    item_key = key if isinstance(key, str) else None
    if item_key is not None:
        entry.item_key = item_key
        entry.item_label = items[item_key].label if item_key in items else item_key
    if kind in ("set_answer", "amend_answer"):
        if item_key is None or not item_visible(
            reader, scope, checklist, item_key, sens.get(item_key, "private")
        ):
            return None
        entry.value, entry.has_value = payload.get("value"), True
        entry.text = payload.get("reason") if kind == "amend_answer" else None
        return entry
    if kind in ("add_note", "attach_photo"):
        if not attached_visible(reader, scope, checklist, item_key, sens):
            return None
        entry.text = payload.get("text") if kind == "add_note" else None
        return entry
    if kind in ("submit_checklist", "create_case"):
        return entry
    if kind == "release_items":
        keys = [k for k in payload.get("item_keys", []) if isinstance(k, str)]
        entry.detail = {"items": [items[k].label if k in items else k for k in keys]}
        entry.text = payload.get("basis")
        return entry
    if kind == "return_checklist":
        entry.text = payload.get("text") if full else None
        return entry
    if kind in ("add_comment", "resolve_conflict"):
        if not full:
            return None
        entry.text = payload.get("text") or payload.get("reason")
        if kind == "resolve_conflict":
            entry.value, entry.has_value = payload.get("value"), True
        return entry
    return None


def _ops(conn: sqlite3.Connection, reader: Reader, cls: _Checklists) -> list[Entry]:
    rows = conn.execute(
        "SELECT o.kind, o.payload, o.status, o.result, o.client_time, o.received_at,"
        " u.name AS user_name, u.agency_id AS user_agency, d.label AS device_label"
        " FROM ops o JOIN users u ON u.id = o.user_id LEFT JOIN devices d ON d.id = o.device_id"
        " WHERE o.checklist_id IN (SELECT value FROM json_each(?))",
        (msgspec.json.encode(list(cls.by_id)).decode(),),
    ).fetchall()
    return [e for e in (_op_entry(reader, cls, r) for r in rows) if e is not None]


def _audited(conn: sqlite3.Connection, case_id: str) -> list[Entry]:
    marks = ",".join("?" * len(AUDITED))
    rows = conn.execute(
        "SELECT a.at, a.action, a.actor_type, a.detail, u.name, u.agency_id, d.label"
        " FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id"
        " LEFT JOIN devices d ON d.id = a.device_id"
        f" WHERE a.action IN ({marks}) AND a.result = 'ok' AND a.object_id IN ("
        " SELECT ? UNION ALL SELECT id FROM inspections WHERE case_id = ?"
        " UNION ALL SELECT id FROM interventions WHERE case_id = ?)",
        (*AUDITED, case_id, case_id, case_id),
    ).fetchall()
    out: list[Entry] = []
    for r in rows:
        detail: dict[str, Any] = msgspec.json.decode(r[3])
        if r[1] in ("case.link_duplicate", "case.unlink_duplicate"):
            # The other case may be one the reader is not on: say only which way it points.
            detail = {"duplicate": detail.get("case_id") == case_id}
        out.append(
            Entry(
                at=r[0],
                kind=r[1],
                actor=r[4] if r[2] == "user" else None,
                agency_id=r[5],
                device=None,
                automatic=r[2] == "system" or bool(detail.get("automatic")),
                detail=detail,
            )
        )
    return out


def _conflicts(conn: sqlite3.Connection, reader: Reader, cls: _Checklists) -> list[Entry]:
    out: list[Entry] = []
    for r in conn.execute(
        "SELECT checklist_id, item_key, created_at, candidates FROM conflicts WHERE case_id = ?",
        (cls.scope.case_id,),
    ):
        checklist = cls.by_id.get(r[0])
        if checklist is None or not full_access(reader, cls.scope, checklist):
            continue
        items = cls.items.get(r[0], {})
        out.append(
            Entry(
                at=r[2],
                kind="conflict",
                actor=None,
                agency_id=None,
                device=None,
                checklist_agency=checklist.agency_id,
                item_key=r[1],
                item_label=items[r[1]].label if r[1] in items else r[1],
                detail={"candidates": len(msgspec.json.decode(r[3]))},
                automatic=True,
            )
        )
    return out


def _withdrawals(conn: sqlite3.Connection, reader: Reader, cls: _Checklists) -> list[Entry]:
    out: list[Entry] = []
    for r in conn.execute(
        "SELECT p.checklist_id, p.item_key, p.withdrawn_at, p.withdraw_reason, u.name,"
        " u.agency_id FROM photos p JOIN checklists c ON c.id = p.checklist_id"
        " JOIN users u ON u.id = p.author_id"
        " WHERE c.case_id = ? AND p.withdrawn_at IS NOT NULL",
        (cls.scope.case_id,),
    ):
        checklist = cls.by_id.get(r[0])
        sens = cls.sensitivities.get(r[0], {})
        if checklist is None or not attached_visible(reader, cls.scope, checklist, r[1], sens):
            continue
        items = cls.items.get(r[0], {})
        out.append(
            Entry(
                at=r[2],
                kind="withdraw_photo",
                actor=r[4],
                agency_id=r[5],
                device=None,
                checklist_agency=checklist.agency_id,
                item_key=r[1],
                item_label=(items[r[1]].label if r[1] in items else r[1]) if r[1] else None,
                text=r[3],
            )
        )
    return out


def case_timeline(conn: sqlite3.Connection, reader: Reader, case_id: str) -> list[Entry] | None:
    """Every visible event of the case, newest first; None when the reader is not on it."""
    scope = load_case_scope(conn, case_id)
    if scope is None or not on_case(reader, scope):
        return None
    cls = _load_checklists(conn, scope)
    entries = [
        *_ops(conn, reader, cls),
        *_audited(conn, case_id),
        *_conflicts(conn, reader, cls),
        *_withdrawals(conn, reader, cls),
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
