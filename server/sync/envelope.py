"""The push envelope: strict decoding of the envelope and each op's seq; per-op decoding."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgspec

from server.lib.errors import BadRequest, FieldError, PayloadTooLarge, decode_error_to_bad_request
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


@dataclass(frozen=True, slots=True)
class RawOp:
    """One op of the envelope: its seq (decoded strictly) and its bytes."""

    seq: int
    raw: bytes
    digest: str
    op_id: str | None
    kind: str
    client_time: str | None


def decode_envelope(body: bytes) -> tuple[PushEnvelope, list[RawOp]]:
    """Strict envelope and seq decoding: anything malformed is a 400 for the whole push."""
    try:
        envelope = envelope_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise decode_error_to_bad_request(exc) from None
    if envelope.schema_version != SCHEMA_VERSION:
        raise BadRequest(
            f"schema_version {envelope.schema_version} wordt niet ondersteund; gebruik 1.",
            slug="unsupported-schema-version",
            errors=[FieldError("$.schema_version", "moet 1 zijn")],
        )
    if len(envelope.ops) > MAX_OPS:
        raise PayloadTooLarge(
            f"Een push mag hoogstens {MAX_OPS} ops bevatten; stuur de rest in een volgende push."
        )
    ops: list[RawOp] = []
    for index, raw in enumerate(envelope.ops):
        loose = any_decoder.decode(raw)  # valid JSON: the envelope decoded
        seq = loose.get("seq") if isinstance(loose, dict) else None
        if type(seq) is not int or seq < 1:
            field = f"$.ops[{index}]" + (".seq" if isinstance(loose, dict) else "")
            message = "Expected an object with `seq`, an integer >= 1"
            raise BadRequest(
                f"Op {index} is geen object met een geldig volgnummer (seq) (veld {field}).",
                errors=[FieldError(field, message)],
            )
        digest = hashlib.sha256(sorted_encoder.encode(loose)).hexdigest()
        ops.append(
            RawOp(
                seq,
                bytes(raw),
                digest,
                text_field(loose.get("op_id")),
                text_field(loose.get("op")) or "unknown",
                text_field(loose.get("client_time")),
            )
        )
    return envelope, ops


def decode_op(raw: bytes) -> Op:
    try:
        return op_decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        bad = decode_error_to_bad_request(exc)
        field = bad.errors[0].field if bad.errors else "$"
        message = bad.errors[0].message if bad.errors else str(exc)
        raise BadRequest(
            f"Deze op is ongeldig: {message} (veld {field}).",
            slug="invalid-op",
            errors=bad.errors,
        ) from None


def text_field(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None
