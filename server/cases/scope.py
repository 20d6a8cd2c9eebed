"""Load what the visibility projection needs from the database (no decisions here)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import msgspec

from server.auth.principal import Principal
from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    on_case,
    visible_duplicates,
)


def reader_of(principal: Principal) -> Reader:
    """The projection's view of an authenticated user."""
    return Reader(
        kind="user",
        agency_id=principal.agency_id,
        user_id=principal.user_id,
        roles=principal.roles,
    )


def load_case_scopes(conn: sqlite3.Connection, case_ids: list[str]) -> dict[str, CaseScope]:
    """Scopes of several cases in four queries (missing ids are simply absent)."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    cases = conn.execute(
        f"SELECT id, teamlead_id, status FROM cases WHERE id IN ({marks})", case_ids
    ).fetchall()
    agencies: dict[str, set[str]] = defaultdict(set)
    for row in conn.execute(
        f"SELECT case_id, agency_id FROM case_agencies WHERE case_id IN ({marks})", case_ids
    ):
        agencies[row[0]].add(row[1])
    inspectors: dict[str, set[str]] = defaultdict(set)
    for row in conn.execute(
        f"SELECT ii.inspection_id, ii.user_id FROM inspection_inspectors ii"
        f" JOIN inspections i ON i.id = ii.inspection_id WHERE i.case_id IN ({marks})",
        case_ids,
    ):
        inspectors[row[0]].add(row[1])
    released: dict[str, set[str]] = defaultdict(set)
    for row in conn.execute(
        f"SELECT r.checklist_id, r.item_key FROM released_items r"
        f" JOIN checklists c ON c.id = r.checklist_id WHERE c.case_id IN ({marks})",
        case_ids,
    ):
        released[row[0]].add(row[1])
    checklists: dict[str, list[ChecklistScope]] = defaultdict(list)
    for row in conn.execute(
        f"SELECT id, case_id, inspection_id, agency_id FROM checklists"
        f" WHERE case_id IN ({marks}) ORDER BY id",
        case_ids,
    ):
        checklists[row["case_id"]].append(
            ChecklistScope(
                checklist_id=row["id"],
                agency_id=row["agency_id"],
                inspectors=frozenset(inspectors.get(row["inspection_id"], ())),
                released=frozenset(released.get(row["id"], ())),
            )
        )
    return {
        row["id"]: CaseScope(
            case_id=row["id"],
            agencies=frozenset(agencies.get(row["id"], ())),
            teamlead_id=row["teamlead_id"],
            checklists=tuple(checklists.get(row["id"], ())),
            closed=row["status"] == "closed",
        )
        for row in cases
    }


def duplicates_for(conn: sqlite3.Connection, reader: Reader, stored: str | bytes) -> list[str]:
    """A case's stored possible duplicates (JSON list of ids) as ``reader`` may see them."""
    ids: list[str] = msgspec.json.decode(stored)
    return visible_duplicates(reader, load_case_scopes(conn, ids).values())


def load_case_scope(conn: sqlite3.Connection, case_id: str) -> CaseScope | None:
    """The scope of one case, or None when it does not exist."""
    return load_case_scopes(conn, [case_id]).get(case_id)


def users_on_case(conn: sqlite3.Connection, case_id: str) -> list[str]:
    """Every user the projection puts on the case (``on_case``), disabled users included.

    The grant and evict fan-outs address exactly these users: disabling a user ends their
    sessions, not their place on a case, so a re-enabled user's phone still converges.
    """
    scope = load_case_scope(conn, case_id)
    if scope is None:
        return []
    rows = conn.execute(
        "SELECT u.id, u.agency_id, u.roles FROM users u WHERE u.id IN ("
        " SELECT ii.user_id FROM inspection_inspectors ii JOIN inspections i"
        " ON i.id = ii.inspection_id WHERE i.case_id = ?1"
        " UNION SELECT teamlead_id FROM cases WHERE id = ?1"
        " UNION SELECT u2.id FROM users u2 JOIN case_agencies ca ON ca.agency_id = u2.agency_id"
        " WHERE ca.case_id = ?1)",
        (case_id,),
    ).fetchall()
    return sorted(
        row[0]
        for row in rows
        if on_case(
            Reader(
                kind="user",
                agency_id=row[1],
                user_id=row[0],
                roles=frozenset(msgspec.json.decode(row[2])),
            ),
            scope,
        )
    )


def candidate_case_ids(conn: sqlite3.Connection, reader: Reader) -> list[str]:
    """Cases the reader might be on (a superset; the projection decides).

    Users: assigned to an inspection, the case's team lead, or a team lead of a
    participating agency. Clients: their agency participates.
    """
    if reader.kind == "client":
        rows = conn.execute(
            "SELECT case_id FROM case_agencies WHERE agency_id = ?", (reader.agency_id,)
        ).fetchall()
        return sorted({r[0] for r in rows})
    ids: set[str] = set()
    for row in conn.execute(
        "SELECT i.case_id FROM inspection_inspectors ii JOIN inspections i"
        " ON i.id = ii.inspection_id WHERE ii.user_id = ?",
        (reader.user_id,),
    ):
        ids.add(row[0])
    for row in conn.execute("SELECT id FROM cases WHERE teamlead_id = ?", (reader.user_id,)):
        ids.add(row[0])
    if reader.is_teamlead:
        for row in conn.execute(
            "SELECT case_id FROM case_agencies WHERE agency_id = ?", (reader.agency_id,)
        ):
            ids.add(row[0])
    return sorted(ids)


def candidate_filter(reader: Reader, column: str = "c.id") -> tuple[str, dict[str, str]]:
    """The rule of :func:`candidate_case_ids` as an SQL condition on ``column`` (with its
    named parameters), for list queries that page or aggregate inside SQLite."""
    params = {"cand_agency": reader.agency_id, "cand_user": reader.user_id or ""}
    if reader.kind == "client":
        return (
            f"{column} IN (SELECT case_id FROM case_agencies WHERE agency_id = :cand_agency)",
            params,
        )
    parts = [
        f"{column} IN (SELECT i.case_id FROM inspection_inspectors ii JOIN inspections i"
        " ON i.id = ii.inspection_id WHERE ii.user_id = :cand_user)",
        f"{column} IN (SELECT id FROM cases WHERE teamlead_id = :cand_user)",
    ]
    if reader.is_teamlead:
        parts.append(
            f"{column} IN (SELECT case_id FROM case_agencies WHERE agency_id = :cand_agency)"
        )
    return "(" + " OR ".join(parts) + ")", params


SHAREABLE_ITEMS_CTE = (
    "shareable_items(slug, version, key) AS MATERIALIZED ("
    "SELECT t.slug, t.version, json_extract(i.value, '$.key')"
    " FROM templates t, json_each(t.body, '$.sections') s, json_each(s.value, '$.items') i"
    " WHERE json_extract(i.value, '$.sensitivity') = 'shareable')"
)
"""A common table expression of every (template slug, version, item key) whose template
marks the item ``shareable``: :func:`template_sensitivities` in SQL (an item without a
sensitivity is private, so it is absent)."""


def shareable_sql(checklist: str, item_key: str) -> str:
    """An SQL condition: the template of the ``checklists`` row ``checklist`` marks the item
    ``item_key`` shareable (needs :data:`SHAREABLE_ITEMS_CTE` in the query's WITH)."""
    return (
        "EXISTS (SELECT 1 FROM shareable_items si WHERE si.slug = "
        f"{checklist}.template_slug AND si.version = {checklist}.template_version"
        f" AND si.key = {item_key})"
    )


def template_sensitivities(conn: sqlite3.Connection, slug: str, version: int) -> dict[str, str]:
    """Item key → sensitivity for one published template."""
    row = conn.execute(
        "SELECT body FROM templates WHERE slug = ? AND version = ?", (slug, version)
    ).fetchone()
    if row is None:
        return {}
    body = msgspec.json.decode(row[0])
    return {
        item["key"]: item.get("sensitivity", "private")
        for section in body["sections"]
        for item in section["items"]
    }
