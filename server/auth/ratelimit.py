"""Slow down repeated failed logins per username and per address (bounded memory)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque


class LoginLimiter:
    """Counts failures in a sliding window; at most ``max_keys`` keys are remembered."""

    def __init__(self, max_failures: int, window: int, max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        entries = self._failures.get(key)
        if entries is None:
            return None
        while entries and entries[0] <= now - self.window:
            entries.popleft()
        if not entries:
            del self._failures[key]
            return None
        return entries

    def retry_after(self, keys: list[str], now: float | None = None) -> int:
        """Seconds to wait before another attempt for any of ``keys``; 0 when allowed."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        for key in keys:
            entries = self._recent(key, now)
            if entries is not None and len(entries) >= self.max_failures:
                wait = max(wait, entries[0] + self.window - now)
        return int(wait) + (1 if wait > 0 else 0)

    def fail(self, keys: list[str], now: float | None = None) -> None:
        """Record one failed attempt for each key."""
        now = time.monotonic() if now is None else now
        for key in keys:
            entries = self._failures.pop(key, None) or deque(maxlen=self.max_failures)
            entries.append(now)
            self._failures[key] = entries
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeed(self, keys: list[str]) -> None:
        """Forget failures after a successful login."""
        for key in keys:
            self._failures.pop(key, None)
