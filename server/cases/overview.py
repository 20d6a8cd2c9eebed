"""Read models of the team lead's dashboard: the reader's cases, inspections, duplicates.

Every function selects among the cases the reader might be on
(:func:`~server.cases.scope.candidate_filter`, the rule of ``candidate_case_ids`` in SQL)
and only reads; the caller checks every row it shows against the projection. Bounded lists
keep the query count independent of how many cases there are.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

import msgspec

from server.cases.lookups import find_possible_duplicates
from server.cases.scope import candidate_filter, load_case_scopes
from server.cases.subject import Subject
from server.cases.visibility import Reader, on_case

_json = msgspec.json.Encoder()
_ids = msgspec.json.Decoder(list[str])


def _id_list(ids: list[str]) -> str:
    return _json.encode(ids).decode()


def status_counts(conn: sqlite3.Connection, reader: Reader) -> dict[str, int]:
    """How many of the reader's candidate cases are in each status."""
    where, params = candidate_filter(reader, "id")
    return {
        status: n
        for status, n in conn.execute(
            f"SELECT status, COUNT(*) FROM cases WHERE {where} GROUP BY status", params
        )
    }


@dataclass
class InspectionLine:
    """One inspection on the dashboard."""

    id: str
    case_id: str
    reference: str
    subject: str
    scheduled_date: str
    scheduled_time: str | None
    status: str
    inspectors: list[tuple[str, str]] = field(default_factory=list)  # (user id, name)
    checklists: list[tuple[str, str]] = field(default_factory=list)  # (checklist id, agency)


def subject_label(row: sqlite3.Row) -> str:
    """A one-line label of a case's subject: business name and/or address."""
    parts: list[str] = []
    if row["business_name"]:
        parts.append(row["business_name"])
    if row["postcode"]:
        street = " ".join(
            str(p) for p in (row["street"], row["huisnummer"], row["toevoeging"]) if p
        )
        parts.append(", ".join(p for p in (street, row["city"]) if p) or row["postcode"])
    return " · ".join(parts)


def inspections_from(
    conn: sqlite3.Connection, reader: Reader, since: str, limit: int
) -> list[InspectionLine]:
    """Inspections of these cases scheduled on or after ``since`` (or still in progress),
    not cancelled, earliest first; at most ``limit``."""
    where, params = candidate_filter(reader, "i.case_id")
    rows = conn.execute(
        "SELECT i.id, i.case_id, i.scheduled_date, i.scheduled_time, i.status, c.reference,"
        " c.business_name, c.postcode, c.street, c.huisnummer, c.toevoeging, c.city"
        " FROM inspections i JOIN cases c ON c.id = i.case_id"
        f" WHERE {where} AND i.status != 'cancelled'"
        " AND (i.scheduled_date >= :since OR i.status = 'in_progress')"
        " ORDER BY i.scheduled_date, COALESCE(i.scheduled_time, ''), i.id LIMIT :limit",
        {**params, "since": since, "limit": limit},
    ).fetchall()
    lines = {
        r["id"]: InspectionLine(
            id=r["id"],
            case_id=r["case_id"],
            reference=r["reference"],
            subject=subject_label(r),
            scheduled_date=r["scheduled_date"],
            scheduled_time=r["scheduled_time"],
            status=r["status"],
        )
        for r in rows
    }
    if not lines:
        return []
    ids = _id_list(list(lines))
    for r in conn.execute(
        "SELECT ii.inspection_id, u.id, u.name FROM inspection_inspectors ii"
        " JOIN users u ON u.id = ii.user_id"
        " WHERE ii.inspection_id IN (SELECT value FROM json_each(?)) ORDER BY u.name",
        (ids,),
    ):
        lines[r[0]].inspectors.append((r[1], r[2]))
    for r in conn.execute(
        "SELECT inspection_id, id, agency_id FROM checklists"
        " WHERE inspection_id IN (SELECT value FROM json_each(?)) ORDER BY agency_id",
        (ids,),
    ):
        lines[r[0]].checklists.append((r[1], r[2]))
    return list(lines.values())


@dataclass(frozen=True)
class DuplicateLine:
    """A case flagged as a possible duplicate of other cases the reader is on."""

    case_id: str
    reference: str
    subject: str
    duplicates: tuple[tuple[str, str], ...]  # (case id, reference)


def possible_duplicates(
    conn: sqlite3.Connection, reader: Reader, limit: int
) -> list[DuplicateLine]:
    """The reader's open candidate cases flagged as possible duplicates, with the flagged
    cases (the caller shows only those the reader is on, through the projection)."""
    where, params = candidate_filter(reader, "id")
    rows = conn.execute(
        "SELECT id, reference, possible_duplicates, business_name, postcode, street,"
        f" huisnummer, toevoeging, city FROM cases WHERE {where}"
        " AND possible_duplicates != '[]' AND status != 'closed' ORDER BY id DESC LIMIT :limit",
        {**params, "limit": limit * 4},
    ).fetchall()
    wanted: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        wanted[r["id"]] += _ids.decode(r["possible_duplicates"])
    refs: dict[str, str] = {}
    every = sorted({d for dups in wanted.values() for d in dups})
    if every:
        refs = dict(
            conn.execute(
                "SELECT id, reference FROM cases WHERE id IN (SELECT value FROM json_each(?))",
                (_id_list(every),),
            ).fetchall()
        )
    out = [
        DuplicateLine(
            case_id=r["id"],
            reference=r["reference"],
            subject=subject_label(r),
            duplicates=tuple((d, refs[d]) for d in wanted[r["id"]] if d in refs),
        )
        for r in rows
        if wanted.get(r["id"])
    ]
    return out[:limit]


def case_references(conn: sqlite3.Connection, case_ids: list[str]) -> dict[str, str]:
    """Case id → reference."""
    if not case_ids:
        return {}
    return dict(
        conn.execute(
            "SELECT id, reference FROM cases WHERE id IN (SELECT value FROM json_each(?))",
            (_id_list(case_ids),),
        ).fetchall()
    )


@dataclass(frozen=True)
class CaseLine:
    """A case in a short list: id, reference, status and subject."""

    id: str
    reference: str
    status: str
    subject: str


def duplicates_for(conn: sqlite3.Connection, reader: Reader, subject: Subject) -> list[CaseLine]:
    """Open cases about the same KvK-nummer, address or BAG object, among the cases the
    reader is on (possible duplicates are never shown from cases the reader is not on)."""
    ids = find_possible_duplicates(conn, subject)
    scopes = load_case_scopes(conn, ids)
    mine = [cid for cid, scope in scopes.items() if on_case(reader, scope)]
    if not mine:
        return []
    rows = conn.execute(
        "SELECT id, reference, status, business_name, postcode, street, huisnummer,"
        " toevoeging, city FROM cases WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY id DESC",
        (_id_list(mine),),
    ).fetchall()
    return [CaseLine(r["id"], r["reference"], r["status"], subject_label(r)) for r in rows]
