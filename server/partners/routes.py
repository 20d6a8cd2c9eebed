"""HTTP route handlers of the partners domain, collected for the app.

Everything lives below ``/api/partner/v1``, behind the partner client middleware; the token
endpoint and the OpenAPI document are public.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import ETag, State
from litestar.middleware.base import DefineMiddleware
from litestar.params import FromPath, QueryParameter
from litestar.response import File

from server.cases.visibility import partner_reader
from server.db import Database
from server.evidence.downloads import CACHE, etag_matches, open_photo_as
from server.lib.errors import NotFound, decode_error_to_bad_request
from server.lib.net import client_ip
from server.partners.audit import audit_call
from server.partners.auth import (
    PUBLIC_OPT,
    QUOTA_STATE,
    PartnerAuthMiddleware,
    caller_of,
    requires_scope,
)
from server.partners.cases import CaseFilter, list_cases
from server.partners.feed import change_page
from server.partners.headers import ROOT
from server.partners.openapi import document_bytes
from server.partners.schemas import (
    CasePage,
    CaseStatus,
    CaseSummary,
    ChangePage,
    PhotoVariant,
    SignalIn,
    SignalOut,
    TokenResponse,
)
from server.partners.signals import submit_signal
from server.partners.summary import case_summary
from server.partners.tokens import TokenService

TOKEN_BODY_LIMIT = 4096


@post(
    "/oauth/token",
    opt={PUBLIC_OPT: True},
    status_code=200,
    request_max_body_size=TOKEN_BODY_LIMIT,
    include_in_schema=False,
)
async def token(request: Request[Any, Any, State]) -> Response[TokenResponse]:
    """OAuth 2.0 client credentials grant: HTTP Basic client authentication, ``scope``."""
    tokens: TokenService = request.app.state.partner_tokens
    ip = client_ip(request, request.app.state.settings.trusted_proxies)
    grant, quota = await tokens.grant(
        request.headers.get("authorization", ""), await request.body(), ip
    )
    if quota is not None:
        request.scope.setdefault("state", {})[QUOTA_STATE] = quota
    return Response(grant, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _db(request: Request[Any, Any, State]) -> Database:
    db: Database = request.app.state.db
    return db


Limit = Annotated[int, QueryParameter(ge=1, le=500, description="page size")]


@get("/cases", guards=[requires_scope("cases:read")], include_in_schema=False)
async def cases(
    request: Request[Any, Any, State],
    *,
    status: Annotated[CaseStatus | None, QueryParameter()] = None,
    changed_since: Annotated[str | None, QueryParameter(name="changedSince")] = None,
    city: Annotated[str | None, QueryParameter(max_length=100)] = None,
    postcode: Annotated[str | None, QueryParameter(max_length=10)] = None,
    kvk: Annotated[str | None, QueryParameter(max_length=20)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    limit: Limit = 100,
) -> CasePage:
    """The cases the client's agency takes part in, oldest first, with filters."""
    caller = caller_of(request)
    flt = CaseFilter(status, changed_since, city, postcode, kvk).normalised()
    page = await _db(request).read(lambda c: list_cases(c, caller.agency_id, flt, cursor, limit))
    await audit_call(
        _db(request),
        caller,
        "partner.cases.list",
        object_type="case",
        records=len(page.cases),
        detail={"filters": flt.applied()},
    )
    return page


def _case_missing(case_id: str) -> NotFound:
    return NotFound(
        f"Dossier {case_id} bestaat niet, of uw organisatie neemt er niet aan deel.",
        slug="case-not-found",
    )


@get("/cases/{caseId:str}", guards=[requires_scope("cases:read")], include_in_schema=False)
async def case(request: Request[Any, Any, State], caseId: FromPath[str]) -> CaseSummary:
    """The case summary, as the projection allows for the client's agency."""
    caller = caller_of(request)
    summary = await _db(request).read(lambda c: case_summary(c, caller.agency_id, caseId))
    items = (
        0 if summary is None else sum(len(c.items) for v in summary.visits for c in v.checklists)
    )
    await audit_call(
        _db(request),
        caller,
        "partner.case.read",
        object_type="case",
        object_id=caseId,
        records=0 if summary is None else 1,
        result="ok" if summary is not None else "not-found",
        detail={"items": items},
    )
    if summary is None:
        raise _case_missing(caseId)
    return summary


@get("/changes", guards=[requires_scope("changes:read")], include_in_schema=False)
async def changes(
    request: Request[Any, Any, State],
    cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=5000)] = 1000,
) -> ChangePage:
    """The next page of summary-level events; continue with the returned ``cursor``."""
    caller = caller_of(request)
    page = await _db(request).read(lambda c: change_page(c, caller.agency_id, cursor, limit))
    await audit_call(
        _db(request),
        caller,
        "partner.changes.read",
        object_type="change-feed",
        records=len(page.events),
        detail={"cases": [e.case_id for e in page.events][:100]},
    )
    return page


@get(
    "/cases/{caseId:str}/photos/{photoId:str}/{variant:str}",
    guards=[requires_scope("photos:read")],
    include_in_schema=False,
)
async def photo(
    request: Request[Any, Any, State],
    caseId: FromPath[str],
    photoId: FromPath[str],
    variant: FromPath[PhotoVariant],
) -> Response[Any]:
    """A photo variant through the projection; audited (also when refused); ETag."""
    caller = caller_of(request)
    download = await open_photo_as(
        _db(request),
        request.app.state.photos.store,
        reader=partner_reader(caller.agency_id),
        actor=caller.actor(),
        photo_id=photoId,
        variant=variant,
        case_id=caseId,
    )
    headers = {"Cache-Control": CACHE, "ETag": f'"{download.etag}"'}
    if etag_matches(request.headers.get("if-none-match"), download.etag):
        return Response(None, status_code=304, headers=headers)
    return File(
        path=download.path,
        media_type=download.mime,
        filename=download.filename,
        content_disposition_type="attachment" if variant == "original" else "inline",
        etag=ETag(value=download.etag),
        headers={"Cache-Control": CACHE},
    )


SIGNAL_BODY_LIMIT = 64 * 1024
_signal_decoder = msgspec.json.Decoder(SignalIn)


@post(
    "/signals",
    guards=[requires_scope("signals:write")],
    request_max_body_size=SIGNAL_BODY_LIMIT,
    include_in_schema=False,
)
async def signals(request: Request[Any, Any, State]) -> Response[SignalOut]:
    """Hand a signal to the team of the client's agency; idempotent on the client's ``id``."""
    caller = caller_of(request)
    try:
        data = _signal_decoder.decode(await request.body())
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise decode_error_to_bad_request(exc) from None
    out, created = await _db(request).write(lambda c: submit_signal(c, caller, data))
    return Response(
        out,
        status_code=201 if created else 200,
        headers={"Location": f"{ROOT}/signals/{out.id}"} if created else {},
    )


@get("/openapi.json", opt={PUBLIC_OPT: True}, include_in_schema=False)
async def openapi_document() -> Response[bytes]:
    """This API's OpenAPI document (public)."""
    return Response(document_bytes(), media_type="application/json")


def partner_router() -> Router:
    """The ``/api/partner/v1`` router with its own authentication middleware."""
    return Router(
        path=ROOT,
        route_handlers=[token, cases, case, changes, photo, signals, openapi_document],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        middleware=[DefineMiddleware(PartnerAuthMiddleware, exclude_from_auth_key=PUBLIC_OPT)],
    )


ROUTES: list[Any] = [partner_router()]
