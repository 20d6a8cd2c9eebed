"""Form posts of the workspace: decode into the API's structs, run the service, and on a
refusal give the page back what was entered with a Dutch message per field."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec
from litestar import Request

from server.auth.refusals import audit_refusal
from server.lib.errors import DomainError, NotFound

T = TypeVar("T")
MAX_FIELD = 4000


@dataclass(slots=True)
class Refusal:
    """Why a form was refused: a message for the page and per field."""

    message: str
    status: int = 422
    fields: dict[str, str] = field(default_factory=dict)


async def form_values(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The posted fields (repeated names become lists), CSRF field dropped, trimmed."""
    form = await request.form()
    out: dict[str, Any] = {}
    for key in form:
        if key == "_csrf":
            continue
        values = [str(v)[:MAX_FIELD] for v in form.getall(key)]
        out[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    return {k.removesuffix("[]"): v for k, v in out.items()}


def as_list(value: Any) -> list[str]:
    """A form value that may be absent, one string or several, as a list."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def decode(data: dict[str, Any], kind: type[T]) -> T:
    """``data`` as the struct ``kind`` (raises :class:`FormError` naming the field)."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = ""
        if " - at `" in message:
            message, _, rest = message.partition(" - at `")
            path = rest.rstrip("`").removeprefix("$.").split("[")[0].split(".")[0]
        raise FormError(
            Refusal(
                "Controleer de gemarkeerde velden.",
                fields={path or "_": _dutch(message)},
            )
        ) from None


def _dutch(message: str) -> str:
    if "length >= 1" in message or "Object missing required field" in message:
        return "Vul dit veld in."
    if "length <=" in message:
        return "Dit is te lang; kort het in."
    if "Invalid enum value" in message or "Expected `" in message:
        return "Kies een van de mogelijkheden."
    return message


class FormError(Exception):
    """A refusal found before the service ran."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def refusal_of(exc: DomainError) -> Refusal:
    """A domain error as a refusal (its detail, and its field errors by field name)."""
    fields: dict[str, str] = {}
    for error in exc.errors or []:
        name = error.field.removeprefix("$.").split("[")[0].split(".")[0]
        fields.setdefault(name, error.message)
    return Refusal(exc.detail, exc.status, fields)


async def run(
    request: Request[Any, Any, Any], fn: Callable[[sqlite3.Connection], T]
) -> T | Refusal:
    """Run a service call on the writer; a refusal instead of raising (404 still raises).

    A 403 answered as a page is audited as ``request.refused`` like the API's refusals."""
    try:
        result: T = await request.app.state.db.write(fn)
    except NotFound:
        raise
    except DomainError as exc:
        return await refused(request, exc)
    return result


async def refused(request: Request[Any, Any, Any], exc: DomainError) -> Refusal:
    """``exc`` as a refusal for the page; a 403 (or 404) is audited first, once, as the app's
    ``after_exception`` hook audits the refusals that are raised."""
    await audit_refusal(exc, request.scope)
    exc.mark_audited()
    return refusal_of(exc)
