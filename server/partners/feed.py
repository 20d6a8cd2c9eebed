"""``GET /changes``: the change feed of one partner client, paged with an opaque cursor.

The cursor carries the database epoch, a change-feed position and a position among the
agencies' departures from cases (``case-access-withdrawn``). After a restore the epoch is new
and an old cursor answers 410 Gone: the partner reads again from the start.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.db.feed import current_epoch
from server.lib.errors import BadRequest, Gone
from server.partners.cursor import decode_cursor, encode_cursor
from server.partners.events import (
    agency_entries,
    coalesce,
    departures,
    last_departure,
    last_seq,
    page_end,
)
from server.partners.schemas import ChangeEvent, ChangePage
from server.partners.summary import case_link

GONE = (
    "Deze cursor hoort bij een eerdere stand van de database (er is een back-up "
    "teruggezet). Lees de feed opnieuw vanaf het begin (zonder cursor) en haal de "
    "dossiers opnieuw op."
)


MAX_SEQ = 1 << 62


class FeedCursor(msgspec.Struct, array_like=True):
    """Where a client's feed reading stands (cursors of API 1.0 lack ``left``: 0)."""

    epoch: int
    seq: int
    left: int = 0


def start_cursor(conn: sqlite3.Connection) -> FeedCursor:
    """A cursor at the start of the feed in the current epoch."""
    return FeedCursor(current_epoch(conn), 0, 0)


def parse_feed_cursor(conn: sqlite3.Connection, text: str | None) -> FeedCursor:
    """The cursor of a request (start when absent); 410 when it is from another epoch."""
    if not text:
        return start_cursor(conn)
    cursor = decode_cursor(text, FeedCursor)
    if not (0 <= cursor.seq < MAX_SEQ and 0 <= cursor.left < MAX_SEQ):
        raise BadRequest(
            "De cursor is onleesbaar. Gebruik de cursor precies zoals de API hem gaf.",
            slug="invalid-cursor",
        )
    if cursor.epoch != current_epoch(conn):
        raise Gone(GONE, slug="cursor-expired", title="Cursor verlopen")
    return cursor


def change_page(
    conn: sqlite3.Connection, agency_id: str, cursor_text: str | None, limit: int
) -> ChangePage:
    """The events of the next ``limit`` feed rows for a client of ``agency_id``, then the
    ``case-access-withdrawn`` events of up to ``limit`` departures of its agency."""
    cursor = parse_feed_cursor(conn, cursor_text)
    position = page_end(conn, cursor.seq, limit)
    entries = agency_entries(conn, agency_id, cursor.seq, position) if position > cursor.seq else []
    withdrawn, left = departures(conn, agency_id, cursor.left, limit)
    out = [
        ChangeEvent(case_id=c.case_id, types=list(c.types), at=c.at, links=case_link(c.case_id))  # type: ignore[arg-type]
        for c in [*entries, *coalesce(withdrawn)]
    ]
    return ChangePage(
        events=out,
        cursor=encode_cursor(FeedCursor(cursor.epoch, position, left)),
        more=position < last_seq(conn) or left < last_departure(conn, agency_id),
    )
