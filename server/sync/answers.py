"""Answer writes: the merge rule applied to storage, and conflict records."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import msgspec

from server.db.feed import ChangeRecorder, record_change
from server.db.rows import insert_rows
from server.lib.errors import Conflict, FieldError, Unprocessable
from server.lib.ids import uuid7
from server.sync.context import ChecklistInfo, PushContext
from server.sync.merge import CurrentWrite, Outcome, decide
from server.sync.protocol import AmendAnswer, AnswerValue, SetAnswer, sorted_encoder
from server.sync.values import check_value


class Write(msgspec.Struct, gc=False):
    """One answer write, from a device op or a server op (``device_id``/``seq`` None)."""

    checklist_id: str
    case_id: str
    item_key: str
    value: bytes  # canonical JSON
    op_id: str
    author_id: str
    device_id: str | None
    seq: int | None
    client_time: str | None
    base_rev: int | None
    amended: bool
    now: str


class WriteResult(msgspec.Struct, gc=False):
    """What happened: the field's rev after the write, and a conflict id if one was recorded."""

    outcome: Outcome
    rev: int
    conflict_id: str | None = None


def canonical(value: AnswerValue) -> bytes:
    """The canonical JSON of a value (used for storage and equality)."""
    return sorted_encoder.encode(value)


def _candidate(
    value: bytes,
    *,
    op_id: str,
    author_id: str,
    device_id: str | None,
    client_time: str | None,
    rev: int,
    overwrote: bytes | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "value": msgspec.Raw(value),
        "op_id": op_id,
        "author_id": author_id,
        "device_id": device_id,
        "client_time": client_time,
        "rev": rev,
    }
    if overwrote is not None:  # unknown for writes stored before the value was kept
        out["overwrote"] = msgspec.Raw(overwrote)
    return out


def _record_conflict(
    conn: sqlite3.Connection,
    write: Write,
    current: _Field,
    new_rev: int,
    change: ChangeRecorder,
) -> str:
    row = conn.execute("SELECT client_time FROM ops WHERE op_id = ?", (current.op_id,)).fetchone()
    old = _candidate(
        current.value,
        op_id=current.op_id,
        author_id=current.author_id,
        device_id=current.device_id,
        client_time=row[0] if row is not None else None,
        rev=current.rev,
        overwrote=current.overwrote,
    )
    new = _candidate(
        write.value,
        op_id=write.op_id,
        author_id=write.author_id,
        device_id=write.device_id,
        client_time=write.client_time,
        rev=new_rev,
        overwrote=current.value,
    )
    open_row = conn.execute(
        "SELECT id, candidates FROM conflicts WHERE checklist_id = ? AND item_key = ?"
        " AND status = 'open'",
        (write.checklist_id, write.item_key),
    ).fetchone()
    if open_row is not None:
        conflict_id: str = open_row[0]
        candidates: list[Any] = msgspec.json.decode(open_row[1])
        known = {c["op_id"] for c in candidates}
        candidates += [c for c in (old, new) if c["op_id"] not in known]
        rev = change(
            conn, "conflict", conflict_id, case_id=write.case_id, checklist_id=write.checklist_id
        )
        conn.execute(
            "UPDATE conflicts SET candidates = ?, rev = ? WHERE id = ?",
            (msgspec.json.encode(candidates).decode(), rev, conflict_id),
        )
        return conflict_id
    conflict_id = uuid7()
    rev = change(
        conn, "conflict", conflict_id, case_id=write.case_id, checklist_id=write.checklist_id
    )
    conn.execute(
        "INSERT INTO conflicts (id, checklist_id, case_id, item_key, status, candidates,"
        " created_at, rev) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
        (
            conflict_id,
            write.checklist_id,
            write.case_id,
            write.item_key,
            msgspec.json.encode([old, new]).decode(),
            write.now,
            rev,
        ),
    )
    return conflict_id


class _Field(msgspec.Struct, gc=False):
    """A field's current write as the answers table holds it (or will, once flushed)."""

    value: bytes  # canonical JSON
    rev: int
    op_id: str
    author_id: str
    device_id: str | None
    seq: int | None
    overwrote: bytes | None  # None: unknown (written before the value was kept)


# The columns of an answer row that _stored reads, after checklist_id and item_key.
_STORED_COLUMNS = "value, rev, op_id, author_id, device_id, seq, overwrote"


def _stored(row: tuple[Any, ...]) -> _Field:
    """A field's current write from a row of ``checklist_id, item_key, _STORED_COLUMNS``."""
    return _Field(
        row[2].encode(),
        row[3],
        row[4],
        row[5],
        row[6],
        row[7],
        row[8].encode() if row[8] is not None else None,
    )


_INSERT = (
    "INSERT INTO answers (checklist_id, item_key, value, rev, op_id, author_id, device_id,"
    " seq, amended, updated_at, overwrote)"
)
_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'null')"
_ON_CONFLICT = (
    " ON CONFLICT (checklist_id, item_key) DO UPDATE SET value = excluded.value,"
    " overwrote = answers.value,"
    " rev = excluded.rev, op_id = excluded.op_id, author_id = excluded.author_id,"
    " device_id = excluded.device_id, seq = excluded.seq,"
    " amended = max(answers.amended, excluded.amended), updated_at = excluded.updated_at"
)
_CHUNK = 400  # fields per read (two parameters each)


class AnswerWrites:
    """The answer writes of one write unit: decide per push, write per push.

    :meth:`load` reads the current write of every field the unit is about to touch in one
    query; :meth:`store` decides each write with the merge rule (:func:`decide`) against
    that state in memory and keeps it up to date; :meth:`flush` writes the decided answers
    with one multi-row upsert, in the order they were decided (SQLite runs the rows one
    after the other, so ``overwrote`` and ``amended`` come out as if each had been written
    on its own). Conflict records are
    written as they arise: they are rare and nothing in the unit reads them back.

    Valid while the unit writes answers only through this object; call :meth:`flush`
    before anything reads the answers table.
    """

    def __init__(self, change: ChangeRecorder = record_change, *, whole: bool = False) -> None:
        self.change = change
        self.whole = whole  # read a checklist's answers all at once, at its first write
        self._fields: dict[tuple[str, str], _Field | None] = {}
        self._rows: list[tuple[Any, ...]] = []
        self._whole: dict[str, set[str]] = {}  # checklists read whole: their answered keys

    def load_checklists(self, conn: sqlite3.Connection, checklist_ids: Iterable[str]) -> None:
        """Read every current write of these checklists, so that :meth:`answers_of` knows
        all of their answers (and :meth:`store` needs no read for any of their fields)."""
        wanted = [c for c in dict.fromkeys(checklist_ids) if c not in self._whole]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            keys: dict[str, set[str]] = {c: set() for c in chunk}
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT checklist_id, item_key, {_STORED_COLUMNS} FROM answers"
                f" WHERE checklist_id IN ({marks})",
                chunk,
            ):
                key = (row[0], row[1])
                if key not in self._fields:  # a field decided in this unit stays as decided
                    self._fields[key] = _stored(row)
            for (checklist_id, item_key), found in self._fields.items():
                if found is not None and checklist_id in keys:
                    keys[checklist_id].add(item_key)
            self._whole.update(keys)

    def answers_of(self, checklist_id: str) -> dict[str, bytes] | None:
        """Every answer of a checklist read whole, as it stands in this unit (canonical JSON
        per item key); None for a checklist that was not read whole."""
        keys = self._whole.get(checklist_id)
        if keys is None:
            return None
        fields = self._fields
        return {key: fields[(checklist_id, key)].value for key in keys}  # type: ignore[union-attr]

    def load(self, conn: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> None:
        """Read the current writes of the ``(checklist_id, item_key)`` fields not known yet."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._fields]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for key in chunk:
                self._fields[key] = None
            values = ", ".join(["(?, ?)"] * len(chunk))
            for row in conn.execute(
                f"SELECT a.checklist_id, a.item_key, {_STORED_COLUMNS} FROM (VALUES {values})"
                " AS k JOIN answers a ON a.checklist_id = k.column1 AND a.item_key = k.column2",
                [part for key in chunk for part in key],
            ):
                self._fields[(row[0], row[1])] = _stored(row)

    def store(self, conn: sqlite3.Connection, write: Write) -> WriteResult:
        """Merge one write (merge rule), recording a conflict if needed; the answer row is
        written at :meth:`flush`."""
        key = (write.checklist_id, write.item_key)
        whole = self._whole.get(write.checklist_id)
        if whole is None and self.whole:
            self.load_checklists(conn, [write.checklist_id])
            whole = self._whole[write.checklist_id]
        if whole is not None:
            current = self._fields.get(key)
        else:
            if key not in self._fields:
                self.load(conn, [key])
            current = self._fields[key]
        seen = (
            None
            if current is None
            else CurrentWrite(current.value, current.rev, current.device_id, current.seq)
        )
        outcome = decide(seen, write.value, write.base_rev, write.device_id, write.seq)
        if outcome is Outcome.CONVERGED:
            return WriteResult(outcome, _existing(current, outcome).rev)
        rev = self.change(
            conn,
            "answer",
            f"{write.checklist_id}/{write.item_key}",
            case_id=write.case_id,
            checklist_id=write.checklist_id,
        )
        self._rows.append(
            (
                write.checklist_id,
                write.item_key,
                write.value.decode(),
                rev,
                write.op_id,
                write.author_id,
                write.device_id,
                write.seq,
                int(write.amended),
                write.now,
            )
        )
        if whole is not None:
            whole.add(write.item_key)
        self._fields[key] = _Field(
            write.value,
            rev,
            write.op_id,
            write.author_id,
            write.device_id,
            write.seq,
            current.value if current is not None else b"null",
        )
        if outcome is Outcome.CONFLICT:
            existing = _existing(current, outcome)
            return WriteResult(
                outcome, rev, _record_conflict(conn, write, existing, rev, self.change)
            )
        return WriteResult(outcome, rev)

    def flush(self, conn: sqlite3.Connection) -> None:
        """Write the decided answers (one multi-row upsert)."""
        if self._rows:
            insert_rows(conn, _INSERT, _ROW, self._rows, _ON_CONFLICT)
            self._rows.clear()


def _existing(current: _Field | None, outcome: Outcome) -> _Field:
    """The field's current write; the merge rule converges or conflicts only with one."""
    if current is None:
        raise RuntimeError(f"merge outcome {outcome.name} for a field that has no write yet")
    return current


def store_answer(
    conn: sqlite3.Connection, write: Write, change: ChangeRecorder = record_change
) -> WriteResult:
    """Merge one write into the answers table (merge rule), recording a conflict if needed."""
    writes = AnswerWrites(change)
    result = writes.store(conn, write)
    writes.flush(conn)
    return result


def checked_value(info: ChecklistInfo, item_key: str, value: AnswerValue) -> bytes:
    """The canonical value for an item of the checklist's template, or 422."""
    item = info.template.items.get(item_key)
    if item is None:
        message = f"Vraag {item_key!r} staat niet in {info.template.template.ref}."
        raise Unprocessable(message, slug="unknown-item", errors=[FieldError("item_key", message)])
    return canonical(check_value(item, value))


def apply_answer(
    conn: sqlite3.Connection, ctx: PushContext, op: SetAnswer | AmendAnswer
) -> WriteResult:
    """``set_answer`` (open checklists) and ``amend_answer`` (submitted checklists)."""
    info = ctx.writable(conn, op.checklist_id)
    amend = isinstance(op, AmendAnswer)
    if not amend and info.status == "submitted":
        raise Conflict(
            "Deze checklist is al ingediend; wijzig antwoorden met amend_answer en een reden.",
            slug="checklist-submitted",
        )
    if amend and info.status != "submitted":
        raise Conflict(
            "Deze checklist is nog niet ingediend; gebruik set_answer.", slug="checklist-open"
        )
    value = checked_value(info, op.item_key, op.value)
    write = Write(
        checklist_id=info.id,
        case_id=info.case_id,
        item_key=op.item_key,
        value=value,
        op_id=op.op_id,
        author_id=ctx.user_id,
        device_id=ctx.device_id,
        seq=op.seq,
        client_time=op.client_time,
        base_rev=op.base_rev,
        amended=amend,
        now=ctx.now,
    )
    if ctx.answers is None:
        return store_answer(conn, write, ctx.change)
    return ctx.answers.store(conn, write)
