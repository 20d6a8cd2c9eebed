"""Checklist progress on the checklist row, refreshed once per write unit per checklist.

Pull's ``checklist`` record carries it, so a phone can show another agency's progress
without seeing its answers. The numbers come from :mod:`server.checklists.completeness`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

import msgspec

from server.checklists.completeness import missing, progress, required_count, visible_keys
from server.checklists.model import Template
from server.db.feed import ChangeRecorder
from server.sync.protocol import ChecklistProgress
from server.sync.templates import template_by_hash

_encoder = msgspec.json.Encoder()

COUNTED_PHOTOS = "item_key IS NOT NULL AND withdrawn_at IS NULL AND state != 'rejected'"
"""The photos (SQL condition on ``photos``) that count towards their item's progress."""


def checklist_progress(conn: sqlite3.Connection, checklist_id: str) -> ChecklistProgress | None:
    """The progress of one checklist from its answers and photos (None if it is unknown)."""
    return checklists_progress(conn, [checklist_id]).get(checklist_id)


def checklists_progress(
    conn: sqlite3.Connection, checklist_ids: Iterable[str]
) -> dict[str, ChecklistProgress]:
    """The progress of several checklists with three queries per 500; unknown ones are absent."""
    out: dict[str, ChecklistProgress] = {}
    ids = sorted(set(checklist_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        refs = conn.execute(
            "SELECT c.id, c.template_slug, c.template_version, t.body_sha256 FROM checklists c"
            " JOIN templates t ON t.slug = c.template_slug AND t.version = c.template_version"
            f" WHERE c.id IN ({marks})",
            chunk,
        ).fetchall()
        if not refs:
            continue
        answers: dict[str, dict[str, object]] = {row[0]: {} for row in refs}
        for checklist_id, key, value in conn.execute(
            f"SELECT checklist_id, item_key, value FROM answers WHERE checklist_id IN ({marks})",
            chunk,
        ):
            answers[checklist_id][key] = msgspec.json.decode(value)
        photo_counts: dict[str, dict[str, int]] = {row[0]: {} for row in refs}
        for checklist_id, key, count in conn.execute(
            f"SELECT checklist_id, item_key, count(*) FROM photos WHERE checklist_id IN ({marks})"
            f" AND {COUNTED_PHOTOS} GROUP BY checklist_id, item_key",
            chunk,
        ):
            photo_counts[checklist_id][key] = count
        for checklist_id, slug, version, digest in refs:
            template = template_by_hash(conn, slug, version, digest).template
            out[checklist_id] = progress_of(
                template, answers[checklist_id], photo_counts[checklist_id]
            )
    return out


def progress_of(
    template: Template, answers: Mapping[str, object], photo_counts: Mapping[str, int]
) -> ChecklistProgress:
    """The progress of a checklist with these answers (decoded) and photo counts per item."""
    shown = visible_keys(template, answers)
    done = progress(template, answers, photo_counts, shown)
    return ChecklistProgress(
        answered=done.done,
        visible=done.total,
        required=required_count(template, answers, shown),
        missing=len(missing(template, answers, photo_counts, shown)),
    )


def progress_json(value: ChecklistProgress) -> str:
    """The stored (and pulled) form, :class:`ChecklistProgress` as JSON."""
    return _encoder.encode(value).decode()


def refresh_progress(
    conn: sqlite3.Connection, checklist_ids: Iterable[str], change: ChangeRecorder
) -> None:
    """Recompute the progress of each checklist once; when it changed, store it and give the
    checklist a new ``rev`` so the next pull carries the new numbers."""
    for checklist_id in sorted(set(checklist_ids)):
        found = checklist_progress(conn, checklist_id)
        if found is None:
            continue
        row = conn.execute(
            "SELECT case_id, progress FROM checklists WHERE id = ?", (checklist_id,)
        ).fetchone()
        store_progress(conn, checklist_id, row[0], row[1], found, change=change)


def store_progress(
    conn: sqlite3.Connection,
    checklist_id: str,
    case_id: str,
    stored: str | None,
    found: ChecklistProgress,
    *,
    change: ChangeRecorder,
) -> None:
    """Store a checklist's new progress (``stored``: what it holds now), with a new ``rev``
    so the next pull carries it; nothing when it did not change."""
    text = progress_json(found)
    if stored == text:
        return
    rev = change(conn, "checklist", checklist_id, case_id=case_id, checklist_id=checklist_id)
    conn.execute(
        "UPDATE checklists SET progress = ?, rev = ? WHERE id = ?", (text, rev, checklist_id)
    )
