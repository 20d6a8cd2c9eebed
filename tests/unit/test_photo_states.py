"""The photo state table: every step the upload code takes, and none it must not take; the
allow-list of columns the evidence repository writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.evidence import repository as repo
from server.evidence.states import STATES, TRANSITIONS, may_move


def test_the_table_names_only_known_states() -> None:
    assert set(TRANSITIONS) == set(STATES)
    for targets in TRANSITIONS.values():
        assert targets <= set(STATES)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("expected", "uploading"),  # the first tus bytes
        ("rejected", "uploading"),  # a new upload after a rejected one
        ("uploading", "received"),  # the last byte, hashed and checked
        ("expected", "received"),  # the multipart form in one request
        ("received", "verified"),  # the worker stored the original and its copies
        ("expected", "verified"),  # the agency already held the bytes
        ("received", "rejected"),
        ("rejected", "rejected"),  # a second failed attempt keeps the newest reason
        ("uploading", "expected"),  # an unfinished upload was forgotten
    ],
)
def test_steps_the_upload_code_takes(current: str, target: str) -> None:
    assert may_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("verified", "rejected"),  # a verified photo never changes
        ("verified", "uploading"),
        ("verified", "expected"),
        ("received", "uploading"),  # a received photo is not uploaded again
        ("received", "expected"),
        ("expected", "expected"),
        ("rejected", "expected"),
        ("unknown", "verified"),
    ],
)
def test_steps_that_are_refused(current: str, target: str) -> None:
    assert not may_move(current, target)


# Column names are the only part of the photo and upload UPDATEs built into the SQL text: they
# are checked against an allow-list before any statement runs.


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(tmp_path / "empty.db")
    try:
        yield db
    finally:
        db.close()


@pytest.mark.parametrize("column", ["rev", "agency_id", "sha256 = 'x', state"])
def test_set_photo_state_refuses_a_column_off_the_list(
    conn: sqlite3.Connection, column: str
) -> None:
    with pytest.raises(ValueError, match="not an updatable column"):
        repo.set_photo_state(conn, "photo", "verified", **{column: 1})


@pytest.mark.parametrize("column", ["id", "agency_id", "photo_id", "offset = 0, state"])
def test_update_upload_refuses_a_column_off_the_list(conn: sqlite3.Connection, column: str) -> None:
    with pytest.raises(ValueError, match="not an updatable column"):
        repo.update_upload(conn, "upload", **{column: 1})
