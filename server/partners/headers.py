"""``API-Version`` and the rate-limit fields on every partner API response.

A ``before_send`` hook sees every response under ``/api/partner/v1``, error responses of
exception handlers and routing included (NL API Design Rules: the header on every response).
"""

from __future__ import annotations

from typing import Any

from server.partners.ratelimit import Quota

ROOT = "/api/partner/v1"
API_VERSION = "1.1.0"
"""The full semantic version of the partner API (``info.version`` and ``API-Version``)."""

_VERSION = (b"api-version", API_VERSION.encode())


async def add_partner_headers(message: Any, scope: Any) -> None:
    """Add ``API-Version`` (and ``RateLimit`` / ``RateLimit-Policy`` once counted)."""
    if message.get("type") != "http.response.start":
        return
    path: str = scope.get("path", "")
    if path != ROOT and not path.startswith(ROOT + "/"):
        return
    headers = list(message.get("headers") or [])
    present = {bytes(name).lower() for name, _ in headers}
    if _VERSION[0] not in present:
        headers.append(_VERSION)
    quota = (scope.get("state") or {}).get("partner_quota")
    if isinstance(quota, Quota):
        for name, value in quota.headers().items():
            if name.lower().encode() not in present:
                headers.append((name.lower().encode(), value.encode()))
    message["headers"] = headers
