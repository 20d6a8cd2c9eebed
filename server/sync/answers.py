"""Answer writes: the merge rule applied to storage, and conflict records."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import msgspec

from server.db.feed import ChangeRecorder, record_change
from server.lib.errors import Conflict, FieldError, Unprocessable
from server.lib.ids import uuid7
from server.sync.context import ChecklistInfo, PushContext
from server.sync.merge import CurrentWrite, Outcome, decide
from server.sync.protocol import AmendAnswer, AnswerValue, SetAnswer, sorted_encoder
from server.sync.values import check_value


@dataclass(frozen=True, slots=True)
class Write:
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


@dataclass(frozen=True, slots=True)
class WriteResult:
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
    current: sqlite3.Row,
    new_rev: int,
    change: ChangeRecorder,
) -> str:
    row = conn.execute(
        "SELECT client_time FROM ops WHERE op_id = ?", (current["op_id"],)
    ).fetchone()
    old = _candidate(
        current["value"].encode(),
        op_id=current["op_id"],
        author_id=current["author_id"],
        device_id=current["device_id"],
        client_time=row[0] if row is not None else None,
        rev=current["rev"],
        overwrote=current["overwrote"].encode() if current["overwrote"] is not None else None,
    )
    new = _candidate(
        write.value,
        op_id=write.op_id,
        author_id=write.author_id,
        device_id=write.device_id,
        client_time=write.client_time,
        rev=new_rev,
        overwrote=current["value"].encode(),
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


def _existing(current: sqlite3.Row | None, outcome: Outcome) -> sqlite3.Row:
    """The field's current write; the merge rule converges or conflicts only with one."""
    if current is None:
        raise RuntimeError(f"merge outcome {outcome.name} for a field that has no write yet")
    return current


def store_answer(
    conn: sqlite3.Connection, write: Write, change: ChangeRecorder = record_change
) -> WriteResult:
    """Merge one write into the answers table (merge rule), recording a conflict if needed."""
    current = conn.execute(
        "SELECT value, rev, op_id, author_id, device_id, seq, overwrote FROM answers"
        " WHERE checklist_id = ? AND item_key = ?",
        (write.checklist_id, write.item_key),
    ).fetchone()
    seen = (
        None
        if current is None
        else CurrentWrite(current[0].encode(), current[1], current[4], current[5])
    )
    outcome = decide(seen, write.value, write.base_rev, write.device_id, write.seq)
    if outcome is Outcome.CONVERGED:
        return WriteResult(outcome, _existing(current, outcome)[1])
    rev = change(
        conn,
        "answer",
        f"{write.checklist_id}/{write.item_key}",
        case_id=write.case_id,
        checklist_id=write.checklist_id,
    )
    conn.execute(
        "INSERT INTO answers (checklist_id, item_key, value, rev, op_id, author_id, device_id,"
        " seq, amended, updated_at, overwrote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'null')"
        " ON CONFLICT (checklist_id, item_key) DO UPDATE SET value = excluded.value,"
        " overwrote = answers.value,"
        " rev = excluded.rev, op_id = excluded.op_id, author_id = excluded.author_id,"
        " device_id = excluded.device_id, seq = excluded.seq,"
        " amended = max(answers.amended, excluded.amended), updated_at = excluded.updated_at",
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
        ),
    )
    if outcome is Outcome.CONFLICT:
        existing = _existing(current, outcome)
        return WriteResult(outcome, rev, _record_conflict(conn, write, existing, rev, change))
    return WriteResult(outcome, rev)


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
    return store_answer(
        conn,
        Write(
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
        ),
        ctx.change,
    )
