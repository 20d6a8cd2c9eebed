"""The case list of the partner API: the cases the client's agency takes part in."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from server.cases.scope import load_case_scopes
from server.cases.view import subject_of
from server.cases.visibility import on_case, partner_reader
from server.lib.clock import iso, parse_iso
from server.lib.errors import BadRequest
from server.partners.cursor import decode_cursor, encode_cursor
from server.partners.schemas import CaseListItem, CasePage
from server.partners.summary import case_link

_POSTCODE = re.compile(r"^[1-9][0-9]{3}[A-Z]{2}$")
_KVK = re.compile(r"^[0-9]{8}$")


class _After(msgspec.Struct):
    after: str


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """The list filters (all optional)."""

    status: str | None = None
    changed_since: str | None = None
    city: str | None = None
    postcode: str | None = None
    kvk: str | None = None

    def normalised(self) -> CaseFilter:
        """Check and normalise the values; 400 naming the bad one."""
        postcode = self.postcode.replace(" ", "").upper() if self.postcode else None
        if postcode is not None and not _POSTCODE.match(postcode):
            raise BadRequest(
                f"postcode {self.postcode!r} is geen Nederlandse postcode (zoals 9711AB).",
                slug="invalid-filter",
            )
        if self.kvk is not None and not _KVK.match(self.kvk):
            raise BadRequest(
                f"kvk {self.kvk!r} is geen KvK-nummer (8 cijfers).", slug="invalid-filter"
            )
        since = None
        if self.changed_since is not None:
            try:
                since = iso(parse_iso(self.changed_since))
            except ValueError:
                raise BadRequest(
                    f"changedSince {self.changed_since!r} is geen tijdstip met tijdzone "
                    "(ISO 8601, zoals 2026-05-04T07:12:03Z).",
                    slug="invalid-filter",
                ) from None
        return CaseFilter(self.status, since, self.city, postcode, self.kvk)

    def applied(self) -> dict[str, str]:
        """The filters that were given (for the audit trail)."""
        return {
            k: v
            for k, v in (
                ("status", self.status),
                ("changedSince", self.changed_since),
                ("city", self.city),
                ("postcode", self.postcode),
                ("kvk", self.kvk),
            )
            if v is not None
        }


def list_cases(
    conn: sqlite3.Connection, agency_id: str, flt: CaseFilter, cursor: str | None, limit: int
) -> CasePage:
    """One page of the agency's cases, oldest first."""
    after = decode_cursor(cursor, _After).after if cursor else ""
    sql = [
        "SELECT c.*, (SELECT MAX(at) FROM changes ch WHERE ch.case_id = c.id) AS changed_at"
        " FROM cases c JOIN case_agencies ca ON ca.case_id = c.id AND ca.agency_id = ?"
        " WHERE c.id > ?"
    ]
    params: list[Any] = [agency_id, after]
    if flt.status is not None:
        sql.append("AND c.status = ?")
        params.append(flt.status)
    if flt.city is not None:
        sql.append("AND c.city = ? COLLATE NOCASE")
        params.append(flt.city)
    if flt.postcode is not None:
        sql.append("AND c.postcode = ?")
        params.append(flt.postcode)
    if flt.kvk is not None:
        sql.append("AND c.kvk = ?")
        params.append(flt.kvk)
    if flt.changed_since is not None:
        sql.append("AND EXISTS (SELECT 1 FROM changes ch WHERE ch.case_id = c.id AND ch.at >= ?)")
        params.append(flt.changed_since)
    sql.append("ORDER BY c.id LIMIT ?")
    params.append(limit + 1)
    rows = conn.execute(" ".join(sql), params).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    reader = partner_reader(agency_id)
    scopes = load_case_scopes(conn, [r["id"] for r in rows])
    items = [
        CaseListItem(
            id=r["id"],
            reference=r["reference"],
            status=r["status"],
            subject=subject_of(r),
            changed_at=r["changed_at"] or r["created_at"],
            links=case_link(r["id"]),
        )
        for r in rows
        if r["id"] in scopes and on_case(reader, scopes[r["id"]])
    ]
    next_cursor = encode_cursor(_After(after=rows[-1]["id"])) if more and rows else None
    return CasePage(cases=items, next=next_cursor)
