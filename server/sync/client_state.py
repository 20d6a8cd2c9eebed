"""``client_state``: what a phone reports about itself with each push (sync protocol).

``{"outbox": 3, "photos_pending": 2, "photo_bytes_pending": 8123456, "app_version": "…",
"storage_persisted": true, "reported_at": "<ISO 8601>"}``, every field optional. It is
decoded leniently: a malformed ``client_state`` is ignored (and logged), never a reason to
refuse the push. The server keeps the latest report per device with the time it arrived,
for the team lead's dashboard ("this phone still holds unsent work").
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Annotated

import msgspec

from server.lib.clock import parse_iso

log = logging.getLogger("schouw.sync")

Count = Annotated[int, msgspec.Meta(ge=0, le=1 << 40)]


class ClientState(msgspec.Struct, omit_defaults=True):
    """The phone's own state at the time of a push; every field optional."""

    outbox: Count | None = None
    photos_pending: Count | None = None
    photo_bytes_pending: Count | None = None
    app_version: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    storage_persisted: bool | None = None
    reported_at: Annotated[str, msgspec.Meta(max_length=40)] | None = None


_decoder = msgspec.json.Decoder(ClientState)


def decode_client_state(raw: msgspec.Raw, device_id: str) -> ClientState | None:
    """The report, or None when absent, ``null`` or malformed (logged, never an error)."""
    body = bytes(raw)
    if not body or body == b"null":
        return None
    try:
        state = _decoder.decode(body)
        if state.reported_at is not None:
            parse_iso(state.reported_at)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError) as exc:
        log.warning("ignoring malformed client_state from device %s: %s", device_id, exc)
        return None
    return state


def store_client_state(
    conn: sqlite3.Connection, device_id: str, state: ClientState, received_at: str
) -> None:
    """Keep the latest report of a device (inside the push's write)."""
    conn.execute(
        "INSERT INTO device_states (device_id, outbox, photos_pending, photo_bytes_pending,"
        " app_version, storage_persisted, reported_at, received_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET"
        " outbox = excluded.outbox, photos_pending = excluded.photos_pending,"
        " photo_bytes_pending = excluded.photo_bytes_pending,"
        " app_version = excluded.app_version, storage_persisted = excluded.storage_persisted,"
        " reported_at = excluded.reported_at, received_at = excluded.received_at",
        (
            device_id,
            state.outbox,
            state.photos_pending,
            state.photo_bytes_pending,
            state.app_version,
            None if state.storage_persisted is None else int(state.storage_persisted),
            state.reported_at,
            received_at,
        ),
    )
