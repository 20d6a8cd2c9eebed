"""The push envelope: strict decoding of the envelope and each op's seq; per-op decoding."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import msgspec

from server.lib import jsonscan
from server.lib.errors import (
    BadRequest,
    DomainError,
    FieldError,
    PayloadTooLarge,
    decode_error_to_bad_request,
)
from server.lib.numbers import SQLITE_INT_MAX
from server.sync.protocol import (
    MAX_OPS,
    SCHEMA_VERSION,
    AddNote,
    AmendAnswer,
    Op,
    PushEnvelope,
    SetAnswer,
    any_decoder,
    envelope_decoder,
    op_decoder,
    sorted_encoder,
)


class RawOp(msgspec.Struct, gc=False):
    """One op of the envelope: its seq (decoded strictly) and its bytes."""

    seq: int
    raw: bytes
    digest: str
    op_id: str | None
    kind: str
    client_time: str | None
    checklist_id: str | None  # the op's checklist_id when it is a string (for the op log)


_NOT_JSON = (
    "De body is geen geldige JSON; stuur één JSON-object met device_id, schema_version en ops."
)


def _split_envelope(body: bytes) -> PushEnvelope:
    """The envelope of a body whose ops nest too deep for the decoder: split without recursion.

    The envelope's own fields are decoded strictly as usual; each op stays raw, to be
    decoded (and rejected if need be) on its own.
    """
    try:
        fields = jsonscan.members(body)
        ops = jsonscan.elements(fields["ops"]) if "ops" in fields else None
    except ValueError:
        raise BadRequest(_NOT_JSON, errors=[FieldError("$", "invalid JSON")]) from None
    fields.pop("ops", None)
    parts = [msgspec.json.encode(key) + b":" + value for key, value in fields.items()]
    if ops is not None:
        parts.append(b'"ops":[]')
    try:
        envelope = envelope_decoder.decode(b"{" + b",".join(parts) + b"}")
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise decode_error_to_bad_request(exc) from None
    except RecursionError:
        raise BadRequest(
            "De velden van de push zijn te diep genest.", errors=[FieldError("$", "too deep")]
        ) from None
    envelope.ops = [msgspec.Raw(op) for op in ops or ()]
    return envelope


def _loose(raw: bytes) -> tuple[dict[str, Any] | None, bool]:
    """The op as plain JSON (or its top-level scalars when it cannot be decoded whole).

    Returns the mapping (None when the op is not an object) and whether it decoded whole.
    """
    try:
        loose = any_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        pass
    else:
        return (loose if isinstance(loose, dict) else None), True
    try:
        fields = jsonscan.members(raw)
    except ValueError:
        return None, False
    out: dict[str, Any] = {}
    for key in ("seq", "op_id", "op", "client_time", "checklist_id"):
        if key in fields:
            try:
                out[key] = any_decoder.decode(fields[key])
            except (msgspec.DecodeError, RecursionError):
                out[key] = None
    return out, False


def decode_envelope(body: bytes) -> tuple[PushEnvelope, list[RawOp]]:
    """Strict envelope and seq decoding: a malformed envelope is a 400 for the whole push.

    An op that cannot be decoded (nested too deep, bytes that are not UTF-8) only has to
    show its ``seq``; it is rejected on its own when it is applied.
    """
    try:
        envelope = envelope_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise decode_error_to_bad_request(exc) from None
    except RecursionError:
        envelope = _split_envelope(body)
    if envelope.schema_version != SCHEMA_VERSION:
        raise BadRequest(
            f"schema_version {envelope.schema_version} wordt niet ondersteund; gebruik 1.",
            slug="unsupported-schema-version",
            errors=[FieldError("$.schema_version", "moet 1 zijn")],
        )
    if envelope.gap is not None and envelope.gap.to < envelope.gap.from_:
        raise BadRequest(
            f"De gemelde gap loopt van {envelope.gap.from_} tot {envelope.gap.to}; "
            "'to' mag niet kleiner zijn dan 'from'.",
            errors=[FieldError("$.gap.to", "must be >= $.gap.from")],
        )
    if len(envelope.ops) > MAX_OPS:
        raise PayloadTooLarge(
            f"Een push mag hoogstens {MAX_OPS} ops bevatten; stuur de rest in een volgende push."
        )
    ops: list[RawOp] = []
    for index, raw_op in enumerate(envelope.ops):
        raw = bytes(raw_op)
        loose, whole = _loose(raw)
        seq = loose.get("seq") if loose is not None else None
        if loose is None or type(seq) is not int or not 1 <= seq <= SQLITE_INT_MAX:
            field = f"$.ops[{index}]" + (".seq" if loose is not None else "")
            message = f"Expected an object with `seq`, an integer from 1 to {SQLITE_INT_MAX}"
            raise BadRequest(
                f"Op {index} is geen object met een geldig volgnummer (seq) (veld {field}).",
                errors=[FieldError(field, message)],
            )
        digest = _digest(loose if whole else None, raw)
        ops.append(
            RawOp(
                seq,
                raw,
                digest,
                text_field(loose.get("op_id")),
                text_field(loose.get("op")) or "unknown",
                text_field(loose.get("client_time")),
                checklist if isinstance(checklist := loose.get("checklist_id"), str) else None,
            )
        )
    return envelope, ops


def _digest(loose: dict[str, Any] | None, raw: bytes) -> str:
    """The op's identity: its JSON with sorted keys, or its bytes when it cannot be decoded."""
    if loose is not None:
        try:
            return hashlib.sha256(sorted_encoder.encode(loose)).hexdigest()
        except RecursionError:
            pass
    return hashlib.sha256(raw).hexdigest()


def decode_op(raw: bytes) -> Op:
    """The typed op, or a 400-problem (``invalid-op``) to reject this op alone."""
    try:
        return op_decoder.decode(raw)
    except RecursionError:
        raise BadRequest(
            "Deze op is te diep genest om te lezen; een waarde mag hoogstens een lijst van "
            "teksten zijn.",
            slug="invalid-op",
            errors=[FieldError("$", "nested too deep")],
        ) from None
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        bad = decode_error_to_bad_request(exc)
        field = bad.errors[0].field if bad.errors else "$"
        message = bad.errors[0].message if bad.errors else str(exc)
        raise BadRequest(
            f"Deze op is ongeldig: {message} (veld {field}).",
            slug="invalid-op",
            errors=bad.errors,
        ) from None


# The ops a push carries by the thousand (answers and notes) are decoded without msgspec's
# regex checks, which cost more than the rest of the decoding together; the same checks are
# then made for all ops of the push at once (:func:`decode_ops`). Every other constraint is
# the same as in the protocol's structs, which these subclass (so ``isinstance`` holds).
_Key64 = Annotated[str, msgspec.Meta(max_length=64)]


class _UncheckedSetAnswer(SetAnswer, tag="set_answer"):
    op_id: str
    checklist_id: str
    item_key: _Key64


class _UncheckedAmendAnswer(AmendAnswer, tag="amend_answer"):
    op_id: str
    checklist_id: str
    item_key: _Key64


class _UncheckedAddNote(AddNote, tag="add_note"):
    op_id: str
    note_id: str
    checklist_id: str
    item_key: _Key64 | None = None


UNCHECKED_TYPES: dict[type[Any], type[Any]] = {
    _UncheckedSetAnswer: SetAnswer,
    _UncheckedAmendAnswer: AmendAnswer,
    _UncheckedAddNote: AddNote,
}
"""Each type :func:`decode_ops` may return besides those of :data:`Op`, with its protocol type."""

_unchecked_decoder = msgspec.json.Decoder(
    _UncheckedSetAnswer | _UncheckedAmendAnswer | _UncheckedAddNote
)
_HEX = b"0123456789abcdef"
_KEY_CHARS = b"abcdefghijklmnopqrstuvwxyz0123456789-"


def all_uuid7(ids: list[str]) -> bool:
    """True only if every id matches ``UUID7_PATTERN``, checked for all ids at once.

    False does not mean that one does not: the regex also takes an id with a trailing newline
    (Python's ``$``), which is left to the regex itself.
    """
    count = len(ids)
    if count and set(map(len, ids)) != {36}:
        return False
    joined = "".join(ids)
    if not joined.isascii():
        return False
    data = joined.encode()
    dashes = b"-" * count
    # Exactly four non-hex characters per id, and they are its dashes: the rest is hex.
    return (
        data.translate(None, _HEX) == dashes * 4
        and data[8::36] == dashes
        and data[13::36] == dashes
        and data[18::36] == dashes
        and data[23::36] == dashes
        and data[14::36] == b"7" * count
        and not data[19::36].translate(None, b"89ab")
    )


def all_item_keys(keys: list[str]) -> bool:
    """True only if every key matches the ``ItemKey`` pattern, checked for all keys at once
    (False may still match, as in :func:`all_uuid7`)."""
    if not keys:
        return True
    joined = "/" + "/".join(keys) + "/"
    if not joined.isascii():
        return False
    data = joined.encode()
    return (
        data.count(b"/") == len(keys) + 1  # no key holds the separator
        and not data.translate(None, _KEY_CHARS + b"/")
        and b"//" not in data  # no empty key
        and b"/-" not in data
        and b"-/" not in data
        and b"--" not in data
    )


def _decoded(raw: bytes) -> Op | DomainError:
    try:
        return decode_op(raw)
    except DomainError as exc:
        return exc


_CHECKED_KEYS = (b'"op_id"', b'"checklist_id"', b'"item_key"', b'"note_id"')


def _keys_once(raw: bytes) -> bool:
    """True when no key whose value the batched checks take (:data:`_CHECKED_KEYS`) can occur
    twice in the op: JSON may repeat a key, and the protocol's decoder checks every value
    while the batched checks see only the last one. A key spelled with an escape (``\\u``)
    or a value that looks like such a key only sends the op through :func:`decode_op`."""
    return b"\\u" not in raw and all(raw.count(key) < 2 for key in _CHECKED_KEYS)


def decode_ops(raws: list[bytes]) -> list[Op | DomainError]:
    """Each op typed as :func:`decode_op` types it, or its 400-problem (``invalid-op``).

    Answers and notes are decoded without the regex checks of their ids and item keys first
    (unless such a key may occur twice: :func:`_keys_once`); when those checks then hold for
    all of them at once, the result is what :func:`decode_op`
    gives (as a subclass of the same struct). Otherwise, and for every other op, it is
    :func:`decode_op`'s own result.
    """
    fast: list[Any] = []
    for raw in raws:
        try:
            fast.append(_unchecked_decoder.decode(raw) if _keys_once(raw) else None)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            fast.append(None)
    ok = [op for op in fast if op is not None]
    ids = [op.op_id for op in ok]
    ids += [op.checklist_id for op in ok]
    ids += [op.note_id for op in ok if type(op) is _UncheckedAddNote]
    keys = [op.item_key for op in ok if op.item_key is not None]
    if not (all_uuid7(ids) and all_item_keys(keys)):
        fast = [None] * len(raws)
    return [op if op is not None else _decoded(raw) for op, raw in zip(fast, raws, strict=True)]


IDENTITY_EXEMPT = ("seq", "client_time")
"""Fields a re-sent op may change without becoming another op (its place and display time)."""


def same_op(stored: bytes, raw: bytes) -> bool:
    """True when two ops are the same op: equal after dropping ``seq`` and ``client_time``."""

    def canonical(body: bytes) -> bytes | None:
        try:
            loose = any_decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return None
        if not isinstance(loose, dict):
            return None
        return sorted_encoder.encode({k: v for k, v in loose.items() if k not in IDENTITY_EXEMPT})

    mine = canonical(raw)
    return mine is not None and mine == canonical(stored)


def text_field(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None
