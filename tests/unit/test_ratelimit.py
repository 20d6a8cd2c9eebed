"""The login limiter: per key sliding window, bounded memory, success forgets."""

from __future__ import annotations

from server.auth.ratelimit import LoginLimiter

KEYS = ["user:anna", "ip:10.0.0.1"]


def test_allows_until_max_failures_then_waits_for_the_window() -> None:
    limiter = LoginLimiter(max_failures=3, window=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after(KEYS, now=t) == 0
        limiter.fail(KEYS, now=t)
    # Third failure at t=2; the oldest (t=0) leaves the window at t=60.
    assert limiter.retry_after(KEYS, now=2.0) == 59
    assert limiter.retry_after(KEYS, now=59.5) == 1
    assert limiter.retry_after(KEYS, now=60.0) == 0


def test_one_address_is_slowed_across_usernames() -> None:
    limiter = LoginLimiter(max_failures=2, window=60)
    limiter.fail(["user:anna", "ip:10.0.0.1"], now=0)
    limiter.fail(["user:bert", "ip:10.0.0.1"], now=1)
    assert limiter.retry_after(["user:carla", "ip:10.0.0.1"], now=2) > 0
    assert limiter.retry_after(["user:carla", "ip:10.0.0.2"], now=2) == 0


def test_one_username_is_slowed_across_addresses() -> None:
    limiter = LoginLimiter(max_failures=2, window=60)
    limiter.fail(["user:anna", "ip:10.0.0.1"], now=0)
    limiter.fail(["user:anna", "ip:10.0.0.2"], now=1)
    assert limiter.retry_after(["user:anna", "ip:10.0.0.3"], now=2) > 0
    assert limiter.retry_after(["user:bert", "ip:10.0.0.3"], now=2) == 0


def test_success_forgets_failures() -> None:
    limiter = LoginLimiter(max_failures=2, window=60)
    limiter.fail(KEYS, now=0)
    limiter.succeed(KEYS)
    limiter.fail(KEYS, now=1)
    assert limiter.retry_after(KEYS, now=2) == 0


def test_memory_is_bounded_and_oldest_keys_go_first() -> None:
    limiter = LoginLimiter(max_failures=1, window=600, max_keys=100)
    for i in range(1000):
        limiter.fail([f"ip:10.0.{i // 256}.{i % 256}"], now=float(i) / 1000)
    assert len(limiter._failures) == 100
    assert limiter.retry_after(["ip:10.0.3.231"], now=1.0) > 0  # the newest is remembered
    assert limiter.retry_after(["ip:10.0.0.0"], now=1.0) == 0  # the oldest was dropped


def test_entries_per_key_are_bounded() -> None:
    limiter = LoginLimiter(max_failures=3, window=60)
    for t in range(50):
        limiter.fail(KEYS, now=float(t) / 10)
    assert all(len(v) == 3 for v in limiter._failures.values())


def test_attempt_counts_before_the_check_and_success_takes_back_only_itself() -> None:
    limiter = LoginLimiter(max_failures=3, window=60)
    stamps = [limiter.attempt(KEYS, now=float(t)) for t in range(4)]
    assert [wait for wait, _ in stamps] == [0, 0, 0, 58]  # counted as they start
    fresh = LoginLimiter(max_failures=3, window=60)
    fresh.attempt(KEYS, now=0)
    fresh.attempt(KEYS, now=1)
    _, stamp = fresh.attempt(KEYS, now=2)
    fresh.succeed(["user:anna"], ["ip:10.0.0.1"], stamp)  # the third was the right password
    assert fresh.retry_after(["user:bert", "ip:10.0.0.1"], now=3) == 0
    fresh.attempt(["user:bert", "ip:10.0.0.1"], now=3)
    assert fresh.retry_after(["user:carla", "ip:10.0.0.1"], now=4) > 0
