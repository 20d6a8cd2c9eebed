"""Summary-level events derived from the change feed, per partner client.

Nothing is written for the partner API in the push path: every event here is computed from
the existing ``changes`` rows and the current state, for one reader (a client of one agency),
through the one projection (:mod:`server.cases.visibility`). A change the reader may not see
(a private item of another agency, a case its agency is not on) yields no event.

Mapping of change kinds:

=================  =========================================================================
``case``           ``case-created`` (the case's first change), ``case-closed`` (the change
                   that closed it), else ``case-updated``
``inspection``     ``case-updated``
``checklist``      ``checklist-submitted`` (the change that submitted it), else
                   ``case-updated`` (metadata: progress, status)
``answer``         ``case-updated`` when the reader may see the item
``photo``          ``case-updated`` when the reader may see the photo
``release``        ``findings-released``
``intervention``   ``intervention-changed``
others             no event (notes, comments and conflicts are not in the summary; grants,
                   evictions, templates and signals concern no partner)
=================  =========================================================================
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from server.cases.scope import load_case_scopes, template_sensitivities
from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    item_visible,
    on_case,
)

RELEVANT = ("case", "inspection", "checklist", "answer", "photo", "release", "intervention")


@dataclass(frozen=True, slots=True)
class Change:
    """One change-feed row."""

    seq: int
    kind: str
    entity_id: str
    case_id: str
    checklist_id: str | None
    at: str


@dataclass(frozen=True, slots=True)
class Event:
    """One summary-level event for one reader."""

    seq: int
    case_id: str
    type: str
    at: str


def read_changes(conn: sqlite3.Connection, after: int, limit: int) -> tuple[list[Change], int]:
    """The change rows among the next ``limit`` after ``after`` that can concern a case
    summary, and the position of the last row looked at."""
    rows = conn.execute(
        "SELECT seq, kind, entity_id, case_id, checklist_id, at FROM changes"
        " WHERE seq > ? ORDER BY seq LIMIT ?",
        (after, limit),
    ).fetchall()
    position = int(rows[-1][0]) if rows else after
    changes = [
        Change(r[0], r[1], r[2], r[3], r[4], r[5])
        for r in rows
        if r[3] is not None and r[1] in RELEVANT
    ]
    return changes, position


def last_seq(conn: sqlite3.Connection) -> int:
    """The newest change-feed position."""
    row = conn.execute("SELECT MAX(seq) FROM changes").fetchone()
    return int(row[0] or 0)


class _Context:
    """State loaded once per batch of changes (shared by every reader of the batch)."""

    def __init__(self, conn: sqlite3.Connection, changes: list[Change]) -> None:
        case_ids = sorted({c.case_id for c in changes})
        self.scopes: dict[str, CaseScope] = load_case_scopes(conn, case_ids)
        marks = ",".join("?" * len(case_ids))
        self.first: dict[str, int] = {}
        self.case_state: dict[str, tuple[str, int]] = {}
        if case_ids:
            self.first = dict(
                conn.execute(
                    f"SELECT case_id, MIN(seq) FROM changes WHERE case_id IN ({marks})"
                    " GROUP BY case_id",
                    case_ids,
                ).fetchall()
            )
            self.case_state = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    f"SELECT id, status, rev FROM cases WHERE id IN ({marks})", case_ids
                )
            }
        checklist_ids = sorted({c.checklist_id for c in changes if c.checklist_id})
        marks = ",".join("?" * len(checklist_ids))
        self.checklists: dict[str, tuple[str, int, str, int]] = {}
        if checklist_ids:
            self.checklists = {
                r[0]: (r[1], r[2], r[3], r[4])
                for r in conn.execute(
                    f"SELECT id, status, rev, template_slug, template_version FROM checklists"
                    f" WHERE id IN ({marks})",
                    checklist_ids,
                )
            }
        photo_ids = sorted({c.entity_id for c in changes if c.kind == "photo"})
        marks = ",".join("?" * len(photo_ids))
        self.photo_items: dict[str, str | None] = {}
        if photo_ids:
            self.photo_items = dict(
                conn.execute(
                    f"SELECT id, item_key FROM photos WHERE id IN ({marks})", photo_ids
                ).fetchall()
            )
        self.conn = conn
        self._sensitivities: dict[tuple[str, int], dict[str, str]] = {}

    def sensitivities(self, checklist_id: str) -> dict[str, str]:
        _, _, slug, version = self.checklists[checklist_id]
        key = (slug, version)
        if key not in self._sensitivities:
            self._sensitivities[key] = template_sensitivities(self.conn, slug, version)
        return self._sensitivities[key]

    def checklist_scope(self, case: CaseScope, checklist_id: str) -> ChecklistScope | None:
        return next((c for c in case.checklists if c.checklist_id == checklist_id), None)


def _event_type(ctx: _Context, reader: Reader, change: Change) -> str | None:
    case = ctx.scopes.get(change.case_id)
    if case is None or not on_case(reader, case):
        return None
    kind = change.kind
    if kind == "case":
        if ctx.first.get(change.case_id) == change.seq:
            return "case-created"
        status, rev = ctx.case_state.get(change.case_id, ("", 0))
        return "case-closed" if status == "closed" and rev == change.seq else "case-updated"
    if kind == "inspection":
        return "case-updated"
    if kind == "release":
        return "findings-released"
    if kind == "intervention":
        return "intervention-changed"
    checklist_id = change.checklist_id
    if checklist_id is None or checklist_id not in ctx.checklists:
        return None
    if kind == "checklist":
        status, rev, _, _ = ctx.checklists[checklist_id]
        return (
            "checklist-submitted" if status == "submitted" and rev == change.seq else "case-updated"
        )
    cl_scope = ctx.checklist_scope(case, checklist_id)
    if cl_scope is None:
        return None
    sensitivities = ctx.sensitivities(checklist_id)
    if kind == "answer":
        item_key = change.entity_id.partition("/")[2]
        visible = item_visible(
            reader, case, cl_scope, item_key, sensitivities.get(item_key, "private")
        )
        return "case-updated" if visible else None
    if kind == "photo":
        item = ctx.photo_items.get(change.entity_id)
        visible = attached_visible(reader, case, cl_scope, item, sensitivities)
        return "case-updated" if visible else None
    return None


def events_for(
    conn: sqlite3.Connection, changes: list[Change], readers: list[Reader]
) -> list[list[Event]]:
    """The events each reader may see for ``changes`` (one list per reader, in feed order)."""
    ctx = _Context(conn, changes)
    out: list[list[Event]] = []
    for reader in readers:
        events: list[Event] = []
        for change in changes:
            kind = _event_type(ctx, reader, change)
            if kind is not None:
                events.append(Event(change.seq, change.case_id, kind, change.at))
        out.append(events)
    return out


@dataclass(frozen=True, slots=True)
class Coalesced:
    """All events of one case within a page: their types in first-seen order."""

    case_id: str
    types: tuple[str, ...]
    seq: int
    at: str


def coalesce(events: list[Event]) -> list[Coalesced]:
    """One entry per case, ordered by the case's last event (a reader that processes the
    page in order and re-reads each summary ends up current)."""
    by_case: dict[str, Coalesced] = {}
    for e in events:
        prev = by_case.pop(e.case_id, None)
        types = prev.types if prev is not None else ()
        if e.type not in types:
            types = (*types, e.type)
        by_case[e.case_id] = Coalesced(e.case_id, types, e.seq, e.at)
    return sorted(by_case.values(), key=lambda c: c.seq)
