"""The case list: filters, paging, and the projection's ``on_case`` for every row."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from server.cases.identifiers import InvalidIdentifier, check_kvk, check_postcode
from server.cases.schemas import CasePage, CaseSummary
from server.cases.scope import candidate_case_ids, load_case_scopes
from server.cases.view import subject_of
from server.cases.visibility import Reader, on_case
from server.lib.clock import utc_now
from server.lib.errors import FieldError, Unprocessable


def _like(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class CaseFilters:
    """Filters of the case list; all optional, combined with AND."""

    status: str | None = None
    agency: str | None = None
    postcode: str | None = None
    kvk: str | None = None
    city: str | None = None
    q: str | None = None

    def normalised(self) -> CaseFilters:
        """Identifiers in their stored form; 422 naming the filter when malformed."""
        try:
            postcode = check_postcode(self.postcode) if self.postcode else None
        except InvalidIdentifier as exc:
            raise _bad_filter("postcode", exc) from None
        try:
            kvk = check_kvk(self.kvk) if self.kvk else None
        except InvalidIdentifier as exc:
            raise _bad_filter("kvk", exc) from None
        return CaseFilters(
            status=self.status,
            agency=self.agency,
            postcode=postcode,
            kvk=kvk,
            city=self.city,
            q=self.q,
        )


def _bad_filter(field: str, exc: InvalidIdentifier) -> Unprocessable:
    return Unprocessable(
        str(exc), slug="invalid-identifier", errors=[FieldError(field=field, message=str(exc))]
    )


def search_cases(
    conn: sqlite3.Connection, reader: Reader, filters: CaseFilters, cursor: str | None, limit: int
) -> CasePage:
    """The reader's cases matching ``filters``, newest first, ``limit`` per page."""
    candidates = msgspec.json.encode(candidate_case_ids(conn, reader)).decode()
    like = _like(filters.q)
    params: dict[str, Any] = {
        "candidates": candidates,
        "status": filters.status,
        "agency": filters.agency,
        "postcode": filters.postcode,
        "kvk": filters.kvk,
        "city": filters.city,
        "like": like,
        "cursor": cursor,
        "limit": limit + 1,
        "today": utc_now().date().isoformat(),
    }
    rows = conn.execute(
        "SELECT c.*, (SELECT MIN(i.scheduled_date) FROM inspections i WHERE i.case_id = c.id"
        "   AND i.status = 'planned' AND i.scheduled_date >= :today) AS next_inspection"
        " FROM cases c WHERE c.id IN (SELECT value FROM json_each(:candidates))"
        " AND (:status IS NULL OR c.status = :status)"
        " AND (:agency IS NULL OR EXISTS (SELECT 1 FROM case_agencies ca"
        "      WHERE ca.case_id = c.id AND ca.agency_id = :agency))"
        " AND (:postcode IS NULL OR c.postcode = :postcode)"
        " AND (:kvk IS NULL OR c.kvk = :kvk)"
        " AND (:city IS NULL OR c.city = :city COLLATE NOCASE)"
        " AND (:like IS NULL OR c.business_name LIKE :like ESCAPE '\\'"
        "      OR c.street LIKE :like ESCAPE '\\' OR c.reference LIKE :like ESCAPE '\\')"
        " AND (:cursor IS NULL OR c.id < :cursor)"
        " ORDER BY c.id DESC LIMIT :limit",
        params,
    ).fetchall()
    page = rows[:limit]
    scopes = load_case_scopes(conn, [r["id"] for r in page])
    cases = [
        CaseSummary(
            id=r["id"],
            reference=r["reference"],
            status=r["status"],
            subject=subject_of(r),
            agencies=sorted(scopes[r["id"]].agencies),
            created_at=r["created_at"],
            rev=r["rev"],
            next_inspection=r["next_inspection"],
        )
        for r in page
        if on_case(reader, scopes[r["id"]])
    ]
    return CasePage(cases=cases, next_cursor=page[-1]["id"] if len(rows) > limit else None)


def count_by_status(conn: sqlite3.Connection, reader: Reader) -> dict[str, int]:
    """How many of the reader's cases are in each status (only cases the reader is on)."""
    ids = candidate_case_ids(conn, reader)
    scopes = load_case_scopes(conn, ids)
    visible = [cid for cid, scope in scopes.items() if on_case(reader, scope)]
    counts: dict[str, int] = {}
    if not visible:
        return counts
    for status, n in conn.execute(
        "SELECT status, COUNT(*) FROM cases WHERE id IN (SELECT value FROM json_each(?))"
        " GROUP BY status",
        (msgspec.json.encode(visible).decode(),),
    ):
        counts[status] = n
    return counts
