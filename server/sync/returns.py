"""Return to officer: a team lead sends a submitted checklist back with a comment.

The checklist stays ``submitted`` and gains ``returned_at`` / ``returned_by`` (in its pull
record). While returned, the inspector changes answers with ``amend_answer``; their next
``submit_checklist`` is valid again and clears ``returned_at``. A server op in the log,
audited, delivered to the devices through pull (the checklist record and the comments).
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.errors import Conflict, FieldError, Unprocessable
from server.lib.ids import uuid7
from server.sync.protocol import ItemKey
from server.sync.teamlead import Text, lead_checklist, log_op


class ReturnRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Why the checklist goes back, optionally naming the items to look at again."""

    text: Text
    item_keys: Annotated[list[ItemKey], msgspec.Meta(max_length=200)] = []


def return_checklist(
    conn: sqlite3.Connection, principal: Principal, checklist_id: str, req: ReturnRequest
) -> dict[str, Any]:
    """Mark a submitted checklist returned and leave the comment(s) for the inspectors."""
    info = lead_checklist(conn, principal, checklist_id)
    if info.case_closed:
        raise Conflict(
            "Dit dossier is gesloten; een checklist kan niet meer worden teruggestuurd.",
            slug="case-closed",
        )
    if info.status != "submitted":
        raise Conflict(
            "Deze checklist is nog niet ingediend; terugsturen kan pas na indienen. Plaats "
            "een opmerking als de inspecteur nu iets moet weten.",
            slug="checklist-open",
        )
    if info.returned:
        raise Conflict(
            "Deze checklist is al teruggestuurd en nog niet opnieuw ingediend. Plaats een "
            "opmerking om iets toe te voegen.",
            slug="checklist-returned",
        )
    keys = list(dict.fromkeys(req.item_keys))
    unknown = [k for k in keys if k not in info.template.items]
    if unknown:
        raise Unprocessable(
            f"Deze vragen staan niet in {info.template.template.ref}: "
            + ", ".join(unknown)
            + ". Kies vragen uit de checklist.",
            slug="unknown-item",
            errors=[FieldError("item_keys", f"{k!r} staat niet in de checklist") for k in unknown],
        )
    now = now_iso()
    rev = record_change(conn, "checklist", info.id, case_id=info.case_id, checklist_id=info.id)
    conn.execute(
        "UPDATE checklists SET returned_at = ?, returned_by = ?, rev = ? WHERE id = ?",
        (now, principal.user_id, rev, info.id),
    )
    op_id = uuid7()
    comments: list[dict[str, Any]] = []
    targets: list[str | None] = list(keys) or [None]
    for item_key in targets:
        comment_id = uuid7()
        comment_rev = record_change(
            conn, "comment", comment_id, case_id=info.case_id, checklist_id=info.id
        )
        conn.execute(
            "INSERT INTO comments (id, checklist_id, item_key, text, author_id, op_id,"
            " created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (comment_id, info.id, item_key, req.text, principal.user_id, op_id, now, comment_rev),
        )
        comments.append({"id": comment_id, "item_key": item_key, "rev": comment_rev})
    log_op(
        conn,
        principal,
        "return_checklist",
        {
            "checklist_id": info.id,
            "text": req.text,
            "item_keys": keys,
            "comment_ids": [c["id"] for c in comments],
        },
        rev,
        op_id=op_id,
    )
    append(
        conn,
        principal.actor(),
        "checklist.return",
        object_type="checklist",
        object_id=info.id,
        detail={"case_id": info.case_id, "item_keys": keys, "op_id": op_id},
    )
    return {
        "checklist_id": info.id,
        "status": "submitted",
        "returned_at": now,
        "returned_by": principal.user_id,
        "text": req.text,
        "comments": comments,
        "rev": rev,
    }
