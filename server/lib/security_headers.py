"""Security headers on every response, error responses and static files included.

A ``before_send`` hook sees every ``http.response.start`` the application sends, including
the problem+json responses of exception handlers and routing errors, which ``after_request``
never sees.
"""

from __future__ import annotations

from typing import Any

SECURITY_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(self), geolocation=(self), microphone=()",
    "content-security-policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none';"
        " form-action 'self'"
    ),
}
_ENCODED = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]


async def add_security_headers(message: Any, scope: Any) -> None:
    """Add each security header the response does not set itself."""
    if message.get("type") != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend((name, value) for name, value in _ENCODED if name not in present)
    message["headers"] = headers
