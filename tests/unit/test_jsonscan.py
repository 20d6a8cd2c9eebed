"""The iterative JSON structure scanner: op boundaries without recursion."""

from __future__ import annotations

import pytest

from server.lib import jsonscan


def test_members_and_elements_split_without_decoding_nested_values() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"seq": 2, "text": "a ] } \\" [", "value": ' + deep + b', "op": "set_answer"}'
    fields = jsonscan.members(body)
    assert fields["seq"] == b"2"
    assert fields["text"] == b'"a ] } \\" ["'
    assert fields["value"] == deep
    assert fields["op"] == b'"set_answer"'
    assert jsonscan.elements(b' [ {"a": [1, {"b": 2}]} , 3, "x,y" ] ') == [
        b'{"a": [1, {"b": 2}]}',
        b"3",
        b'"x,y"',
    ]
    assert jsonscan.elements(b"[]") == []
    assert jsonscan.members(b"{}") == {}


@pytest.mark.parametrize(
    "body",
    [b"[" * 1000, b"[}", b'{"a": 1', b'{"a" 1}', b'{"a": 1} x', b'{"a": "open}', b"[1 2]", b""],
)
def test_broken_structure_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        if body.startswith(b"{"):
            jsonscan.members(body)
        else:
            jsonscan.elements(body)
