"""Push: per-device sequencing, per-op decoding and dispatch, all in one write unit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.db.feed import ChangeBuffer, current_epoch
from server.db.rows import insert_rows
from server.lib.clock import now_iso
from server.lib.errors import (
    Conflict,
    DeviceRevoked,
    DomainError,
    Forbidden,
    Problem,
)
from server.lib.ids import uuid7
from server.sync.answers import AnswerWrites, WriteResult, apply_answer
from server.sync.client_state import decode_client_state, store_client_state
from server.sync.context import PushContext
from server.sync.create_case import create_case
from server.sync.envelope import UNCHECKED_TYPES, RawOp, decode_op, decode_ops, same_op
from server.sync.field_ops import (
    NoteWrites,
    add_note,
    attach_photo,
    submit_checklist,
    withdraw_photo,
)
from server.sync.merge import Outcome
from server.sync.progress import progress_of, refresh_progress, store_progress
from server.sync.protocol import (
    AddNote,
    AmendAnswer,
    AttachPhoto,
    CreateCase,
    Op,
    OpResult,
    PushEnvelope,
    PushResponse,
    SetAnswer,
    StoredResult,
    SubmitChecklist,
    WithdrawPhoto,
    encoder,
    stored_result_decoder,
)

Handler = Callable[[sqlite3.Connection, PushContext, Any], WriteResult]
HANDLERS: dict[type[Any], Handler] = {
    SetAnswer: apply_answer,
    AmendAnswer: apply_answer,
    AddNote: add_note,
    AttachPhoto: attach_photo,
    WithdrawPhoto: withdraw_photo,
    CreateCase: create_case,
    SubmitChecklist: submit_checklist,
}
HANDLERS.update({fast: HANDLERS[base] for fast, base in UNCHECKED_TYPES.items()})
_values = msgspec.json.Decoder()
BATCHED = (SetAnswer, AmendAnswer, AddNote)
"""Ops whose writes wait in the push's batches (:class:`AnswerWrites`, :class:`NoteWrites`);
any other op first flushes them, since it may read what they write."""
_BATCHED_TYPES = frozenset(
    kind for kind in HANDLERS if UNCHECKED_TYPES.get(kind, kind) in BATCHED
)  # every type a batched op decodes to (a set lookup: isinstance on a Struct class is slow)


class _Prior(msgspec.Struct, gc=False):
    op_id: str
    user_id: str
    digest: str
    status: str
    result: bytes
    payload: bytes = b""


def _result_of(seq: int, prior: _Prior, status: str = "duplicate") -> OpResult:
    stored = stored_result_decoder.decode(prior.result)
    return OpResult(
        seq=seq,
        status="duplicate",
        op_id=prior.op_id,
        rev=stored.rev,
        conflict_id=stored.conflict_id,
        problem=stored.problem,
        original_status=prior.status,  # type: ignore[arg-type]
    )


def _rejected(seq: int, op_id: str | None, problem: Problem) -> OpResult:
    return OpResult(seq=seq, status="rejected", op_id=op_id, problem=problem)


def _buffer(ctx: PushContext) -> ChangeBuffer:
    """The push's change buffer (a push always records its changes through one)."""
    if not isinstance(ctx.change, ChangeBuffer):
        raise TypeError("a push records its changes through a ChangeBuffer")
    return ctx.change


class PushUnit:
    """The write unit of one push (runs on the writer thread)."""

    def __init__(self, principal: Principal, envelope: PushEnvelope, ops: list[RawOp]) -> None:
        self.principal = principal
        self.device_id = envelope.device_id
        self.ops = ops
        self.gap = envelope.gap
        self.touched: set[str] = set()  # checklists whose progress may have changed
        self.reread: set[str] = set()  # ... by an op other than an answer or a note
        self.client_state = decode_client_state(envelope.client_state, envelope.device_id)

    def __call__(self, conn: sqlite3.Connection) -> PushResponse | DomainError:
        principal = self.principal
        device = conn.execute(
            "SELECT user_id, revoked_at, last_seq, answered_epoch FROM devices WHERE id = ?",
            (self.device_id,),
        ).fetchone()
        error: DomainError | None = None
        if device is None or device[0] != principal.user_id:
            error = Forbidden(
                "Dit apparaat hoort niet bij uw account; log op dit apparaat opnieuw in.",
                slug="device-not-yours",
            )
        elif self.device_id != principal.device_id:
            error = Forbidden(
                "Het device_id in de push is niet het apparaat waarop u bent ingelogd; stuur "
                "de ops van elk apparaat met het token van dat apparaat.",
                slug="device-not-token",
            )
        elif device[1] is not None:
            error = DeviceRevoked("Dit apparaat is ingetrokken. Wis de gegevens op het apparaat.")
        if error is not None:
            append(
                conn,
                principal.actor(),
                "sync.push",
                result="denied",
                object_type="device",
                object_id=self.device_id,
                detail={"reason": error.slug, "ops": len(self.ops)},
            )
            return error
        epoch = current_epoch(conn)
        now = now_iso()
        if self.client_state is not None:
            store_client_state(conn, self.device_id, self.client_state, now)
        if int(device[3]) < epoch:
            return self._first_after_restore(conn, int(device[2]), epoch, now)
        buffer = ChangeBuffer(now)
        ctx = PushContext(
            principal,
            self.device_id,
            epoch,
            now,
            change=buffer,
            answers=AnswerWrites(buffer, whole=True),
            notes=NoteWrites(),
        )
        return self._run(conn, ctx, int(device[2]))

    def _first_after_restore(
        self, conn: sqlite3.Connection, last_seq: int, epoch: int, now: str
    ) -> PushResponse:
        """Sync protocol "Restore without loss": the first push of a device after a restore
        applies nothing.

        The device cannot know of the restore before this answer, so its ops are never taken
        as the continuation of what the restored database holds: the answer says where to
        continue (``expected_seq``) in the new ``epoch``, and the device re-sends every op it
        still holds from there, or declares the seqs it no longer holds as a ``gap``.
        """
        conn.execute(
            "UPDATE devices SET answered_epoch = ?, last_seen_at = ? WHERE id = ?",
            (epoch, now, self.device_id),
        )
        append(
            conn,
            self.principal.actor(),
            "sync.push",
            object_type="device",
            object_id=self.device_id,
            detail={
                "ops": len(self.ops),
                "applied": 0,
                "last_seq": last_seq,
                "expected_seq": last_seq + 1,
                "new_epoch": epoch,
            },
        )
        return PushResponse(
            last_seq=last_seq,
            results=[],
            missing_blobs=[],
            expected_seq=last_seq + 1,
            epoch=epoch,
        )

    def _declared_gap(self, conn: sqlite3.Connection, ctx: PushContext, last_seq: int) -> int:
        """Take the envelope's ``gap`` (seqs the device no longer holds); return ``last_seq``.

        Only a gap that starts at or before ``last_seq + 1`` and reaches beyond ``last_seq``
        moves the sequence; the hole is audited (``sync.hole``). A gap the server has already
        passed (a re-sent push) changes nothing; one that starts later leaves the ordinary
        rule to answer ``expected_seq``.
        """
        gap = self.gap
        if gap is None or not gap.from_ <= last_seq + 1 <= gap.to:
            return last_seq
        append(
            conn,
            self.principal.actor(),
            "sync.hole",
            result="lost",
            object_type="device",
            object_id=self.device_id,
            detail={"first_seq": last_seq + 1, "last_seq": gap.to, "epoch": ctx.epoch},
        )
        return gap.to

    def _priors(
        self, conn: sqlite3.Connection, last_seq: int
    ) -> tuple[dict[int, _Prior], dict[str, _Prior]]:
        by_seq: dict[int, _Prior] = {}
        old = [op.seq for op in self.ops if op.seq <= last_seq]
        if old:
            for row in conn.execute(
                "SELECT seq, op_id, user_id, payload_hash, status, result FROM ops"
                " WHERE device_id = ? AND seq BETWEEN ? AND ?",
                (self.device_id, min(old), max(old)),
            ):
                by_seq[row[0]] = _Prior(row[1], row[2], row[3], row[4], row[5].encode())
        ids = [op.op_id for op in self.ops if op.op_id]
        by_id: dict[str, _Prior] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT op_id, user_id, payload_hash, status, result, payload FROM ops"
                f" WHERE op_id IN ({marks})",
                chunk,
            ):
                by_id[row[0]] = _Prior(
                    row[0], row[1], row[2], row[3], row[4].encode(), row[5].encode()
                )
        return by_seq, by_id

    def _decode_all(
        self, conn: sqlite3.Connection, ctx: PushContext, last_seq: int, held: dict[int, _Prior]
    ) -> list[Op | DomainError | None]:
        """Decode every op the server does not hold yet (None for those it holds), and read
        which of the notes' ids are taken in one query. (The answers of a checklist are read
        all at once at the push's first write to it: :class:`AnswerWrites` ``whole``.)"""
        todo = [op.raw for op in self.ops if not (op.seq <= last_seq and op.seq in held)]
        typed_ops = iter(decode_ops(todo))
        decoded: list[Op | DomainError | None] = [
            None if op.seq <= last_seq and op.seq in held else next(typed_ops) for op in self.ops
        ]
        note_ids = [typed.note_id for typed in decoded if isinstance(typed, AddNote)]
        if note_ids and ctx.notes is not None:
            ctx.notes.load(conn, note_ids)
        return decoded

    @staticmethod
    def _flush(conn: sqlite3.Connection, ctx: PushContext) -> None:
        """Write the batched answers and notes."""
        if ctx.answers is not None:
            ctx.answers.flush(conn)
        if ctx.notes is not None:
            ctx.notes.flush(conn)

    def _run(self, conn: sqlite3.Connection, ctx: PushContext, last_seq: int) -> PushResponse:
        by_seq, by_id = self._priors(conn, last_seq)
        last_seq = self._declared_gap(conn, ctx, last_seq)
        decoded = self._decode_all(conn, ctx, last_seq, by_seq)
        results: list[OpResult] = []
        rows: list[tuple[Any, ...]] = []
        expected: int | None = None
        counts = {"applied": 0, "conflict": 0, "rejected": 0, "duplicate": 0}
        for op, typed in zip(self.ops, decoded, strict=True):
            prior = by_seq.get(op.seq) if op.seq <= last_seq else None
            if prior is not None:
                if prior.digest != op.digest:
                    result = _rejected(
                        op.seq,
                        prior.op_id,
                        Conflict(
                            f"Volgnummer {op.seq} is al gebruikt voor een andere op.",
                            slug="seq-reused",
                        ).problem(),
                    )
                else:
                    result = _result_of(op.seq, prior)
                counts[result.status] += 1
                results.append(result)
                continue
            if op.seq > last_seq + 1:
                expected = last_seq + 1  # never a gap the device did not declare
                break
            # seq <= last_seq without a stored op: a seq the server passed without holding
            # its op (inside a declared gap). The device still holds it: apply it, never
            # refuse it as unknown.
            last_seq = max(last_seq, op.seq)
            result, row = self._apply(conn, ctx, op, typed, by_id)
            if row is not None:
                rows.append(row)
                prior = _Prior(row[0], ctx.user_id, op.digest, row[7], row[8].encode(), op.raw)
                by_seq[op.seq] = prior
                by_id.setdefault(row[0], prior)
            counts[result.status] += 1
            results.append(result)
        buffer = _buffer(ctx)
        self._flush(conn, ctx)
        self._refresh_progress(conn, ctx, buffer)
        buffer.flush(conn)
        if rows:
            insert_rows(
                conn,
                "INSERT INTO ops (op_id, device_id, seq, user_id, kind, payload, payload_hash,"
                " status, result, client_time, received_at, epoch, checklist_id)",
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        conn.execute(
            "UPDATE devices SET last_seq = ?, answered_epoch = ?, last_seen_at = ? WHERE id = ?",
            (last_seq, ctx.epoch, ctx.now, self.device_id),
        )
        detail: dict[str, Any] = {"ops": len(self.ops), **counts, "last_seq": last_seq}
        if expected is not None:
            detail["expected_seq"] = expected
        if self.ops or self.gap is not None:  # an empty push is a state report: not audited
            append(
                conn,
                self.principal.actor(),
                "sync.push",
                object_type="device",
                object_id=self.device_id,
                detail=detail,
            )
        return PushResponse(
            last_seq=last_seq,
            results=results,
            missing_blobs=ctx.missing_blobs,
            expected_seq=expected,
            epoch=ctx.epoch,
        )

    @classmethod
    def _dispatch(cls, conn: sqlite3.Connection, ctx: PushContext, op: Op) -> WriteResult:
        """Run the op's handler. Handlers check everything before writing; only
        ``create_case`` writes several tables that constraints could still refuse, so it
        alone gets a savepoint (they cost a few microseconds per op). Batched writes are
        flushed before any other op."""
        if type(op) in _BATCHED_TYPES:
            return HANDLERS[type(op)](conn, ctx, op)
        cls._flush(conn, ctx)
        if not isinstance(op, CreateCase):
            return HANDLERS[type(op)](conn, ctx, op)
        buffer = _buffer(ctx)
        mark = buffer.mark()
        conn.execute("SAVEPOINT op")
        try:
            result = create_case(conn, ctx, op)
        except BaseException:
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            buffer.reset(mark)
            raise
        conn.execute("RELEASE op")
        return result

    def _refresh_progress(
        self, conn: sqlite3.Connection, ctx: PushContext, buffer: ChangeBuffer
    ) -> None:
        """Refresh the progress of every checklist an applied op changed, once.

        A checklist that only answers and notes changed is computed from what the push holds
        in memory: all of its answers (read whole at its first write, or now for a checklist
        that only got notes: :meth:`AnswerWrites.load_checklists`) and its photo counts and
        stored progress (read with the checklist). Any other op may change what those hold,
        so its checklist is read again (:func:`refresh_progress`).
        """
        for checklist_id in sorted(self.touched):
            info = ctx.cached(checklist_id)
            if info is None or ctx.answers is None or checklist_id in self.reread:
                refresh_progress(conn, [checklist_id], buffer)
                continue
            ctx.answers.load_checklists(conn, [checklist_id])  # nothing to read when read whole
            answers = ctx.answers.answers_of(checklist_id) or {}
            found = progress_of(
                info.template.template,
                {key: _values.decode(value) for key, value in answers.items()},
                info.photo_counts,
            )
            store_progress(conn, checklist_id, info.case_id, info.progress, found, change=buffer)

    def _touch(self, conn: sqlite3.Connection, op: Op) -> None:
        """Note the checklist an applied op changed (its progress is refreshed once)."""
        checklist_id = getattr(op, "checklist_id", None)
        if type(op) is WithdrawPhoto:
            row = conn.execute(
                "SELECT checklist_id FROM photos WHERE id = ?", (op.photo_id,)
            ).fetchone()
            checklist_id = row[0] if row is not None else None
        if isinstance(checklist_id, str):
            self.touched.add(checklist_id)
            if type(op) not in _BATCHED_TYPES:
                self.reread.add(checklist_id)

    def _apply(
        self,
        conn: sqlite3.Connection,
        ctx: PushContext,
        op: RawOp,
        typed: Op | DomainError | None,
        by_id: dict[str, _Prior],
    ) -> tuple[OpResult, tuple[Any, ...] | None]:
        """Decode and apply one op in its own savepoint; return its result and ops row."""
        op_id, kind, client_time = op.op_id, op.kind, op.client_time
        if op_id is not None:
            prior = by_id.get(op_id)
            if (
                prior is not None
                and prior.user_id == ctx.user_id
                and same_op(prior.payload, op.raw)
            ):
                return _result_of(op.seq, prior), None
        stored_id = op_id if op_id is not None and op_id not in by_id else uuid7()
        try:
            decoded = typed if typed is not None else decode_op(op.raw)
            if isinstance(decoded, DomainError):
                raise decoded
            if op_id in by_id:
                if by_id[op_id].user_id == ctx.user_id:
                    raise Conflict(
                        "Dit op_id is al gebruikt voor een andere op; maak voor elke nieuwe "
                        "wijziging een nieuw UUIDv7-id aan.",
                        slug="op-id-reused",
                    )
                raise Conflict(
                    "Dit op_id is al in gebruik; maak een nieuw UUIDv7-id aan.",
                    slug="op-id-taken",
                )
            outcome = self._dispatch(conn, ctx, decoded)
            self._touch(conn, decoded)
        except DomainError as exc:
            problem = exc.problem()
            result = _rejected(op.seq, op_id, problem)
            stored = StoredResult(problem=problem)
            status = "rejected"
        else:
            status = "conflict" if outcome.outcome is Outcome.CONFLICT else "applied"
            result = OpResult(
                seq=op.seq,
                status=status,  # type: ignore[arg-type]
                op_id=op_id,
                rev=outcome.rev,
                conflict_id=outcome.conflict_id,
            )
            stored = StoredResult(rev=outcome.rev, conflict_id=outcome.conflict_id)
        row = (
            stored_id,
            ctx.device_id,
            op.seq,
            ctx.user_id,
            kind[:40],
            op.raw.decode(errors="replace"),  # an op that is not UTF-8 is rejected
            op.digest,
            status,
            encoder.encode(stored).decode(),
            client_time,
            ctx.now,
            ctx.epoch,
            op.checklist_id,
        )
        return result, row
