"""Checklist progress on the checklist row, refreshed once per write unit per checklist.

Pull's ``checklist`` record carries it, so a phone can show another agency's progress
without seeing its answers. The numbers come from :mod:`server.checklists.completeness`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from server.checklists.completeness import missing, progress, required_count
from server.db.feed import ChangeRecorder
from server.sync.protocol import ChecklistProgress
from server.sync.templates import template_by_hash

_encoder = msgspec.json.Encoder()


def checklist_progress(conn: sqlite3.Connection, checklist_id: str) -> ChecklistProgress | None:
    """The progress of one checklist from its answers and photos (None if it is unknown)."""
    row = conn.execute(
        "SELECT c.template_slug, c.template_version, t.body_sha256 FROM checklists c"
        " JOIN templates t ON t.slug = c.template_slug AND t.version = c.template_version"
        " WHERE c.id = ?",
        (checklist_id,),
    ).fetchone()
    if row is None:
        return None
    template = template_by_hash(conn, row[0], row[1], row[2]).template
    answers = {
        key: msgspec.json.decode(value)
        for key, value in conn.execute(
            "SELECT item_key, value FROM answers WHERE checklist_id = ?", (checklist_id,)
        )
    }
    photo_counts: dict[str, int] = {
        key: count
        for key, count in conn.execute(
            "SELECT item_key, count(*) FROM photos WHERE checklist_id = ? AND item_key IS NOT NULL"
            " AND withdrawn_at IS NULL AND state != 'rejected' GROUP BY item_key",
            (checklist_id,),
        )
    }
    done = progress(template, answers, photo_counts)
    return ChecklistProgress(
        answered=done.done,
        visible=done.total,
        required=required_count(template, answers),
        missing=len(missing(template, answers, photo_counts)),
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
        text = progress_json(found)
        row = conn.execute(
            "SELECT case_id, progress FROM checklists WHERE id = ?", (checklist_id,)
        ).fetchone()
        if row[1] == text:
            continue
        rev = change(conn, "checklist", checklist_id, case_id=row[0], checklist_id=checklist_id)
        conn.execute(
            "UPDATE checklists SET progress = ?, rev = ? WHERE id = ?", (text, rev, checklist_id)
        )
