"""Load the current state of feed entities, by id or by case (SQL only; no decisions)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from server.sync.protocol import CaseData, InspectionData
from server.sync.records import BY_CHECKLIST, ITEM_SPECS, SPECS, Entity, ItemSpec, Spec

CASE_KINDS = (
    "case",
    "inspection",
    "checklist",
    "answer",
    "note",
    "photo",
    "conflict",
    "comment",
    "release",
)
ITEM_KINDS = ("answer", "note", "photo")


def _plain(conn: sqlite3.Connection) -> sqlite3.Cursor:
    """A cursor whose rows are plain tuples."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor


def checklist_cases(
    conn: sqlite3.Connection, checklist_ids: Iterable[str], known: dict[str, str | None]
) -> None:
    """Add the case of each checklist not in ``known`` yet (None: no such checklist)."""
    todo = sorted({c for c in checklist_ids if c not in known})
    for start in range(0, len(todo), 500):
        chunk = todo[start : start + 500]
        found = dict(
            _plain(conn).execute(
                f"SELECT id, case_id FROM checklists WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
        for checklist_id in chunk:
            known[checklist_id] = found.get(checklist_id)


def _items(
    conn: sqlite3.Connection,
    spec: ItemSpec,
    rows: list[tuple[Any, ...]],
    cases: dict[str, str | None],
) -> list[Entity]:
    """Entities of item rows; a row whose checklist is gone is dropped."""
    at = spec.checklist_at
    checklist_cases(conn, {row[at] for row in rows}, cases)
    build = spec.build
    return [build(row, case_id) for row in rows if (case_id := cases[row[at]]) is not None]


def load_by_ids(
    conn: sqlite3.Connection,
    wanted: dict[str, list[str]],
    cases: dict[str, str | None] | None = None,
) -> dict[tuple[str, str], Entity]:
    """Current state of entities, keyed by (kind, id); missing ones are absent. ``cases``:
    checklist ids to case ids known so far (added to)."""
    cases = {} if cases is None else cases
    out: dict[tuple[str, str], Entity] = {}
    for kind, ids in wanted.items():
        source: ItemSpec | Spec | None = ITEM_SPECS.get(kind) or SPECS.get(kind)
        if source is None or not ids:
            continue
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            if kind == "answer":
                pairs = [part for i in chunk for part in i.split("/", 1)]
                values = ",".join("(?, ?)" for _ in chunk)
                where = f" WHERE (x.checklist_id, x.item_key) IN (VALUES {values})"
                params: Sequence[Any] = pairs
            elif kind == "template":
                pairs = [part for i in chunk for part in i.split("@", 1)]
                values = ",".join("(?, ?)" for _ in chunk)
                where = f" WHERE (x.slug, x.version) IN (VALUES {values})"
                params = [int(p) if n % 2 else p for n, p in enumerate(pairs)]
            else:
                where = f" WHERE {source.id_column} IN ({','.join('?' * len(chunk))})"
                params = chunk
            if isinstance(source, ItemSpec):
                rows = _plain(conn).execute(source.select + where, params).fetchall()
                found = _items(conn, source, rows, cases)
            else:
                found = [source.build(row) for row in conn.execute(source.select + where, params)]
            for entity in found:
                out[(kind, entity.id)] = entity
    _attach_lists(conn, out)
    return out


def load_latest(
    conn: sqlite3.Connection, after: int, upto: int, cases: dict[str, str | None]
) -> list[Entity]:
    """The answers, notes and photos whose latest change (``rev``) is a shared change-feed row
    with ``after < seq <= upto``, lowest revs first: one query per kind, joined to the feed.

    A feed row of these kinds whose entity has moved on to a later rev yields nothing here,
    because the later row will carry it. ``cases``: checklist ids to case ids (added to).
    """
    found: list[Entity] = []
    kinds = 0
    for kind, spec in ITEM_SPECS.items():
        rows = (
            _plain(conn)
            .execute(
                f"SELECT {spec.columns} FROM changes ch JOIN {spec.table} x"
                f" ON {spec.feed_match} AND x.rev = ch.seq"
                " WHERE ch.seq > ? AND ch.seq <= ? AND ch.kind = ? AND ch.user_id IS NULL"
                " ORDER BY ch.seq",
                (after, upto, kind),
            )
            .fetchall()
        )
        if rows:
            kinds += 1
            found.extend(_items(conn, spec, rows, cases))
    if kinds > 1:
        found.sort(key=_rev)
    return found


def _rev(entity: Entity) -> int:
    return entity.rev


def load_scoped(
    conn: sqlite3.Connection,
    case_id: str,
    below: int,
    after: int,
    limit: int,
    *,
    release: tuple[str, list[str]] | None = None,
) -> list[Entity]:
    """Entities of one case with ``after < rev < below``, lowest revs first, at most ``limit``.

    With ``release`` (checklist id, item keys) only the released items' answers, notes and
    photos are loaded.
    """
    found: list[Entity] = []
    kinds = ITEM_KINDS if release is not None else CASE_KINDS
    for kind in kinds:
        item = ITEM_SPECS.get(kind)
        case_column = "c.case_id" if item is not None else SPECS[kind].case_column
        where = f" WHERE {case_column} = ? AND x.rev > ? AND x.rev < ?"
        params: list[Any] = [case_id, after, below]
        if release is not None:
            checklist_id, keys = release
            where += f" AND x.checklist_id = ? AND x.item_key IN ({','.join('?' * len(keys))})"
            params += [checklist_id, *keys]
        order = " ORDER BY x.rev LIMIT ?"
        if item is not None:
            query = item.select + BY_CHECKLIST + where + order
            rows = _plain(conn).execute(query, [*params, limit])
            found.extend(item.build(row, case_id) for row in rows)
        else:
            spec = SPECS[kind]
            rows = conn.execute(spec.select + where + order, [*params, limit])
            found.extend(spec.build(row) for row in rows)
    found.sort(key=_rev)
    page = found[:limit]
    _attach_lists(conn, {(e.kind, e.id): e for e in page})
    return page


def _attach_lists(conn: sqlite3.Connection, entities: dict[tuple[str, str], Entity]) -> None:
    """Add case agencies and inspection inspectors to their records."""
    cases = [e for (kind, _), e in entities.items() if kind == "case"]
    inspections = [e for (kind, _), e in entities.items() if kind == "inspection"]
    if cases:
        agencies: dict[str, list[str]] = defaultdict(list)
        ids = [e.id for e in cases]
        for row in conn.execute(
            f"SELECT case_id, agency_id FROM case_agencies WHERE case_id IN"
            f" ({','.join('?' * len(ids))}) ORDER BY agency_id",
            ids,
        ):
            agencies[row[0]].append(row[1])
        for e in cases:
            if isinstance(e.data, CaseData):
                e.data.agencies = agencies.get(e.id, [])
    if inspections:
        inspectors: dict[str, list[str]] = defaultdict(list)
        ids = [e.id for e in inspections]
        for row in conn.execute(
            f"SELECT inspection_id, user_id FROM inspection_inspectors WHERE inspection_id IN"
            f" ({','.join('?' * len(ids))}) ORDER BY user_id",
            ids,
        ):
            inspectors[row[0]].append(row[1])
        for e in inspections:
            if isinstance(e.data, InspectionData):
                e.data.inspectors = inspectors.get(e.id, [])
