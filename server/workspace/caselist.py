"""Zaken: the reader's cases with filters, keyset paging (last change first) and CSV export.

The list is :func:`server.cases.search.search_cases`, the same read path as
``GET /api/v1/cases``: only cases the reader is on, through the projection. Searches and
exports are audited (``case.search``, ``case.export``).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from typing import Any
from urllib.parse import quote

from litestar import Request, get
from litestar.response import Response, Template

from server.audit.log import append
from server.cases.lifecycle import STATUSES
from server.cases.lookups import all_agencies
from server.cases.schemas import CaseSummary
from server.cases.scope import reader_of
from server.cases.search import CaseFilters, search_cases
from server.cases.visibility import Reader
from server.db import Database
from server.lib.errors import Unprocessable
from server.workspace.rendering import STATUS_LABELS, page
from server.workspace.security import session_of

PAGE_SIZE = 50
EXPORT_MAX = 10_000
FIELDS = ("status", "agency", "city", "postcode", "kvk", "q", "changed_since")
MAX_VALUE = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The filter values as entered (trimmed, bounded), for the form and the query."""
    params = request.query_params
    return {name: str(params.get(name) or "").strip()[:MAX_VALUE] for name in FIELDS}


def _case_filters(values: dict[str, str]) -> tuple[CaseFilters | None, dict[str, str]]:
    """Validated filters, or None with a Dutch message per field."""
    errors: dict[str, str] = {}
    status = values["status"] or None
    if status is not None and status not in STATUSES:
        errors["status"] = "Kies een status uit de lijst."
    raw = CaseFilters(
        status=status,
        agency=values["agency"] or None,
        postcode=values["postcode"] or None,
        kvk=values["kvk"] or None,
        city=values["city"] or None,
        q=values["q"] or None,
        changed_since=values["changed_since"] or None,
    )
    try:
        filters = raw.normalised()
    except Unprocessable as exc:
        for error in exc.errors or []:
            errors[error.field] = exc.detail
        return None, errors
    return (None if errors else filters), errors


def _audit(
    db: Database, request: Request[Any, Any, Any], action: str, values: dict[str, str], n: int
) -> Any:
    me = session_of(request).principal
    return db.write(
        lambda c: append(
            c,
            me.actor(),
            action,
            object_type="case",
            detail={"filters": {k: v for k, v in values.items() if v}, "results": n},
        )
    )


@get("/zaken", include_in_schema=False, name="workspace-cases")
async def case_list(request: Request[Any, Any, Any]) -> Template:
    """The filter form and one page of cases, last change first."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    values = _filters(request)
    cursor = str(request.query_params.get("cursor") or "")[:100] or None
    filters, errors = _case_filters(values)
    agencies = await db.read(all_agencies)
    cases: list[CaseSummary] = []
    next_cursor = None
    if filters is not None:
        try:
            result = await db.read(
                lambda c: search_cases(
                    c, reader_of(me), filters, cursor, PAGE_SIZE, order="changed"
                )
            )
        except Unprocessable as exc:  # a tampered cursor
            errors["cursor"] = exc.detail
        else:
            cases, next_cursor = result.cases, result.next_cursor
            await _audit(db, request, "case.search", values, len(cases))
    query = "&".join(f"{k}={v}" for k, v in _encoded(values))
    return page(
        request,
        "zaken.html",
        active="zaken",
        title="Zaken",
        values=values,
        errors=errors,
        statuses=STATUSES,
        agencies=agencies,
        cases=cases,
        next_cursor=next_cursor,
        query=query,
        first_page=cursor is None,
        status_code=422 if errors else 200,
    )


def _encoded(values: dict[str, str]) -> list[tuple[str, str]]:
    return [(k, quote(v, safe="")) for k, v in values.items() if v]


def csv_cell(value: object) -> str:
    """A cell value that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


HEADER = (
    "Referentie",
    "Status",
    "Bedrijf",
    "KvK-nummer",
    "Straat",
    "Huisnummer",
    "Toevoeging",
    "Postcode",
    "Plaats",
    "Organisaties",
    "Volgende controle",
    "Laatst gewijzigd",
    "Aangemaakt",
)


def _row(case: CaseSummary) -> list[str]:
    address, business = case.subject.address, case.subject.business
    values: list[object] = [
        case.reference,
        STATUS_LABELS.get(case.status, case.status),
        business.name if business else "",
        business.kvk if business else "",
        address.street if address else "",
        address.huisnummer if address else "",
        address.toevoeging if address else "",
        address.postcode if address else "",
        address.city if address else "",
        ", ".join(case.agencies),
        case.next_inspection or "",
        case.changed_at or "",
        case.created_at,
    ]
    return [csv_cell(v) for v in values]


def export_rows(
    conn: sqlite3.Connection, reader: Reader, filters: CaseFilters
) -> list[CaseSummary]:
    """Every matching case (up to :data:`EXPORT_MAX`), last change first."""
    out: list[CaseSummary] = []
    cursor: str | None = None
    while len(out) < EXPORT_MAX:
        result = search_cases(conn, reader, filters, cursor, 500, order="changed")
        out += result.cases
        cursor = result.next_cursor
        if cursor is None:
            break
    return out[:EXPORT_MAX]


def render_csv(cases: list[CaseSummary]) -> bytes:
    """UTF-8 with BOM, ``;`` separated (Excel with a Dutch locale), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for case in cases:
        writer.writerow(_row(case))
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


@get("/zaken.csv", include_in_schema=False, name="workspace-cases-csv")
async def case_export(request: Request[Any, Any, Any]) -> Response[Any]:
    """The matching cases as CSV (what the reader may see, nothing more). Audited."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    values = _filters(request)
    filters, errors = _case_filters(values)
    if filters is None:
        field, message = next(iter(errors.items()))
        raise Unprocessable(f"Filter {field}: {message}", slug="invalid-filter")
    cases = await db.read(lambda c: export_rows(c, reader_of(me), filters))
    await _audit(db, request, "case.export", values, len(cases))
    return Response(
        content=render_csv(cases),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="zaken.csv"',
            "Cache-Control": "no-store",
        },
    )
