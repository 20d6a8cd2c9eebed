"""Domain errors and their single mapping to RFC 9457 ``application/problem+json``.

Domain code raises the subclasses of :class:`DomainError`; controllers never build error
responses themselves. :func:`exception_handlers` maps domain errors, Litestar's own HTTP
errors and anything unexpected to one canonical problem shape.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"

log = logging.getLogger("schouw.errors")


class FieldError(msgspec.Struct, omit_defaults=True):
    """One invalid field: a JSON path such as ``$.ops[3].value`` and what is wrong with it."""

    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """Base of every error the domain raises; carries its HTTP status and problem slug."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Interne fout"
    audited: bool = False
    """True once the code that refused wrote its own audit event (no generic one then)."""

    def __init__(
        self,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if slug is not None:
            self.slug = slug
        if title is not None:
            self.title = title
        self.errors = errors
        self.headers = headers or {}

    def mark_audited(self) -> DomainError:
        """Say that this refusal is already in the audit log; return the error itself."""
        self.audited = True
        return self

    def problem(self, instance: str | None = None) -> Problem:
        """This error as a problem object."""
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
        )


class BadRequest(DomainError):
    """400: the body is not JSON, or has wrong types or missing fields."""

    status, slug, title = 400, "bad-request", "Ongeldig verzoek"


class Unauthorized(DomainError):
    """401: no valid credentials."""

    status, slug, title = 401, "unauthorized", "Niet ingelogd"


class DeviceRevoked(Unauthorized):
    """401 with type ``device-revoked``: the app must wipe its local data."""

    slug, title = "device-revoked", "Apparaat ingetrokken"


class Forbidden(DomainError):
    """403: the caller's role does not allow this action."""

    status, slug, title = 403, "forbidden", "Geen toestemming"


class NotFound(DomainError):
    """404: does not exist, or the caller may not know it exists."""

    status, slug, title = 404, "not-found", "Niet gevonden"


class Conflict(DomainError):
    """409: the request conflicts with the current state."""

    status, slug, title = 409, "conflict", "Conflict"


class Gone(DomainError):
    """410: the resource (for example a sync cursor) can no longer be honoured."""

    status, slug, title = 410, "gone", "Verlopen"


class PayloadTooLarge(DomainError):
    """413: the body exceeds the route's limit."""

    status, slug, title = 413, "payload-too-large", "Te groot"


class UnsupportedMediaType(DomainError):
    """415: the body is not of the type this route takes."""

    status, slug, title = 415, "unsupported-media-type", "Niet-ondersteund formaat"


class Unprocessable(DomainError):
    """422: well-formed input with invalid values."""

    status, slug, title = 422, "validation-failed", "Ongeldige invoer"


class TooManyRequests(DomainError):
    """429: slow down; ``Retry-After`` says for how long."""

    status, slug, title = 429, "too-many-requests", "Te veel pogingen"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


_STATUS_SLUGS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Ongeldig verzoek"),
    401: ("unauthorized", "Niet ingelogd"),
    403: ("forbidden", "Geen toestemming"),
    404: ("not-found", "Niet gevonden"),
    405: ("method-not-allowed", "Methode niet toegestaan"),
    409: ("conflict", "Conflict"),
    410: ("gone", "Verlopen"),
    412: ("precondition-failed", "Voorwaarde niet vervuld"),
    413: ("payload-too-large", "Te groot"),
    415: ("unsupported-media-type", "Niet-ondersteund formaat"),
    422: ("validation-failed", "Ongeldige invoer"),
    429: ("too-many-requests", "Te veel pogingen"),
}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    """Encode a problem as an ``application/problem+json`` response."""
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers or {},
    )


def _validation_errors(extra: Any) -> list[FieldError] | None:
    if not isinstance(extra, list):
        return None
    out: list[FieldError] = []
    for item in extra:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            out.append(FieldError(field=key, message=str(item.get("message", ""))))
    return out or None


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    """Map a domain error to problem+json."""
    return problem_response(exc.problem(request.url.path), exc.headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    """Map Litestar's own HTTP errors (routing, body limits, decoding) to problem+json."""
    status = exc.status_code
    slug, title = _STATUS_SLUGS.get(status, ("http-error", "Fout"))
    detail = exc.detail or title
    errors = None
    if isinstance(exc, ValidationException):
        slug, title = "bad-request", "Ongeldig verzoek"
        errors = _validation_errors(exc.extra)
        detail = _friendly_decode_detail(exc.detail, errors)
    if isinstance(exc.__cause__, SerializationException):
        detail = f"De body is geen geldige JSON ({exc.detail}); stuur één JSON-object."
    if status == 413:
        detail = "De aanvraag is groter dan deze route toestaat; stuur minder of kleinere delen."
    elif status == 404 and not isinstance(exc, ValidationException):
        detail = "Deze pagina of dit object bestaat niet, of u hebt er geen toegang toe."
    elif status == 405:
        detail = f"Methode {request.method} is niet toegestaan op {request.url.path}."
    headers = dict(exc.headers or {})
    return problem_response(
        Problem(
            type=PROBLEM_BASE + slug,
            title=title,
            status=status,
            detail=detail,
            instance=request.url.path,
            errors=errors,
        ),
        headers,
    )


def _friendly_decode_detail(detail: str, errors: list[FieldError] | None) -> str:
    if errors:
        first = errors[0]
        return f"De aanvraag kon niet worden gelezen: {first.message} (veld {first.field})."
    return f"De aanvraag kon niet worden gelezen: {detail}"


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Log and hide unexpected errors behind a generic 500 problem."""
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        Problem(
            type=PROBLEM_BASE + "internal-error",
            title="Interne fout",
            status=HTTP_500_INTERNAL_SERVER_ERROR,
            detail="Er ging iets mis op de server. Probeer het later opnieuw; uw gegevens "
            "op het apparaat blijven bewaard.",
            instance=request.url.path,
        )
    )


def handle_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """A body nested deeper than the JSON decoder follows is a 400; any other is a 500.

    msgspec gives up on nesting at the interpreter's recursion limit with a
    ``RecursionError`` "... while deserializing", before any handler runs.
    """
    if "deserializ" not in str(exc):
        return handle_unexpected(request, exc)
    return problem_response(
        Problem(
            type=PROBLEM_BASE + "bad-request",
            title="Ongeldig verzoek",
            status=400,
            detail="De body is te diep genest om te lezen; stuur JSON zoals de API beschrijft "
            "(zie /api/v1/openapi.json).",
            instance=request.url.path,
            errors=[FieldError(field="$", message="nested too deep")],
        )
    )


def decode_error_to_bad_request(exc: msgspec.ValidationError | msgspec.DecodeError) -> BadRequest:
    """Turn a msgspec decode error into a 400 naming the JSON path of the bad field."""
    message = str(exc)
    path = "$"
    if " - at `" in message:
        message, _, rest = message.partition(" - at `")
        path = rest.rstrip("`")
    return BadRequest(
        f"De aanvraag kon niet worden gelezen: {message} (veld {path}).",
        errors=[FieldError(field=path, message=message)],
    )


def exception_handlers() -> dict[type[Exception] | int, Any]:
    """The app-wide handler mapping: every error leaves as problem+json."""
    return {
        DomainError: handle_domain_error,
        HTTPException: handle_http_exception,
        RecursionError: handle_recursion,
        Exception: handle_unexpected,
    }
