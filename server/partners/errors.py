"""Domain errors of the partner API (mapped to problem+json by :mod:`server.lib.errors`)."""

from __future__ import annotations

from server.lib.errors import BadRequest, Forbidden, TooManyRequests, Unauthorized

REALM = 'Basic realm="schouw-partner"'
BEARER = 'Bearer realm="schouw-partner"'


def invalid_client(reason: str) -> Unauthorized:
    """401 for a token request whose client authentication failed (RFC 6749 §5.2)."""
    return Unauthorized(
        "De client-authenticatie is mislukt: stuur client-id en geheim met HTTP Basic "
        f"(Authorization: Basic base64(client_id:secret)). {reason}",
        slug="invalid-client",
        title="Client niet geauthenticeerd",
        headers={"WWW-Authenticate": REALM},
    )


def invalid_token(detail: str, slug: str = "invalid-token") -> Unauthorized:
    """401 for a resource request without a valid access token."""
    return Unauthorized(
        detail, slug=slug, title="Ongeldig toegangstoken", headers={"WWW-Authenticate": BEARER}
    )


def insufficient_scope(scope: str) -> Forbidden:
    """403: the token lacks the scope the operation needs."""
    return Forbidden(
        f"Dit toegangstoken heeft de scope {scope!r} niet. Vraag een token aan met "
        f"scope={scope} (als de client die scope heeft; zie de beheerder).",
        slug="insufficient-scope",
        title="Scope ontbreekt",
        headers={"WWW-Authenticate": f'{BEARER}, error="insufficient_scope", scope="{scope}"'},
    )


def bad_token_request(detail: str, slug: str) -> BadRequest:
    """400 for a malformed token request (``unsupported-grant-type``, ``invalid-scope``)."""
    return BadRequest(detail, slug=slug, title="Ongeldig tokenverzoek")


def rate_limited(retry_after: int, headers: dict[str, str]) -> TooManyRequests:
    """429 with ``Retry-After`` and the rate-limit fields."""
    exc = TooManyRequests(
        f"Te veel verzoeken van deze client. Probeer het over {retry_after} seconden opnieuw.",
        retry_after=retry_after,
    )
    exc.headers.update(headers)
    return exc
