"""The photo upload states and the steps between them: one table, pure, no I/O.

``expected → uploading → received → verified``, with ``rejected`` beside them. A photo is
``expected`` when its ``attach_photo`` op arrives without bytes the agency holds; the first tus
bytes make it ``uploading``; the last byte, hashed and checked, makes it ``received``; the
worker that stores the original and its copies makes it ``verified``. A failed check makes it
``rejected``, from which a new upload may start again. An upload that is forgotten before it
was complete puts the photo back to ``expected``. ``verified`` is final: a verified photo's
bytes never change, and a later upload of the same photo changes nothing.
"""

from __future__ import annotations

STATES: tuple[str, ...] = ("expected", "uploading", "received", "verified", "rejected")

TRANSITIONS: dict[str, frozenset[str]] = {
    "expected": frozenset({"uploading", "received", "verified", "rejected"}),
    "uploading": frozenset({"expected", "received", "verified", "rejected"}),
    "received": frozenset({"verified", "rejected"}),
    "verified": frozenset(),
    "rejected": frozenset({"uploading", "received", "verified", "rejected"}),
}


def may_move(current: str, target: str) -> bool:
    """Whether a photo in state ``current`` may move to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())
