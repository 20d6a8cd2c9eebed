"""Team-lead actions on a checklist: resolve conflicts, return to officer, release items.

Each is a server op in the ``ops`` log (no device, no seq), audited, and reaches devices
through pull. Only a team lead of the owning agency may act; anyone not on the case gets 404.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Annotated, Any

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases.scope import load_case_scope, reader_of
from server.cases.service import case_closed
from server.cases.visibility import may_review, on_case, releasable, writes_closed
from server.db.feed import current_epoch, record_change
from server.lib.clock import now_iso
from server.lib.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from server.lib.ids import uuid7
from server.sync.answers import Write, checked_value, store_answer
from server.sync.context import ChecklistInfo, PushContext
from server.sync.progress import refresh_progress
from server.sync.protocol import AnswerValue, ItemKey, encoder, sorted_encoder

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class ResolveRequest(msgspec.Struct, forbid_unknown_fields=False):
    """Pick a candidate by index, or enter a new value; always with a reason."""

    reason: Text
    candidate: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    value: AnswerValue | msgspec.UnsetType = msgspec.UNSET


class CommentRequest(msgspec.Struct):
    """Return to officer: a comment on the checklist or one item."""

    text: Text
    item_key: ItemKey | None = None


class ReleaseRequest(msgspec.Struct):
    """Release shareable items into the shared summary, with a stated basis."""

    item_keys: Annotated[list[ItemKey], msgspec.Meta(min_length=1, max_length=200)]
    basis: Text


NOT_FOUND = "Dit object bestaat niet of u hebt er geen toegang toe."


def lead_checklist(
    conn: sqlite3.Connection, principal: Principal, checklist_id: str
) -> ChecklistInfo:
    """The checklist if the caller may review it (the visibility module's ``may_review``):
    404 when not on the case, 403 for anyone else on it, 409 once the case is closed."""
    ctx = PushContext(principal, None, 0, "")
    info = ctx.checklist(conn, checklist_id)
    scope = load_case_scope(conn, info.case_id) if info is not None else None
    reader = reader_of(principal)
    if info is None or scope is None or not on_case(reader, scope):
        raise NotFound(NOT_FOUND, slug="not-found")
    target = next(c for c in scope.checklists if c.checklist_id == info.id)
    if not may_review(reader, scope, target):
        raise Forbidden(
            "Alleen een teamleider van de organisatie die eigenaar is van deze checklist mag "
            "dit doen.",
            slug="not-owning-teamlead",
        )
    if writes_closed(scope):
        raise case_closed()
    return info


def log_op(
    conn: sqlite3.Connection,
    principal: Principal,
    kind: str,
    payload: dict[str, Any],
    rev: int,
    *,
    op_id: str | None = None,
) -> str:
    """Append an applied server op (no device, no seq) to the op log; return its id."""
    op_id = op_id or uuid7()
    body = sorted_encoder.encode(payload)
    conn.execute(
        "INSERT INTO ops (op_id, user_id, kind, payload, payload_hash, status, result,"
        " received_at, epoch, checklist_id) VALUES (?, ?, ?, ?, ?, 'applied', ?, ?, ?, ?)",
        (
            op_id,
            principal.user_id,
            kind,
            body.decode(),
            hashlib.sha256(body).hexdigest(),
            encoder.encode({"rev": rev}).decode(),
            now_iso(),
            current_epoch(conn),
            checklist if isinstance(checklist := payload.get("checklist_id"), str) else None,
        ),
    )
    return op_id


def resolve_conflict(
    conn: sqlite3.Connection, principal: Principal, conflict_id: str, req: ResolveRequest
) -> dict[str, Any]:
    """Write the chosen value (an op that may write a submitted checklist); close the conflict."""
    row = conn.execute(
        "SELECT checklist_id, item_key, status, candidates FROM conflicts WHERE id = ?",
        (conflict_id,),
    ).fetchone()
    if row is None:
        raise NotFound(NOT_FOUND, slug="not-found")
    info = lead_checklist(conn, principal, row[0])
    if row[2] != "open":
        raise Conflict("Dit conflict is al opgelost.", slug="conflict-resolved")
    candidates: list[dict[str, Any]] = msgspec.json.decode(row[3])
    if (req.candidate is None) == (req.value is msgspec.UNSET):
        raise Unprocessable(
            "Kies een kandidaat (candidate) of geef een nieuwe waarde (value), niet beide.",
            errors=[FieldError("candidate", "precies één van candidate en value")],
        )
    if req.candidate is not None:
        if req.candidate >= len(candidates):
            raise Unprocessable(
                f"Kandidaat {req.candidate} bestaat niet; er zijn er {len(candidates)}.",
                errors=[FieldError("candidate", "buiten bereik")],
            )
        chosen: AnswerValue = candidates[req.candidate]["value"]
    else:
        chosen = req.value  # type: ignore[assignment]
    value = checked_value(info, row[1], chosen)
    now = now_iso()
    op_id = uuid7()
    written = store_answer(
        conn,
        Write(
            checklist_id=info.id,
            case_id=info.case_id,
            item_key=row[1],
            value=value,
            op_id=op_id,
            author_id=principal.user_id,
            device_id=None,
            seq=None,
            client_time=None,
            base_rev=None,
            amended=info.status == "submitted",
            now=now,
        ),
    )
    rev = record_change(conn, "conflict", conflict_id, case_id=info.case_id, checklist_id=info.id)
    resolution = {
        "value": msgspec.Raw(value),
        "reason": req.reason,
        "op_id": op_id,
        "candidate": req.candidate,
    }
    conn.execute(
        "UPDATE conflicts SET status = 'resolved', resolved_by = ?, resolved_at = ?,"
        " resolution = ?, rev = ? WHERE id = ?",
        (principal.user_id, now, encoder.encode(resolution).decode(), rev, conflict_id),
    )
    refresh_progress(conn, [info.id], record_change)
    log_op(
        conn,
        principal,
        "resolve_conflict",
        {
            "conflict_id": conflict_id,
            "checklist_id": info.id,
            "candidate": req.candidate,
            "reason": req.reason,
            "value": msgspec.Raw(value),
        },
        written.rev,
        op_id=op_id,
    )
    append(
        conn,
        principal.actor(),
        "conflict.resolve",
        object_type="conflict",
        object_id=conflict_id,
        detail={"op_id": op_id, "answer_rev": written.rev, "candidate": req.candidate},
    )
    return {
        "id": conflict_id,
        "status": "resolved",
        "rev": rev,
        "answer_rev": written.rev,
        "op_id": op_id,
        "resolution": resolution,
    }


def add_comment(
    conn: sqlite3.Connection, principal: Principal, checklist_id: str, req: CommentRequest
) -> dict[str, Any]:
    """Return to officer: the comment reaches the inspectors' devices through pull."""
    info = lead_checklist(conn, principal, checklist_id)
    if req.item_key is not None and req.item_key not in info.template.items:
        message = f"Vraag {req.item_key!r} staat niet in {info.template.template.ref}."
        raise Unprocessable(message, slug="unknown-item", errors=[FieldError("item_key", message)])
    comment_id = uuid7()
    rev = record_change(conn, "comment", comment_id, case_id=info.case_id, checklist_id=info.id)
    op_id = log_op(
        conn,
        principal,
        "add_comment",
        {
            "comment_id": comment_id,
            "checklist_id": info.id,
            "text": req.text,
            "item_key": req.item_key,
        },
        rev,
    )
    now = now_iso()
    conn.execute(
        "INSERT INTO comments (id, checklist_id, item_key, text, author_id, op_id, created_at,"
        " rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (comment_id, info.id, req.item_key, req.text, principal.user_id, op_id, now, rev),
    )
    append(
        conn,
        principal.actor(),
        "checklist.comment",
        object_type="checklist",
        object_id=info.id,
        detail={"comment_id": comment_id, "item_key": req.item_key},
    )
    return {
        "id": comment_id,
        "checklist_id": info.id,
        "item_key": req.item_key,
        "text": req.text,
        "author_id": principal.user_id,
        "created_at": now,
        "rev": rev,
    }


def add_release(
    conn: sqlite3.Connection, principal: Principal, checklist_id: str, req: ReleaseRequest
) -> dict[str, Any]:
    """Release shareable items: from now on everyone on the case sees them."""
    info = lead_checklist(conn, principal, checklist_id)
    keys = list(dict.fromkeys(req.item_keys))
    unknown = [k for k in keys if k not in info.template.items]
    refused = [k for k in releasable(keys, info.template.sensitivities) if k not in unknown]
    if unknown or refused:
        errors = [FieldError("item_keys", f"{k!r} staat niet in de checklist") for k in unknown]
        errors += [
            FieldError(
                "item_keys",
                f"{k!r} is {info.template.sensitivities[k]} en kan niet worden vrijgegeven",
            )
            for k in refused
        ]
        raise Unprocessable(
            "Alleen deelbare (shareable) vragen van deze checklist kunnen worden vrijgegeven.",
            slug="not-releasable",
            errors=errors,
        )
    release_id = uuid7()
    rev = record_change(conn, "release", release_id, case_id=info.case_id, checklist_id=info.id)
    op_id = log_op(
        conn,
        principal,
        "release_items",
        {"release_id": release_id, "checklist_id": info.id, "item_keys": keys, "basis": req.basis},
        rev,
    )
    now = now_iso()
    conn.execute(
        "INSERT INTO releases (id, checklist_id, item_keys, basis, author_id, op_id, created_at,"
        " rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            release_id,
            info.id,
            encoder.encode(keys).decode(),
            req.basis,
            principal.user_id,
            op_id,
            now,
            rev,
        ),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO released_items (checklist_id, item_key, release_id)"
        " VALUES (?, ?, ?)",
        [(info.id, k, release_id) for k in keys],
    )
    append(
        conn,
        principal.actor(),
        "checklist.release",
        object_type="checklist",
        object_id=info.id,
        detail={"release_id": release_id, "item_keys": keys},
    )
    return {
        "id": release_id,
        "checklist_id": info.id,
        "item_keys": keys,
        "basis": req.basis,
        "author_id": principal.user_id,
        "created_at": now,
        "rev": rev,
    }
