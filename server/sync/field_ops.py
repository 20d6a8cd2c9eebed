"""Append-only field ops: notes, photos, photo withdrawal, checklist submission."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import msgspec

from server.cases.progress import mark_inspected_when_done
from server.checklists.completeness import missing
from server.db.rows import insert_rows
from server.lib.errors import FieldError, NotFound, Unprocessable
from server.sync.answers import WriteResult
from server.sync.context import ChecklistInfo, PushContext, id_taken
from server.sync.merge import Outcome
from server.sync.protocol import AddNote, AttachPhoto, SubmitChecklist, WithdrawPhoto


def _check_item(info: ChecklistInfo, item_key: str | None) -> None:
    if item_key is not None and item_key not in info.template.items:
        message = f"Vraag {item_key!r} staat niet in {info.template.template.ref}."
        raise Unprocessable(message, slug="unknown-item", errors=[FieldError("item_key", message)])


_NOTE_INSERT = (
    "INSERT INTO notes (id, checklist_id, item_key, text, author_id, device_id, op_id,"
    " client_time, created_at, rev)"
)


class NoteWrites:
    """The notes of one write unit: which ids are taken is read in one query (:meth:`load`),
    the new notes are inserted with one multi-row INSERT (:meth:`flush`)."""

    def __init__(self) -> None:
        self._checked: set[str] = set()
        self._taken: set[str] = set()
        self._rows: list[tuple[Any, ...]] = []

    def load(self, conn: sqlite3.Connection, note_ids: Iterable[str]) -> None:
        """Find out which of ``note_ids`` exist already."""
        wanted = [i for i in dict.fromkeys(note_ids) if i not in self._checked]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            self._checked.update(chunk)
            marks = ",".join("?" * len(chunk))
            self._taken.update(
                row[0] for row in conn.execute(f"SELECT id FROM notes WHERE id IN ({marks})", chunk)
            )

    def taken(self, conn: sqlite3.Connection, note_id: str) -> bool:
        """True when a note with this id exists (or is about to be written)."""
        if note_id not in self._checked:
            self.load(conn, [note_id])
        return note_id in self._taken

    def add(self, row: tuple[Any, ...]) -> None:
        """A new note row (inserted at :meth:`flush`)."""
        self._taken.add(row[0])
        self._rows.append(row)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Insert the new notes."""
        if self._rows:
            insert_rows(conn, _NOTE_INSERT, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
            self._rows.clear()


def add_note(conn: sqlite3.Connection, ctx: PushContext, op: AddNote) -> WriteResult:
    """Append a note (never conflicts)."""
    info = ctx.writable(conn, op.checklist_id)
    _check_item(info, op.item_key)
    notes = ctx.notes if ctx.notes is not None else NoteWrites()
    if notes.taken(conn, op.note_id):
        raise id_taken("notitie")
    rev = ctx.change(conn, "note", op.note_id, case_id=info.case_id, checklist_id=info.id)
    notes.add(
        (
            op.note_id,
            info.id,
            op.item_key,
            op.text,
            ctx.user_id,
            ctx.device_id,
            op.op_id,
            op.client_time,
            ctx.now,
            rev,
        )
    )
    if ctx.notes is None:
        notes.flush(conn)
    return WriteResult(Outcome.WRITE, rev)


def attach_photo(conn: sqlite3.Connection, ctx: PushContext, op: AttachPhoto) -> WriteResult:
    """Register a photo; ``verified`` at once when the agency already holds the bytes."""
    info = ctx.writable(conn, op.checklist_id)
    _check_item(info, op.item_key)
    if conn.execute("SELECT 1 FROM photos WHERE id = ?", (op.photo_id,)).fetchone():
        raise id_taken("foto")
    held = ctx.blob(conn, info.agency_id, op.sha256)
    if held is None and op.sha256 not in ctx.missing_blobs:
        ctx.missing_blobs.append(op.sha256)
    # The same bytes verified earlier for this agency carry the EXIF facts of the original.
    twin = (
        conn.execute(
            "SELECT exif_time, exif_geo FROM photos WHERE agency_id = ? AND sha256 = ?"
            " AND state = 'verified' LIMIT 1",
            (info.agency_id, op.sha256),
        ).fetchone()
        if held
        else None
    )
    rev = ctx.change(conn, "photo", op.photo_id, case_id=info.case_id, checklist_id=info.id)
    conn.execute(
        "INSERT INTO photos (id, checklist_id, agency_id, item_key, sha256, size, mime,"
        " captured_at, geo, width, height, exif_time, exif_geo, state, author_id, device_id,"
        " op_id, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            op.photo_id,
            info.id,
            info.agency_id,
            op.item_key,
            op.sha256,
            op.size,
            op.mime,
            op.captured_at,
            msgspec.json.encode(op.geo).decode() if op.geo is not None else None,
            held[0] if held else None,
            held[1] if held else None,
            twin[0] if twin else None,
            twin[1] if twin else None,
            "verified" if held else "expected",
            ctx.user_id,
            ctx.device_id,
            op.op_id,
            ctx.now,
            rev,
        ),
    )
    return WriteResult(Outcome.WRITE, rev)


def withdraw_photo(conn: sqlite3.Connection, ctx: PushContext, op: WithdrawPhoto) -> WriteResult:
    """Mark a photo withdrawn; it stays in the evidence log."""
    row = conn.execute(
        "SELECT checklist_id, withdrawn_at, rev, item_key FROM photos WHERE id = ?",
        (op.photo_id,),
    ).fetchone()
    # A photo the caller may not see answers exactly like one that does not exist.
    if row is None or not ctx.sees_attached(conn, row[0], row[3]):
        raise NotFound(
            "Deze foto bestaat niet of u hebt er geen toegang toe.", slug="photo-not-found"
        )
    info = ctx.writable(conn, row[0])
    if row[1] is not None:
        return WriteResult(Outcome.CONVERGED, row[2])
    rev = ctx.change(conn, "photo", op.photo_id, case_id=info.case_id, checklist_id=info.id)
    conn.execute(
        "UPDATE photos SET withdrawn_at = ?, withdraw_reason = ?, rev = ? WHERE id = ?",
        (ctx.now, op.reason, rev, op.photo_id),
    )
    return WriteResult(Outcome.WRITE, rev)


def submit_checklist(
    conn: sqlite3.Connection, ctx: PushContext, op: SubmitChecklist
) -> WriteResult:
    """Submit: afterwards answers change only through amendments.

    On a returned checklist (still ``submitted``) a submit is valid again: it ends the
    return. On a submitted, not returned checklist it is a harmless duplicate.
    """
    info = ctx.writable(conn, op.checklist_id)
    if info.status == "submitted" and not info.returned:
        row = conn.execute("SELECT rev FROM checklists WHERE id = ?", (info.id,)).fetchone()
        return WriteResult(Outcome.CONVERGED, row[0])
    _require_complete(conn, info)
    rev = ctx.change(conn, "checklist", info.id, case_id=info.case_id, checklist_id=info.id)
    conn.execute(
        "UPDATE checklists SET status = 'submitted', submitted_at = ?, submitted_by = ?,"
        " returned_at = NULL, returned_by = NULL, rev = ? WHERE id = ?",
        (ctx.now, ctx.user_id, rev, info.id),
    )
    info.status = "submitted"
    info.returned = False
    mark_inspected_when_done(conn, info.case_id, ctx.change)
    return WriteResult(Outcome.WRITE, rev)


def _require_complete(conn: sqlite3.Connection, info: ChecklistInfo) -> None:
    """Refuse to submit while a visible required item or a demanded photo is missing."""
    answers = {
        key: msgspec.json.decode(value)
        for key, value in conn.execute(
            "SELECT item_key, value FROM answers WHERE checklist_id = ?", (info.id,)
        )
    }
    photo_counts: dict[str, int] = {
        key: count
        for key, count in conn.execute(
            "SELECT item_key, count(*) FROM photos WHERE checklist_id = ? AND item_key IS NOT NULL"
            " AND withdrawn_at IS NULL AND state != 'rejected' GROUP BY item_key",
            (info.id,),
        )
    }
    problems = missing(info.template.template, answers, photo_counts)
    if problems:
        labels = info.template.items
        raise Unprocessable(
            f"De checklist is nog niet compleet ({len(problems)} onderdelen): vul eerst "
            + "; ".join(f'"{labels[key].label}": {message}' for key, message in problems.items()),
            slug="checklist-incomplete",
            errors=[FieldError(f"items.{key}", message) for key, message in problems.items()],
        )
