"""The heap trimmer: a trim once the last upload request has ended and stayed quiet."""

from __future__ import annotations

import asyncio
import ctypes

from server.lib.heap import HeapTrimmer


async def _trims(trimmer: HeapTrimmer) -> int:
    """Wait (bounded) for the next trim; how many there were."""
    await asyncio.wait_for(trimmer.trimmed.wait(), 10)
    return trimmer.trims


def test_glibc_has_malloc_trim() -> None:
    assert ctypes.CDLL(None).malloc_trim(0) in (0, 1)


async def test_a_trim_follows_the_last_request() -> None:
    trimmer = HeapTrimmer(quiet_seconds=0)
    with trimmer.busy():
        assert not trimmer.scheduled
    assert trimmer.scheduled
    assert await _trims(trimmer) == 1
    assert not trimmer.scheduled


async def test_no_trim_while_another_request_runs() -> None:
    trimmer = HeapTrimmer(quiet_seconds=0)
    with trimmer.busy():
        with trimmer.busy():
            pass
        assert not trimmer.scheduled  # one request still moves bytes
        await asyncio.sleep(0.05)
        assert trimmer.trims == 0
    assert await _trims(trimmer) == 1


async def test_a_new_request_in_the_quiet_period_cancels_the_trim() -> None:
    trimmer = HeapTrimmer(quiet_seconds=3600)
    with trimmer.busy():
        pass
    assert trimmer.scheduled
    with trimmer.busy():
        assert not trimmer.scheduled
    assert trimmer.scheduled  # again, from the end of the second request
    assert trimmer.trims == 0
