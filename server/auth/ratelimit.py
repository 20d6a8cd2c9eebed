"""Slow down repeated failed logins per username and per address (bounded memory).

An attempt is counted **before** the password is checked (:meth:`LoginLimiter.attempt`), so
parallel guesses cannot all pass the check while the slow hash runs. A successful login
takes back only its own count and clears the username's failures; the address keeps the
failures it made (wrong, wrong, wrong, wrong, right, repeated, still ends in 429).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Sequence


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

    def attempt(self, keys: list[str], now: float | None = None) -> tuple[int, float]:
        """Count one attempt for each key now, before verifying; return ``(0, stamp)``, or
        ``(seconds to wait, 0.0)`` without counting when a key is over the limit.

        There is no ``await`` between the check and the count, so on one event loop no two
        attempts can both slip under the limit.
        """
        now = time.monotonic() if now is None else now
        wait = self.retry_after(keys, now)
        if wait:
            return wait, 0.0
        self.fail(keys, now)
        return 0, now

    def fail(self, keys: list[str], now: float | None = None) -> None:
        """Record one failed attempt for each key."""
        now = time.monotonic() if now is None else now
        for key in keys:
            entries = self._failures.pop(key, None) or deque(maxlen=self.max_failures)
            entries.append(now)
            self._failures[key] = entries
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeed(
        self, forget: Sequence[str], release: Sequence[str] = (), stamp: float = 0.0
    ) -> None:
        """After a successful login: forget every failure of the ``forget`` keys (the
        username) and take back only this attempt's own count (``stamp``) from the
        ``release`` keys (the address)."""
        for key in forget:
            self._failures.pop(key, None)
        for key in release:
            entries = self._failures.get(key)
            if entries is not None and stamp in entries:
                entries.remove(stamp)
                if not entries:
                    del self._failures[key]
