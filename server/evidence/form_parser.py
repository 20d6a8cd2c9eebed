"""Callbacks for python-multipart's streaming parser: fields kept small, the file's pieces
handed to the caller (``form.receive_form``), which writes and hashes them as they arrive."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from python_multipart.multipart import parse_options_header

from server.evidence.errors import too_large
from server.lib.errors import BadRequest, DomainError

FIELDS = ("photo_id", "sha256")
FIELD_MAX = 128


@dataclass
class FormState:
    """What the parser callbacks have seen so far."""

    name: str | None = None
    header_field: bytes = b""
    header_value: bytes = b""
    fields: dict[str, bytearray] = field(default_factory=dict)
    file_started: bool = False
    file_done: bool = False
    finished: bool = False
    pending: list[bytes] = field(default_factory=list)  # file bytes not written yet
    buffered: int = 0  # their length
    fd: int | None = None
    size: int = 0
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)
    error: DomainError | None = None


def bad_form(detail: str) -> BadRequest:
    return BadRequest(detail, slug="photo-form")


def callbacks(state: FormState, limit: int) -> dict[str, object]:
    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.header_field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.header_value += data[start:end]

    def on_header_end() -> None:
        if state.header_field.lower() == b"content-disposition":
            _, params = parse_options_header(state.header_value)
            state.name = params.get(b"name", b"").decode("utf-8", "replace")
        state.header_field, state.header_value = b"", b""

    def on_headers_finished() -> None:
        name = state.name
        if name == "file":
            if state.file_started:
                state.error = state.error or bad_form("Het formulier bevat meer dan één bestand.")
            state.file_started = True
        elif name in FIELDS:
            if name in state.fields or state.file_started:
                state.error = state.error or bad_form(
                    "Stuur photo_id en sha256 elk één keer, vóór het veld file."
                )
            state.fields[name] = bytearray()
        else:
            state.error = state.error or bad_form(
                f"Onbekend veld '{name}'; verwacht photo_id, sha256 en file."
            )

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.error is not None:
            return
        chunk = data[start:end]
        if state.name == "file" and not state.file_done:
            state.size += len(chunk)
            if state.size > limit:
                state.error = too_large(limit)
                return
            # Written (and hashed) by the caller, off the event loop, a few pieces at a time.
            state.pending.append(chunk)
            state.buffered += len(chunk)
        elif state.name in state.fields:
            buf = state.fields[state.name]
            buf += chunk
            if len(buf) > FIELD_MAX:
                state.error = bad_form(f"Het veld {state.name} is te lang.")

    def on_part_end() -> None:
        if state.name == "file":
            state.file_done = True
        state.name = None

    def on_end() -> None:
        state.finished = True

    return {
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
        "on_end": on_end,
    }


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a Content-Type header; 400 when there is none."""
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary or len(boundary) > 70:
        raise bad_form(
            "Stuur multipart/form-data met een boundary (velden photo_id, sha256, file)."
        )
    return boundary
