"""The case list: filters, paging, and the projection's ``on_case`` for every row."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from server.cases.identifiers import InvalidIdentifier, check_kvk, check_postcode
from server.cases.schemas import CasePage, CaseSummary
from server.cases.scope import candidate_filter, load_case_scopes
from server.cases.view import subject_of
from server.cases.visibility import Reader, on_case
from server.lib.clock import iso, parse_iso, utc_now
from server.lib.errors import FieldError, Unprocessable

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    changed_since: str | None = None  # ISO 8601 date or time; a date means 00:00 UTC

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
            changed_since=_since(self.changed_since) if self.changed_since else None,
        )


def _since(text: str) -> str:
    """``YYYY-MM-DD`` (midnight UTC) or ISO 8601 with an offset, as stored (UTC, ``Z``)."""
    raw = text.strip()
    try:
        if _DATE.fullmatch(raw):
            return iso(datetime.fromisoformat(raw).replace(tzinfo=UTC))
        return iso(parse_iso(raw))
    except ValueError:
        message = (
            "gebruik een datum (2026-05-04) of een tijdstip met tijdzone "
            "(2026-05-04T09:00:00+02:00)"
        )
        raise Unprocessable(
            f"Gewijzigd sinds {raw!r} is geen geldige datum: {message}.",
            slug="invalid-filter",
            errors=[FieldError(field="changed_since", message=message)],
        ) from None


def first_change_since(conn: sqlite3.Connection, at: str) -> int:
    """The first change-feed position written at or after ``at`` (binary search on ``seq``;
    the feed's times grow with its positions). One past the end when there is none."""
    lo, hi = conn.execute(
        "SELECT COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM changes"
    ).fetchone()
    hi += 1
    while lo < hi:
        mid = (lo + hi) // 2
        row = conn.execute(
            "SELECT seq, at FROM changes WHERE seq >= ? ORDER BY seq LIMIT 1", (mid,)
        ).fetchone()
        if row is None or row[1] >= at:
            hi = mid
        else:
            lo = row[0] + 1
    return int(lo)


def _bad_filter(field: str, exc: InvalidIdentifier) -> Unprocessable:
    return Unprocessable(
        str(exc), slug="invalid-identifier", errors=[FieldError(field=field, message=str(exc))]
    )


Order = Literal["created", "changed"]


def _cursor(order: Order, cursor: str | None) -> tuple[int | None, str | None]:
    """``(last change, id)`` of a keyset cursor; 422 when it is not one of ours."""
    if cursor is None:
        return None, None
    if order == "created":
        return None, cursor
    seq, _, case_id = cursor.partition(".")
    if not seq.isascii() or not seq.isdigit() or not case_id or len(seq) > 18:
        raise Unprocessable(
            "De cursor is ongeldig; gebruik next_cursor van de vorige pagina.",
            slug="invalid-cursor",
            errors=[FieldError(field="cursor", message="onbekende cursor")],
        )
    return int(seq), case_id


def search_cases(
    conn: sqlite3.Connection,
    reader: Reader,
    filters: CaseFilters,
    cursor: str | None,
    limit: int,
    *,
    order: Order = "created",
) -> CasePage:
    """The reader's cases matching ``filters``, ``limit`` per page (keyset paging).

    ``order="created"``: newest case first (the REST default). ``order="changed"``: the case
    with the most recent change anywhere in it (its row, inspections, checklists, answers,
    photos, …: the change feed) first.
    """
    candidates, candidate_params = candidate_filter(reader)
    like = _like(filters.q)
    after_seq, after_id = _cursor(order, cursor)
    since = first_change_since(conn, filters.changed_since) if filters.changed_since else None
    params: dict[str, Any] = {
        **candidate_params,
        "status": filters.status,
        "agency": filters.agency,
        "postcode": filters.postcode,
        "kvk": filters.kvk,
        "city": filters.city,
        "like": like,
        "since": since,
        "after_seq": after_seq,
        "after_id": after_id,
        "limit": limit + 1,
        "today": utc_now().date().isoformat(),
    }
    keyset = (
        " AND (:after_id IS NULL OR c.id < :after_id) ORDER BY c.id DESC"
        if order == "created"
        else " AND (:after_seq IS NULL OR last_seq < :after_seq"
        " OR (last_seq = :after_seq AND c.id < :after_id)) ORDER BY last_seq DESC, c.id DESC"
    )
    # Order and page on (id, last change) alone; the page's full rows come after.
    rows = conn.execute(
        "SELECT p.last_seq, c.*, (SELECT MIN(i.scheduled_date) FROM inspections i"
        "   WHERE i.case_id = c.id AND i.status = 'planned' AND i.scheduled_date >= :today)"
        "   AS next_inspection"
        " FROM (SELECT * FROM (SELECT c.id,"
        "   COALESCE((SELECT MAX(ch.seq) FROM changes ch WHERE ch.case_id = c.id), c.rev)"
        "   AS last_seq"
        " FROM cases c WHERE " + candidates + ""
        " AND (:status IS NULL OR c.status = :status)"
        " AND (:agency IS NULL OR EXISTS (SELECT 1 FROM case_agencies ca"
        "      WHERE ca.case_id = c.id AND ca.agency_id = :agency))"
        " AND (:postcode IS NULL OR c.postcode = :postcode)"
        " AND (:kvk IS NULL OR c.kvk = :kvk)"
        " AND (:city IS NULL OR c.city = :city COLLATE NOCASE)"
        " AND (:like IS NULL OR c.business_name LIKE :like ESCAPE '\\'"
        "      OR c.street LIKE :like ESCAPE '\\' OR c.reference LIKE :like ESCAPE '\\')"
        ") c WHERE (:since IS NULL OR last_seq >= :since)" + keyset + " LIMIT :limit) p"
        " JOIN cases c ON c.id = p.id"
        + (" ORDER BY c.id DESC" if order == "created" else " ORDER BY p.last_seq DESC, c.id DESC"),
        params,
    ).fetchall()
    page = rows[:limit]
    scopes = load_case_scopes(conn, [r["id"] for r in page])
    changed = dict(
        conn.execute(
            "SELECT seq, at FROM changes WHERE seq IN (SELECT value FROM json_each(?))",
            (msgspec.json.encode([r["last_seq"] for r in page]).decode(),),
        ).fetchall()
    )
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
            changed_at=changed.get(r["last_seq"]),
        )
        for r in page
        if on_case(reader, scopes[r["id"]])
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = last["id"] if order == "created" else f"{last['last_seq']}.{last['id']}"
    return CasePage(cases=cases, next_cursor=next_cursor)
