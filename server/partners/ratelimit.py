"""Per-client request quota (fixed window) and its HTTP fields.

The fields follow the IETF HTTPAPI draft "RateLimit header fields for HTTP",
draft-ietf-httpapi-ratelimit-headers-10: ``RateLimit-Policy: "partner";q=600;w=60`` states the
quota, ``RateLimit: "partner";r=599;t=42`` the remaining requests and the seconds until the
window resets. A 429 also carries ``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

POLICY = "partner"


@dataclass(frozen=True, slots=True)
class Quota:
    """The outcome of counting one request."""

    limit: int
    window: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        """``RateLimit-Policy`` and ``RateLimit`` for this outcome."""
        return {
            "RateLimit-Policy": f'"{POLICY}";q={self.limit};w={self.window}',
            "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset}',
        }


class ClientRateLimiter:
    """At most ``limit`` requests per ``window`` seconds per key; bounded memory."""

    def __init__(self, limit: int, window: int, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._windows: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def hit(self, key: str, now: float | None = None) -> Quota:
        """Count one request for ``key`` and say whether it is allowed."""
        now = time.monotonic() if now is None else now
        start, count = self._windows.pop(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        while len(self._windows) > self.max_keys:
            self._windows.popitem(last=False)
        reset = max(1, math.ceil(start + self.window - now))
        return Quota(
            limit=self.limit,
            window=self.window,
            remaining=max(0, self.limit - count),
            reset=reset,
            allowed=count <= self.limit,
        )
