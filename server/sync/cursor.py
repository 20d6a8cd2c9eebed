"""The opaque pull cursor: epoch, feed position and an optional expansion in progress."""

from __future__ import annotations

import base64
import binascii

import msgspec

from server.lib.errors import Gone
from server.lib.numbers import SqliteInt

VERSION = 1


class Expansion(msgspec.Struct, array_like=True):
    """A grant or release being delivered: change row ``seq``; entities below it after ``after``."""

    seq: SqliteInt
    case_id: str
    release_id: str | None
    after: SqliteInt


class Cursor(msgspec.Struct, array_like=True):
    """Where a device's pull stands."""

    version: SqliteInt
    epoch: SqliteInt
    pos: SqliteInt
    expansion: Expansion | None = None


_decoder = msgspec.json.Decoder(Cursor)
_encoder = msgspec.json.Encoder()

GONE = (
    "Deze synchronisatiepositie is niet meer geldig (bijvoorbeeld na het terugzetten van een "
    "back-up). Haal alles opnieuw op vanaf het begin; uw onverzonden werk blijft bewaard."
)


def encode_cursor(cursor: Cursor) -> str:
    """The cursor as URL-safe text."""
    return base64.urlsafe_b64encode(_encoder.encode(cursor)).decode().rstrip("=")


def decode_cursor(text: str | None, epoch: int) -> Cursor:
    """Parse a cursor for the current ``epoch``; empty means from the start. Else 410.

    Every number is bounded to what SQLite stores, so a tampered cursor is ``cursor-invalid``.
    """
    if not text:
        return Cursor(VERSION, epoch, 0)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor = _decoder.decode(raw)
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError):
        raise Gone(GONE, slug="cursor-invalid") from None
    if cursor.version != VERSION or cursor.epoch != epoch or cursor.pos < 0:
        raise Gone(GONE, slug="cursor-expired")
    return cursor
