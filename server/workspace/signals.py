"""Signalen: register a signal, triage it into a case (mandatory structured selection
reason) or dismiss it with a reason. Possible duplicates among the cases the reader is on
are shown before a case is made. The same services as ``/api/v1/signals`` and
``/api/v1/cases``; never a reporter's identity.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.auth.guards import requires_teamlead
from server.cases import service
from server.cases.lookups import all_agencies
from server.cases.overview import duplicates_for
from server.cases.schemas import CaseCreate, SignalCreate, SignalDismiss, SignalOut
from server.cases.scope import reader_of
from server.cases.subject import REASON_CATEGORIES
from server.db import Database
from server.lib.errors import DomainError, NotFound
from server.workspace.forms import form_values, refused
from server.workspace.rendering import page
from server.workspace.security import PREFIX, session_of

SOURCES: dict[str, str] = {
    "anonymous": "Anonieme melding (Meld Misdaad Anoniem e.d.)",
    "resident": "Melding van een bewoner",
    "partner": "Melding van een partner",
    "own-observation": "Eigen waarneming",
}
REASONS: dict[str, str] = {
    "signaal": "Signaal (melding)",
    "indicatoren": "Indicatoren",
    "steekproef": "Steekproef",
    "hercontrole": "Hercontrole",
    "verzoek-partner": "Verzoek van een partner",
    "eigen-waarneming": "Eigen waarneming",
}
if tuple(REASONS) != REASON_CATEGORIES:
    raise RuntimeError("REASONS must label exactly the reason categories, in their order")
SIGNAL_STATUS = {"open": "Open", "triaged": "Zaak gemaakt", "dismissed": "Afgewezen"}
SUBJECT_FIELDS = {
    "address": ("postcode", "huisnummer", "toevoeging", "street", "city", "bag_id"),
    "business": ("name", "kvk", "vestigingsnummer"),
}
PAGE_SIZE = 50

Errors = dict[str, str]


def _dutch(message: str) -> str:
    if "length >= 1" in message or "missing required field" in message:
        return "Vul dit veld in."
    if "length <=" in message or "length >=" in message:
        return "De lengte klopt niet: " + message.split("length", 1)[1].strip("` ")
    if "Expected `int" in message:
        return "Vul een getal in."
    if "Invalid enum value" in message or "Expected `" in message:
        return "Kies een van de mogelijkheden."
    return message


def _path(message: str) -> tuple[str, str]:
    if " - at `" in message:
        message, _, rest = message.partition(" - at `")
        return rest.rstrip("`").removeprefix("$.").replace("[", ".").replace("]", ""), message
    return "_", message


def _convert(data: dict[str, Any], kind: type[Any]) -> tuple[Any, Errors]:
    try:
        return msgspec.convert(data, kind, strict=False), {}
    except msgspec.ValidationError as exc:
        path, message = _path(str(exc))
        return None, {path: _dutch(message)}


def _domain_errors(exc: DomainError) -> Errors:
    errors = {e.field.removeprefix("$."): e.message for e in exc.errors or []}
    return errors or {"_": exc.detail}


def subject_data(values: dict[str, Any]) -> dict[str, Any]:
    """``subject.address.*`` / ``subject.business.*`` form fields as a subject object; a
    part with no field filled in is left out."""
    subject: dict[str, Any] = {}
    for part, names in SUBJECT_FIELDS.items():
        fields = {
            n: values.get(f"subject.{part}.{n}", "").strip()
            for n in names
            if values.get(f"subject.{part}.{n}", "").strip()
        }
        if fields:
            subject[part] = fields
    return subject


def _signals_context(
    conn: sqlite3.Connection, agency_id: str, status: str | None, cursor: str | None
) -> dict[str, Any]:
    signals, next_cursor = service.list_signals(conn, agency_id, status, cursor, PAGE_SIZE)
    return {"signals": signals, "next_cursor": next_cursor}


async def _list_page(
    request: Request[Any, Any, Any],
    *,
    status: str | None = None,
    cursor: str | None = None,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
) -> Template:
    me = session_of(request).principal
    db: Database = request.app.state.db
    if status is not None and status not in SIGNAL_STATUS:
        status = None
    ctx = await db.read(lambda c: _signals_context(c, me.agency_id, status, cursor))
    return page(
        request,
        "signalen.html",
        active="signalen",
        title="Signalen",
        sources=SOURCES,
        signal_status=SIGNAL_STATUS,
        status=status or "",
        values=values or {},
        errors=errors or {},
        status_code=422 if errors else 200,
        **ctx,
    )


@get("/signalen", include_in_schema=False, name="workspace-signals")
async def signals(
    request: Request[Any, Any, Any],
    status: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The agency's signals (newest first) and the form to register one."""
    return await _list_page(request, status=status, cursor=(cursor or "")[:64] or None)


@post("/signalen", include_in_schema=False, name="workspace-signal-add", guards=[requires_teamlead])
async def signal_add(request: Request[Any, Any, Any]) -> Any:
    """Register a signal; the form again with the entered values when refused."""
    me = session_of(request).principal
    values = await form_values(request)
    data = {
        "source": values.get("source", ""),
        "description": values.get("description", "").strip(),
        "subject": subject_data(values),
    }
    create, errors = _convert(data, SignalCreate)
    if create is not None and not create.subject.address and not create.subject.business:
        create, errors = None, {"subject": "Vul een adres, een bedrijf of beide in."}
    if create is not None:
        try:
            out: SignalOut = await request.app.state.db.write(
                lambda c: service.create_signal(c, me, create)
            )
        except DomainError as exc:
            await refused(request, exc)
            errors = _domain_errors(exc)
        else:
            return Redirect(path=f"{PREFIX}/signalen/{out.id}", status_code=303)
    return await _list_page(request, values=values, errors=errors)


async def _signal_page(
    request: Request[Any, Any, Any],
    signal_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: Errors | None = None,
    dismiss_errors: Errors | None = None,
) -> Template:
    me = session_of(request).principal
    db: Database = request.app.state.db

    def load(conn: sqlite3.Connection) -> dict[str, Any]:
        signal = service.get_signal(conn, me, signal_id)
        return {
            "signal": signal,
            "duplicates": duplicates_for(conn, reader_of(me), signal.subject),
            "agencies": all_agencies(conn),
        }

    ctx = await db.read(load)
    refused = bool(errors or dismiss_errors)
    return page(
        request,
        "signaal.html",
        active="signalen",
        title="Signaal",
        sources=SOURCES,
        reasons=REASONS,
        signal_status=SIGNAL_STATUS,
        values=values or {"agencies": [me.agency_id]},
        errors=errors or {},
        dismiss_errors=dismiss_errors or {},
        status_code=422 if refused else 200,
        **ctx,
    )


@get("/signalen/{signal_id:str}", include_in_schema=False, name="workspace-signal")
async def signal(request: Request[Any, Any, Any], signal_id: FromPath[str]) -> Template:
    """One signal: its subject, possible duplicates, and the triage and dismiss forms."""
    return await _signal_page(request, signal_id)


@post(
    "/signalen/{signal_id:str}/zaak",
    include_in_schema=False,
    name="workspace-signal-triage",
    guards=[requires_teamlead],
)
async def signal_triage(request: Request[Any, Any, Any], signal_id: FromPath[str]) -> Any:
    """Make a case of the signal with the structured selection reason."""
    me = session_of(request).principal
    values = await form_values(request)
    agencies = values.get("agencies", [])
    agencies = agencies if isinstance(agencies, list) else [agencies]
    values["agencies"] = agencies
    indicators = [i.strip() for i in values.get("indicators", "").split(",") if i.strip()]
    data = {
        "signal_id": signal_id,
        "agencies": agencies,
        "reason": {
            "category": values.get("category", ""),
            "explanation": values.get("explanation", "").strip(),
            "indicators": indicators,
        },
    }
    create, errors = _convert(data, CaseCreate)
    if create is not None:
        try:
            case_id: str = await request.app.state.db.write(
                lambda c: service.create_case(c, me, create)
            )
        except NotFound:
            raise
        except DomainError as exc:
            await refused(request, exc)
            errors = _domain_errors(exc)
        else:
            return Redirect(path=f"{PREFIX}/zaken/{case_id}", status_code=303)
    return await _signal_page(request, signal_id, values=values, errors=errors)


@post(
    "/signalen/{signal_id:str}/afwijzen",
    include_in_schema=False,
    name="workspace-signal-dismiss",
    guards=[requires_teamlead],
)
async def signal_dismiss(request: Request[Any, Any, Any], signal_id: FromPath[str]) -> Any:
    """Dismiss the signal with a reason."""
    me = session_of(request).principal
    values = await form_values(request)
    dismiss, errors = _convert({"reason": values.get("reason", "").strip()}, SignalDismiss)
    if dismiss is not None:
        try:
            await request.app.state.db.write(
                lambda c: service.dismiss_signal(c, me, signal_id, dismiss)
            )
        except NotFound:
            raise
        except DomainError as exc:
            await refused(request, exc)
            errors = _domain_errors(exc)
        else:
            return Redirect(path=f"{PREFIX}/signalen", status_code=303)
    return await _signal_page(
        request, signal_id, values={"agencies": [me.agency_id], **values}, dismiss_errors=errors
    )
