"""Link a case to the case it duplicates, and undo it. Findings are never merged.

A link is only a pointer between two cases, shown on both and audited on both; each
agency's checklists stay in the case they were made in. Only a team lead who is on both
cases links or unlinks (:func:`server.cases.visibility.may_link_duplicate`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Annotated

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases import repository as repo
from server.cases.scope import load_case_scopes, reader_of
from server.cases.service import case_for_teamlead
from server.cases.visibility import Reader, may_link_duplicate, on_case
from server.lib.clock import now_iso
from server.lib.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from server.lib.ids import uuid7


class LinkDuplicate(msgspec.Struct, forbid_unknown_fields=True):
    """``duplicate_of``: the case this one duplicates."""

    duplicate_of: Annotated[str, msgspec.Meta(max_length=64)]
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


@dataclass(frozen=True, slots=True)
class CaseLink:
    """One active link as the reader sees it: the other case and which way it points."""

    id: str
    other_id: str
    other_reference: str
    direction: str  # "duplicate_of" (this case duplicates other) or "duplicated_by"
    linked_at: str


def link_duplicate(
    conn: sqlite3.Connection, principal: Principal, case_id: str, data: LinkDuplicate
) -> str:
    """Record that ``case_id`` duplicates ``data.duplicate_of``; return the link id."""
    case = case_for_teamlead(conn, principal, case_id)
    if data.duplicate_of == case_id:
        raise Unprocessable(
            "Een dossier kan geen dubbel van zichzelf zijn; kies een ander dossier.",
            slug="self-link",
            errors=[FieldError(field="duplicate_of", message="zelfde dossier")],
        )
    other = load_case_scopes(conn, [data.duplicate_of]).get(data.duplicate_of)
    reader = reader_of(principal)
    if other is None or not on_case(reader, other):
        raise Unprocessable(
            f"Dossier {data.duplicate_of} bestaat niet of u bent er niet bij betrokken.",
            slug="unknown-case",
            errors=[FieldError(field="duplicate_of", message="onbekend dossier")],
        )
    if not may_link_duplicate(reader, case, other):
        raise Forbidden("Alleen teamleiders koppelen dubbele dossiers.", slug="role-required")
    active = conn.execute(
        "SELECT case_id, duplicate_of FROM case_links WHERE unlinked_at IS NULL"
        " AND case_id IN (?, ?)",
        (case_id, data.duplicate_of),
    ).fetchall()
    for row in active:
        if row["case_id"] == case_id:
            raise Conflict(
                "Dit dossier is al gekoppeld als dubbel van een ander dossier; maak die "
                "koppeling eerst ongedaan.",
                slug="already-linked",
            )
        raise Unprocessable(
            "Het gekozen dossier is zelf als dubbel gekoppeld; koppel aan het dossier "
            "waarvan het een dubbel is.",
            slug="target-is-duplicate",
            errors=[FieldError(field="duplicate_of", message="is zelf een dubbel")],
        )
    link_id = uuid7()
    conn.execute(
        "INSERT INTO case_links (id, case_id, duplicate_of, linked_by, linked_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (link_id, case_id, data.duplicate_of, principal.user_id, now_iso()),
    )
    for subject, other_id in ((case_id, data.duplicate_of), (data.duplicate_of, case_id)):
        repo.touch_case(conn, subject)
        append(
            conn,
            principal.actor(),
            "case.link_duplicate",
            object_type="case",
            object_id=subject,
            detail={
                "link_id": link_id,
                "case_id": case_id,
                "duplicate_of": data.duplicate_of,
                "other": other_id,
                "reason": data.reason,
            },
        )
    return link_id


def unlink_duplicate(
    conn: sqlite3.Connection, principal: Principal, case_id: str, link_id: str
) -> None:
    """Undo a link (it stays in the history, marked unlinked)."""
    case = case_for_teamlead(conn, principal, case_id)
    row = conn.execute(
        "SELECT case_id, duplicate_of FROM case_links WHERE id = ? AND unlinked_at IS NULL"
        " AND ? IN (case_id, duplicate_of)",
        (link_id, case_id),
    ).fetchone()
    if row is None:
        raise NotFound("Deze koppeling bestaat niet (meer) bij dit dossier.", slug="link-not-found")
    other_id = row["duplicate_of"] if row["case_id"] == case_id else row["case_id"]
    other = load_case_scopes(conn, [other_id]).get(other_id)
    reader = reader_of(principal)
    if other is None or not may_link_duplicate(reader, case, other):
        raise Forbidden(
            "Alleen een teamleider die bij beide dossiers betrokken is, maakt de koppeling "
            "ongedaan.",
            slug="role-required",
        )
    conn.execute(
        "UPDATE case_links SET unlinked_at = ?, unlinked_by = ? WHERE id = ?",
        (now_iso(), principal.user_id, link_id),
    )
    for subject in (row["case_id"], row["duplicate_of"]):
        repo.touch_case(conn, subject)
        append(
            conn,
            principal.actor(),
            "case.unlink_duplicate",
            object_type="case",
            object_id=subject,
            detail={
                "link_id": link_id,
                "case_id": row["case_id"],
                "duplicate_of": row["duplicate_of"],
            },
        )


def case_links(conn: sqlite3.Connection, reader: Reader, case_id: str) -> list[CaseLink]:
    """Active links of a case to cases the reader is on (others are not mentioned)."""
    rows = conn.execute(
        "SELECT l.id, l.case_id, l.duplicate_of, l.linked_at, c.reference AS other_ref"
        " FROM case_links l JOIN cases c"
        " ON c.id = CASE WHEN l.case_id = ?1 THEN l.duplicate_of ELSE l.case_id END"
        " WHERE l.unlinked_at IS NULL AND ?1 IN (l.case_id, l.duplicate_of) ORDER BY l.linked_at",
        (case_id,),
    ).fetchall()
    others = [r["duplicate_of"] if r["case_id"] == case_id else r["case_id"] for r in rows]
    scopes = load_case_scopes(conn, others)
    out: list[CaseLink] = []
    for row, other_id in zip(rows, others, strict=True):
        scope = scopes.get(other_id)
        if scope is None or not on_case(reader, scope):
            continue
        out.append(
            CaseLink(
                id=row["id"],
                other_id=other_id,
                other_reference=row["other_ref"],
                direction="duplicate_of" if row["case_id"] == case_id else "duplicated_by",
                linked_at=row["linked_at"],
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible duplicate the reader is on: open cases about the same business or address."""

    id: str
    reference: str
    status: str
    subject: str


def duplicate_candidates(conn: sqlite3.Connection, reader: Reader, case_id: str) -> list[Candidate]:
    """Cases flagged as possible duplicates of this one, or that flag this one, that the
    reader is on (others are never mentioned)."""
    row = conn.execute("SELECT possible_duplicates FROM cases WHERE id = ?", (case_id,)).fetchone()
    if row is None:
        return []
    ids = set(msgspec.json.decode(row[0]))
    ids |= {
        r[0]
        for r in conn.execute(
            "SELECT c.id FROM cases c, json_each(c.possible_duplicates) d WHERE d.value = ?",
            (case_id,),
        )
    }
    ids.discard(case_id)
    scopes = load_case_scopes(conn, sorted(ids))
    visible = [i for i in sorted(ids) if i in scopes and on_case(reader, scopes[i])]
    if not visible:
        return []
    rows = conn.execute(
        "SELECT id, reference, status, business_name, kvk, street, huisnummer, toevoeging,"
        " postcode, city FROM cases WHERE id IN (SELECT value FROM json_each(?))"
        " ORDER BY reference",
        (msgspec.json.encode(visible).decode(),),
    ).fetchall()
    out: list[Candidate] = []
    for r in rows:
        parts = []
        if r["business_name"]:
            parts.append(r["business_name"] + (f" (KvK {r['kvk']})" if r["kvk"] else ""))
        if r["postcode"]:
            parts.append(
                f"{r['street'] or ''} {r['huisnummer']}{r['toevoeging'] or ''}, "
                f"{r['postcode']} {r['city'] or ''}".strip()
            )
        out.append(Candidate(r["id"], r["reference"], r["status"], " · ".join(parts)))
    return out
