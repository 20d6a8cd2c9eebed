"""Generate ``schemas/sync-v1.schema.json`` from the sync structs: ``python -m server.sync.schema``.

Other clients validate against this file; a test fails when it drifts from the structs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec

from server.lib.rawjson import DEFINITIONS, REF_TEMPLATE
from server.sync.protocol import (
    AgencyData,
    ChecklistProgress,
    CommentResponse,
    ConflictPage,
    PullResponse,
    PushRequest,
    PushResponse,
    ReleaseResponse,
    ResolveResponse,
    ReturnResponse,
)
from server.sync.returns import ReturnRequest
from server.sync.teamlead import CommentRequest, ReleaseRequest, ResolveRequest

SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "schemas" / "sync-v1.schema.json"
ROOTS: tuple[type[Any], ...] = (
    PushRequest,
    PushResponse,
    PullResponse,
    ResolveRequest,
    CommentRequest,
    ReleaseRequest,
    ChecklistProgress,
    AgencyData,
    ReturnRequest,
    ConflictPage,
    ResolveResponse,
    CommentResponse,
    ReleaseResponse,
    ReturnResponse,
)


def render() -> bytes:
    """The schema document as formatted JSON bytes (deterministic)."""
    refs, components = msgspec.json.schema_components(ROOTS, ref_template=REF_TEMPLATE)
    for name, definition in DEFINITIONS.items():
        components.setdefault(name, definition)
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://schouw.example/schemas/sync-v1.schema.json",
        "title": "Schouw sync protocol v1",
        "description": "Requests and responses of /api/v1/sync/push, /api/v1/sync/pull and the "
        "team-lead actions. Generated from server/sync/protocol.py; do not edit by hand.",
        "anyOf": list(refs),
        "$defs": dict(sorted(components.items())),
    }
    encoded = msgspec.json.encode(document).replace(
        REF_TEMPLATE.format(name="").encode(), b"#/$defs/"
    )
    return msgspec.json.format(encoded, indent=2) + b"\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema file (or, with ``--check``, exit 1 when it is out of date)."""
    args = sys.argv[1:] if argv is None else argv
    wanted = render()
    if "--check" in args:
        current = SCHEMA_PATH.read_bytes() if SCHEMA_PATH.exists() else b""
        if current != wanted:
            print(f"{SCHEMA_PATH} is out of date; run python -m server.sync.schema")
            return 1
        return 0
    SCHEMA_PATH.write_bytes(wanted)
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
