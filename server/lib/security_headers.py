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

# Responses that carry case data or tokens are never stored by a browser or a proxy: JSON and
# problem+json answers of the API (tokens included) and the workspace's HTML pages. Photos
# set their own (private) policy; static files keep the default.
NO_STORE_PREFIXES = ("/api/", "/regie/")
NO_STORE_TYPES = (b"application/json", b"application/problem+json", b"text/html")
_CACHE_CONTROL = b"cache-control"


async def add_security_headers(message: Any, scope: Any) -> None:
    """Add each security header the response does not set itself."""
    if message.get("type") != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend((name, value) for name, value in _ENCODED if name not in present)
    if _CACHE_CONTROL not in present and str(scope.get("path", "")).startswith(NO_STORE_PREFIXES):
        content_type = next(
            (bytes(v).lower() for n, v in headers if bytes(n).lower() == b"content-type"), b""
        )
        if content_type.startswith(NO_STORE_TYPES):
            headers.append((_CACHE_CONTROL, b"no-store"))
    message["headers"] = headers
