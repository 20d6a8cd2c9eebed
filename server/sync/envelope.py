"""The push envelope: strict decoding of the envelope and each op's seq; per-op decoding."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgspec

from server.lib import jsonscan
from server.lib.errors import BadRequest, FieldError, PayloadTooLarge, decode_error_to_bad_request
from server.lib.numbers import SQLITE_INT_MAX
from server.sync.protocol import (
    MAX_OPS,
    SCHEMA_VERSION,
    Op,
    PushEnvelope,
    any_decoder,
    envelope_decoder,
    op_decoder,
    sorted_encoder,
)


@dataclass(slots=True)
class RawOp:
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
    for index, raw in enumerate(envelope.ops):
        loose, whole = _loose(bytes(raw))
        seq = loose.get("seq") if loose is not None else None
        if loose is None or type(seq) is not int or not 1 <= seq <= SQLITE_INT_MAX:
            field = f"$.ops[{index}]" + (".seq" if loose is not None else "")
            message = f"Expected an object with `seq`, an integer from 1 to {SQLITE_INT_MAX}"
            raise BadRequest(
                f"Op {index} is geen object met een geldig volgnummer (seq) (veld {field}).",
                errors=[FieldError(field, message)],
            )
        digest = _digest(loose if whole else None, bytes(raw))
        ops.append(
            RawOp(
                seq,
                bytes(raw),
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
