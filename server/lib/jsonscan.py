"""An iterative scanner for the structure of a JSON document, without recursion.

msgspec decodes nested values recursively and gives up (``RecursionError``) at the
interpreter's recursion limit. The push envelope must still find where each op starts and
ends, and each op's ``seq``, when one op holds a value nested 100,000 levels deep or bytes
that are not UTF-8: that op is rejected alone and the ops after it apply. These functions
walk brackets with an explicit stack and never decode a nested value.

Every function raises :class:`ValueError` when the bytes are not well-formed JSON structure.
"""

from __future__ import annotations

import re

import msgspec

_WS = re.compile(rb"[ \t\r\n]*")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(rb"[^,\]} \t\r\n]+")
_STRUCTURE = re.compile(rb'["\[\]{}]')
_CLOSE = {ord("]"): ord("["), ord("}"): ord("{")}
_QUOTE, _OPEN_ARRAY, _OPEN_OBJECT = ord('"'), ord("["), ord("{")


def _ws(buf: bytes, pos: int) -> int:
    match = _WS.match(buf, pos)
    return match.end() if match else pos


def string_end(buf: bytes, pos: int) -> int:
    """The index after the JSON string that starts at ``pos``."""
    match = _STRING.match(buf, pos)
    if match is None:
        raise ValueError(f"unterminated string at {pos}")
    return match.end()


def value_end(buf: bytes, pos: int) -> int:
    """The index after the JSON value that starts at ``pos`` (brackets matched, no recursion)."""
    if pos >= len(buf):
        raise ValueError("value expected at end of input")
    first = buf[pos]
    if first == _QUOTE:
        return string_end(buf, pos)
    if first not in (_OPEN_ARRAY, _OPEN_OBJECT):
        match = _SCALAR.match(buf, pos)
        if match is None:
            raise ValueError(f"value expected at {pos}")
        return match.end()
    stack = bytearray()
    index = pos
    while True:
        found = _STRUCTURE.search(buf, index)
        if found is None:
            raise ValueError("unbalanced brackets")
        char = buf[found.start()]
        if char == _QUOTE:
            index = string_end(buf, found.start())
            continue
        index = found.end()
        if char in (_OPEN_ARRAY, _OPEN_OBJECT):
            stack.append(char)
        elif not stack or stack.pop() != _CLOSE[char]:
            raise ValueError(f"unbalanced brackets at {found.start()}")
        if not stack:
            return index


def members(buf: bytes) -> dict[str, bytes]:
    """The top-level members of the JSON object in ``buf``: key → raw value (first one wins).

    A key that is not valid UTF-8 is kept with replacement characters; it names no known field.
    """
    out: dict[str, bytes] = {}
    pos = _ws(buf, 0)
    if pos >= len(buf) or buf[pos] != _OPEN_OBJECT:
        raise ValueError("not an object")
    pos = _ws(buf, pos + 1)
    if pos < len(buf) and buf[pos] == ord("}"):
        return out
    while True:
        key_end = string_end(buf, pos)
        try:
            key = msgspec.json.decode(buf[pos:key_end], type=str)
        except msgspec.DecodeError:
            key = buf[pos + 1 : key_end - 1].decode(errors="replace")
        pos = _ws(buf, key_end)
        if pos >= len(buf) or buf[pos] != ord(":"):
            raise ValueError(f"':' expected at {pos}")
        start = _ws(buf, pos + 1)
        end = value_end(buf, start)
        out.setdefault(key, buf[start:end])
        pos = _ws(buf, end)
        if pos < len(buf) and buf[pos] == ord(","):
            pos = _ws(buf, pos + 1)
            continue
        if pos < len(buf) and buf[pos] == ord("}"):
            if _ws(buf, pos + 1) != len(buf):
                raise ValueError("trailing data after the object")
            return out
        raise ValueError(f"',' or '}}' expected at {pos}")


def elements(buf: bytes) -> list[bytes]:
    """The raw elements of the JSON array in ``buf``."""
    out: list[bytes] = []
    pos = _ws(buf, 0)
    if pos >= len(buf) or buf[pos] != _OPEN_ARRAY:
        raise ValueError("not an array")
    pos = _ws(buf, pos + 1)
    if pos < len(buf) and buf[pos] == ord("]"):
        return out
    while True:
        end = value_end(buf, pos)
        out.append(buf[pos:end])
        pos = _ws(buf, end)
        if pos < len(buf) and buf[pos] == ord(","):
            pos = _ws(buf, pos + 1)
            continue
        if pos < len(buf) and buf[pos] == ord("]"):
            if _ws(buf, pos + 1) != len(buf):
                raise ValueError("trailing data after the array")
            return out
        raise ValueError(f"',' or ']' expected at {pos}")
