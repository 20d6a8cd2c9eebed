"""Decoding a push's ops: the batched checks of ids and item keys give exactly what the
protocol's regex patterns give (decode_ops == decode_op for every op)."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from server.lib.errors import DomainError
from server.lib.ids import uuid7
from server.sync.envelope import all_item_keys, all_uuid7, decode_op, decode_ops
from server.sync.protocol import UUID7_PATTERN, AddNote, AmendAnswer, SetAnswer

UUID7 = re.compile(UUID7_PATTERN)
ITEM_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VALID_ID = "0190c6a4-8f0e-7a1b-9c2d-3e4f5a6b7c8d"


CHARS = st.sampled_from(list("0123456789abcdefABCDEF-7_/ \n\t\u00e9\u0663\uff10x"))


@st.composite
def _mutations(draw: st.DrawFn, text: str) -> str:
    """Strings near ``text``: one or two characters replaced, inserted or removed."""
    out = text
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(out)))
        how = draw(st.sampled_from(["replace", "insert", "delete"]))
        c = draw(CHARS)
        if how == "replace" and at < len(out):
            out = out[:at] + c + out[at + 1 :]
        elif how == "insert":
            out = out[:at] + c + out[at:]
        elif out:
            out = out[:at] + out[at + 1 :]
    return out


IDS = st.one_of(
    st.just(VALID_ID),
    st.builds(uuid7),
    _mutations(VALID_ID),
    st.just(VALID_ID + "\n"),
    st.just(VALID_ID.upper()),
    st.text(max_size=40),
)
KEYS = st.one_of(
    st.sampled_from(["open", "vraag-01", "a-b-c", "x9", "0"]),
    _mutations("vraag-01"),
    st.just("open\n"),
    st.text(alphabet="ab-/\n\u00e9", max_size=8),
)


@given(st.lists(IDS, max_size=6))
@settings(max_examples=400)
def test_all_uuid7_holds_only_when_the_pattern_matches_every_id(ids: list[str]) -> None:
    every = all(UUID7.search(i) for i in ids)
    if all_uuid7(ids):
        assert every
    elif every:  # the only ids left to the regex: a trailing newline
        assert any(i.endswith("\n") for i in ids)


@given(st.lists(KEYS, max_size=6))
@settings(max_examples=400)
def test_all_item_keys_holds_only_when_the_pattern_matches_every_key(keys: list[str]) -> None:
    every = all(ITEM_KEY.search(k) for k in keys)
    if all_item_keys(keys):
        assert every
    elif every:
        assert any(k.endswith("\n") for k in keys)


def test_the_batched_checks_refuse_what_a_single_regex_refuses() -> None:
    assert all_uuid7([]) and all_item_keys([])
    assert all_uuid7([VALID_ID, uuid7()])
    assert not all_uuid7([VALID_ID, VALID_ID.replace("-7", "-6")])
    assert not all_uuid7([VALID_ID[:-1], VALID_ID + "0"])  # lengths that add up
    assert not all_uuid7([VALID_ID.replace("9c2d", "cc2d")])  # variant nibble
    assert not all_uuid7([VALID_ID.replace("-", "0", 1)[:36]])
    assert all_item_keys(["open", "vraag-01", "a-b-c"])
    for bad in ["", "-a", "a-", "a--b", "A", "a/b", "a b", "\u00e9"]:
        assert not all_item_keys(["open", bad]), bad


def _op(kind: str, op_id: str, checklist_id: str, item_key: Any, other_id: str) -> bytes:
    op: dict[str, Any] = {
        "op": kind,
        "op_id": op_id,
        "seq": 3,
        "client_time": "2026-05-04T09:12:03.120+02:00",
        "checklist_id": checklist_id,
    }
    if kind == "add_note":
        op.update(note_id=other_id, text="Deur geblokkeerd")
        if item_key is not None:
            op["item_key"] = item_key
    elif kind == "withdraw_photo":
        op.update(photo_id=other_id, reason="dubbel")
    else:
        op.update(item_key=item_key, value="yes", base_rev=None)
        if kind == "amend_answer":
            op["reason"] = "typefout"
    return json.dumps(op).encode()


def _same(fast: Any, strict: Any) -> None:
    if isinstance(strict, DomainError):
        assert isinstance(fast, DomainError)
        assert fast.problem() == strict.problem()
        return
    assert isinstance(fast, type(strict))
    assert msgspec.structs.asdict(fast) == msgspec.structs.asdict(strict)


MOSTLY_VALID_IDS = st.one_of(st.builds(uuid7), st.just(VALID_ID), IDS)
OPS = st.builds(
    _op,
    st.sampled_from(["set_answer", "amend_answer", "add_note", "withdraw_photo"]),
    MOSTLY_VALID_IDS,
    MOSTLY_VALID_IDS,
    st.one_of(st.none(), st.just("open"), KEYS, st.integers()),
    MOSTLY_VALID_IDS,
)


@given(st.lists(OPS, min_size=1, max_size=5))
@settings(max_examples=300)
def test_decode_ops_gives_what_decode_op_gives_for_every_op(raws: list[bytes]) -> None:
    for fast, raw in zip(decode_ops(raws), raws, strict=True):
        try:
            strict: Any = decode_op(raw)
        except DomainError as exc:
            strict = exc
        _same(fast, strict)


def test_decode_ops_of_a_valid_push_are_the_protocol_types() -> None:
    raws = [
        _op("set_answer", uuid7(), VALID_ID, "open", ""),
        _op("amend_answer", uuid7(), VALID_ID, "vraag-01", ""),
        _op("add_note", uuid7(), VALID_ID, None, uuid7()),
        _op("withdraw_photo", uuid7(), VALID_ID, None, uuid7()),
    ]
    decoded = decode_ops(raws)
    assert [type(op).__mro__[1] for op in decoded[:3]] == [SetAnswer, AmendAnswer, AddNote]
    for fast, raw in zip(decoded, raws, strict=True):
        _same(fast, decode_op(raw))
    # One bad id anywhere sends every op of the push through the regex checks: same results.
    raws.append(_op("set_answer", VALID_ID + "\n", VALID_ID, "open", ""))
    decoded = decode_ops(raws)
    assert [type(op) for op in decoded[:3]] == [SetAnswer, AmendAnswer, AddNote]
    for fast, raw in zip(decoded, raws, strict=True):
        _same(fast, decode_op(raw))


def test_decode_ops_refuses_a_repeated_key_whose_first_value_the_protocol_refuses() -> None:
    """JSON may repeat a key: the protocol decoder checks every occurrence (an op whose first
    ``op_id`` is no UUIDv7 is refused), the decoder without regex keeps the last value only.
    Such an op must get decode_op's result, spelled plainly or with an escaped key."""
    good = uuid7()
    repeated = [
        ("set_answer", None, b'"op_id":', b'"op_id": "nope", "op_id":'),
        ("set_answer", None, b'"op_id":', b'"op\\u005fid": "nope", "op_id":'),
        ("amend_answer", None, b'"item_key":', b'"item_key": "NOT A KEY", "item_key":'),
        ("add_note", uuid7(), b'"note_id":', b'"note_id": "x", "note_id":'),
        ("add_note", uuid7(), b'"checklist_id":', b'"checklist_id": "x", "checklist_id":'),
    ]
    for kind, other, key, twice in repeated:
        raw = _op(kind, good, VALID_ID, "open", other or "").replace(key, twice, 1)
        try:
            strict: Any = decode_op(raw)
        except DomainError as exc:
            strict = exc
        assert isinstance(strict, DomainError), raw
        valid = _op("set_answer", uuid7(), VALID_ID, "open", "")
        _same(decode_ops([raw])[0], strict)
        _same(decode_ops([valid, raw])[1], strict)
