"""Signals handed to the team by a partner client (``POST /signals``)."""

from __future__ import annotations

import sqlite3

import msgspec

from server.audit.log import append
from server.cases import repository as repo
from server.cases.subject import normalise_subject
from server.lib.errors import Conflict
from server.lib.ids import uuid7
from server.partners.clients import PartnerCaller
from server.partners.schemas import SignalIn, SignalOut

_encode = msgspec.json.encode


def _out(row: sqlite3.Row) -> SignalOut:
    return SignalOut(
        id=row["id"],
        client_signal_id=row["client_ref"],
        status=row["status"],
        created_at=row["created_at"],
    )


def submit_signal(
    conn: sqlite3.Connection, caller: PartnerCaller, data: SignalIn
) -> tuple[SignalOut, bool]:
    """Record the signal in the inbox of the client's agency; idempotent on ``data.id``.

    Returns the signal and whether it was created now. The same id with other content is a
    409: the client reused its id for a different signal.
    """
    subject = normalise_subject(data.subject)
    row = conn.execute(
        "SELECT * FROM signals WHERE created_by_client = ? AND client_ref = ?",
        (caller.client_id, data.id),
    ).fetchone()
    if row is not None:
        same = (
            row["description"] == data.description and row["subject"] == _encode(subject).decode()
        )
        if not same:
            raise Conflict(
                f"Signaal-id {data.id!r} is al gebruikt voor een ander signaal van deze client. "
                "Kies per signaal een eigen id; stuur hetzelfde id alleen om precies dit signaal "
                "opnieuw te versturen.",
                slug="signal-id-reused",
            )
        return _out(row), False
    signal_id = uuid7()
    repo.insert_signal(
        conn,
        signal_id=signal_id,
        source="partner",
        description=data.description,
        subject=subject,
        created_by=None,
        agency_id=caller.agency_id,
        created_by_client=caller.client_id,
        client_ref=data.id,
    )
    append(
        conn,
        caller.actor(),
        "signal.create",
        object_type="signal",
        object_id=signal_id,
        detail={"source": "partner", "client_signal_id": data.id, "records": 1},
    )
    row = conn.execute("SELECT * FROM signals WHERE id = ?", (signal_id,)).fetchone()
    return _out(row), True
