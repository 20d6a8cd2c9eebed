"""Opaque cursors: base64url of a small JSON object; a bad one is a 400."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

import msgspec

from server.lib.errors import BadRequest

T = TypeVar("T")


def encode_cursor(value: msgspec.Struct) -> str:
    """The opaque text form of ``value``."""
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


def decode_cursor(text: str, kind: type[T]) -> T:
    """Decode a cursor made by :func:`encode_cursor`; 400 when it was not."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return msgspec.json.decode(raw, type=kind)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadRequest(
            "De cursor is onleesbaar. Gebruik de cursor precies zoals de API hem gaf, of laat "
            "hem weg om vooraan te beginnen.",
            slug="invalid-cursor",
        ) from None
