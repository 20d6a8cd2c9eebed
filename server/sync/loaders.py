"""Load the current state of feed entities, by id or by case (SQL only; no decisions)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from server.sync.protocol import CaseData, InspectionData
from server.sync.records import SPECS, Entity, Spec

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


def _execute(
    conn: sqlite3.Connection, spec: Spec, sql: str, params: Sequence[Any]
) -> sqlite3.Cursor:
    """Run a kind's SELECT, with rows as plain tuples when its mapper takes those."""
    cursor = conn.cursor()
    if spec.plain:
        cursor.row_factory = None
    return cursor.execute(sql, params)


def load_by_ids(
    conn: sqlite3.Connection, wanted: dict[str, list[str]]
) -> dict[tuple[str, str], Entity]:
    """Current state of entities, keyed by (kind, id); missing ones are absent."""
    out: dict[tuple[str, str], Entity] = {}
    for kind, ids in wanted.items():
        spec = SPECS.get(kind)
        if spec is None or not ids:
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
                where = f" WHERE {spec.id_column} IN ({','.join('?' * len(chunk))})"
                params = chunk
            for row in _execute(conn, spec, spec.select + where, params):
                entity = spec.build(row)
                out[(kind, entity.id)] = entity
    _attach_lists(conn, out)
    return out


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
        spec = SPECS[kind]
        where = f" WHERE {spec.case_column} = ? AND x.rev > ? AND x.rev < ?"
        params: list[Any] = [case_id, after, below]
        if release is not None:
            checklist_id, keys = release
            where += f" AND x.checklist_id = ? AND x.item_key IN ({','.join('?' * len(keys))})"
            params += [checklist_id, *keys]
        query = spec.select + where + " ORDER BY x.rev LIMIT ?"
        found.extend(spec.build(row) for row in _execute(conn, spec, query, [*params, limit]))
    found.sort(key=lambda e: e.rev)
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
