"""The per-field merge rule (sync protocol "Merge rule"). Pure: no I/O."""

from __future__ import annotations

from enum import Enum

import msgspec


class Outcome(Enum):
    """What to do with an incoming write of one field."""

    WRITE = "write"  # the op had seen the current write: replace it
    CONVERGED = "converged"  # not seen, but the same value: nothing to record
    CONFLICT = "conflict"  # not seen and a different value: replace and record a conflict


class CurrentWrite(msgspec.Struct, gc=False):
    """The write that produced a field's current value."""

    value: bytes  # canonical JSON
    rev: int
    device_id: str | None
    seq: int | None


def has_seen(current: CurrentWrite, base_rev: int | None, device_id: str, seq: int) -> bool:
    """An op has seen the current write if its ``base_rev`` covers it, or if the write came
    from an earlier op of the same device (a device's own edits never conflict)."""
    if base_rev is not None and current.rev <= base_rev:
        return True
    return current.device_id == device_id and current.seq is not None and current.seq < seq


def decide(
    current: CurrentWrite | None,
    value: bytes,
    base_rev: int | None,
    device_id: str | None,
    seq: int | None,
) -> Outcome:
    """Apply the merge rule. Server ops (``device_id`` None) only ever replace."""
    if current is None or device_id is None or seq is None:
        return Outcome.WRITE
    if has_seen(current, base_rev, device_id, seq):
        return Outcome.WRITE
    if current.value == value:
        return Outcome.CONVERGED
    return Outcome.CONFLICT
