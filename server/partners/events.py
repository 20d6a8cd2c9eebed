"""Summary-level events derived from the change feed, per partner client.

Nothing is written for the partner API in the push path: every event here is computed from
the existing ``changes`` rows and the current state, for one reader (a client of one agency),
through the one projection (:mod:`server.cases.visibility`). A change the reader may not see
(a private item of another agency, a case its agency is not on) yields no event.

The decision is set-based: one SQL statement per page and agency maps every feed row of the
page to its event (or none), with the projection's partner rows as SQL conditions
(``partner_*_sql`` in :mod:`server.cases.visibility`). Nothing is decided per row in Python.

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

When an agency stops taking part in a case, its clients get one ``case-access-withdrawn``
event for it (:func:`departures`, from ``case_departures``, which a trigger fills whenever a
``case_agencies`` row goes): no content, only the case id, so the partner drops its copy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from server.cases.scope import SHAREABLE_ITEMS_CTE, shareable_sql
from server.cases.visibility import (
    PARTNER_AGENCY,
    Reader,
    partner_attached_visible_sql,
    partner_item_visible_sql,
    partner_on_case_sql,
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


def page_end(conn: sqlite3.Connection, after: int, limit: int) -> int:
    """The position of the last of the next ``limit`` feed rows after ``after`` (``after``
    itself when there are none)."""
    row = conn.execute(
        "SELECT MAX(seq) FROM (SELECT seq FROM changes WHERE seq > ? ORDER BY seq LIMIT ?)",
        (after, limit),
    ).fetchone()
    return int(row[0]) if row[0] is not None else after


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


_ITEM_KEY = (
    "CASE WHEN instr(ch.entity_id, '/') > 0"
    " THEN substr(ch.entity_id, instr(ch.entity_id, '/') + 1) ELSE '' END"
)
_KINDS = ", ".join(f"'{k}'" for k in RELEVANT)

_EVENTS_BODY = f"""
SELECT ch.seq AS seq, ch.case_id AS case_id,
  CASE ch.kind
    WHEN 'case' THEN CASE
      WHEN ch.seq = (SELECT MIN(f.seq) FROM changes f WHERE f.case_id = ch.case_id)
        THEN 'case-created'
      WHEN EXISTS (SELECT 1 FROM cases cs
        WHERE cs.id = ch.case_id AND cs.status = 'closed' AND cs.rev = ch.seq) THEN 'case-closed'
      ELSE 'case-updated' END
    WHEN 'release' THEN 'findings-released'
    WHEN 'intervention' THEN 'intervention-changed'
    WHEN 'checklist' THEN CASE
      WHEN cl.status = 'submitted' AND cl.rev = ch.seq THEN 'checklist-submitted'
      ELSE 'case-updated' END
    ELSE 'case-updated'
  END AS type,
  ch.at AS at
FROM changes ch
LEFT JOIN checklists cl ON cl.id = ch.checklist_id AND cl.case_id = ch.case_id
LEFT JOIN photos ph ON ch.kind = 'photo' AND ph.id = ch.entity_id
WHERE ch.seq > :after AND ch.seq <= :upto
  AND ch.kind IN ({_KINDS})
  AND {partner_on_case_sql("ch.case_id")}
  AND (ch.kind NOT IN ('checklist', 'answer', 'photo') OR cl.id IS NOT NULL)
  AND (ch.kind <> 'answer' OR {
    partner_item_visible_sql("cl", _ITEM_KEY, shareable_sql("cl", _ITEM_KEY))
})
  AND (ch.kind <> 'photo' OR {
    partner_attached_visible_sql("cl", "ph.item_key", shareable_sql("cl", "ph.item_key"))
})
"""

EVENTS_SQL = f"WITH {SHAREABLE_ITEMS_CTE}{_EVENTS_BODY}ORDER BY ch.seq\n"
"""Every feed row in (``:after``, ``:upto``] a partner client of ``:reader_agency`` may see,
mapped to its event type (the table above), in feed order."""


ENTRIES_SQL = f"""
WITH {SHAREABLE_ITEMS_CTE}
SELECT g.case_id, g.type, g.first, g.last, (SELECT at FROM changes WHERE seq = g.last)
FROM (SELECT e.case_id, e.type, MIN(e.seq) AS first, MAX(e.seq) AS last
  FROM ({_EVENTS_BODY}) AS e GROUP BY e.case_id, e.type) AS g
"""
"""The rows of :data:`EVENTS_SQL` grouped per case and event type: the first and the last
feed position of each (a handful of rows per case instead of one per feed row)."""


def agency_events(conn: sqlite3.Connection, agency_id: str, after: int, upto: int) -> list[Event]:
    """The events of the feed rows in (``after``, ``upto``] for a client of ``agency_id``."""
    rows = conn.execute(EVENTS_SQL, {"after": after, "upto": upto, PARTNER_AGENCY: agency_id})
    return [Event(r[0], r[1], r[2], r[3]) for r in rows]


def agency_entries(
    conn: sqlite3.Connection, agency_id: str, after: int, upto: int
) -> list[Coalesced]:
    """:func:`coalesce` of :func:`agency_events`, decided in SQL per case and event type
    (:data:`ENTRIES_SQL`), so only a few rows per case reach Python."""
    rows = conn.execute(ENTRIES_SQL, {"after": after, "upto": upto, PARTNER_AGENCY: agency_id})
    types: dict[str, list[tuple[int, str]]] = {}
    last: dict[str, tuple[int, str]] = {}
    for case_id, kind, first, seq, at in rows:
        types.setdefault(case_id, []).append((first, kind))
        if case_id not in last or seq > last[case_id][0]:
            last[case_id] = (seq, at)
    entries = [
        Coalesced(c, tuple(k for _, k in sorted(types[c])), seq, at)
        for c, (seq, at) in last.items()
    ]
    entries.sort(key=lambda e: e.seq)
    return entries


def events_for(
    conn: sqlite3.Connection, changes: list[Change], readers: list[Reader]
) -> list[list[Event]]:
    """The events each partner reader may see for ``changes`` (one list per reader, in feed
    order); readers of one agency share one query."""
    if not changes:
        return [[] for _ in readers]
    after, upto = changes[0].seq - 1, changes[-1].seq
    wanted = {c.seq for c in changes}
    by_agency: dict[str, list[Event]] = {}
    for reader in readers:
        if reader.kind != "client":
            raise ValueError("the partner change feed is for partner clients only")
        if reader.agency_id not in by_agency:
            events = agency_events(conn, reader.agency_id, after, upto)
            by_agency[reader.agency_id] = [e for e in events if e.seq in wanted]
    return [by_agency[r.agency_id] for r in readers]


WITHDRAWN = "case-access-withdrawn"

DEPARTURES_SQL = f"""
SELECT d.id, d.case_id, d.at, NOT {partner_on_case_sql("d.case_id")}
FROM case_departures d
WHERE d.agency_id = :{PARTNER_AGENCY} AND d.id > :after
ORDER BY d.id LIMIT :limit
"""


def departures(
    conn: sqlite3.Connection, agency_id: str, after: int, limit: int
) -> tuple[list[Event], int]:
    """The ``case-access-withdrawn`` events of ``agency_id`` after departure ``after`` (at
    most ``limit`` departures looked at) and the last departure looked at. A departure from
    a case the agency takes part in again (it rejoined) yields no event."""
    rows = conn.execute(
        DEPARTURES_SQL, {PARTNER_AGENCY: agency_id, "after": after, "limit": limit}
    ).fetchall()
    position = int(rows[-1][0]) if rows else after
    return [Event(0, r[1], WITHDRAWN, r[2]) for r in rows if r[3]], position


def last_departure(conn: sqlite3.Connection, agency_id: str) -> int:
    """The newest departure position of ``agency_id``."""
    row = conn.execute(
        "SELECT MAX(id) FROM case_departures WHERE agency_id = ?", (agency_id,)
    ).fetchone()
    return int(row[0] or 0)


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
    types: dict[str, list[str]] = {}
    last: dict[str, Event] = {}
    for e in events:
        seen = types.get(e.case_id)
        if seen is None:
            types[e.case_id] = [e.type]
        elif e.type not in seen:
            seen.append(e.type)
        last[e.case_id] = e
    return sorted(
        (Coalesced(c, tuple(types[c]), e.seq, e.at) for c, e in last.items()),
        key=lambda c: c.seq,
    )
