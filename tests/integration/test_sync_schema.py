"""The published sync JSON Schema matches the structs, and validates what the server sends."""

from __future__ import annotations

import msgspec

from server.sync.protocol import PushRequest
from server.sync.schema import SCHEMA_PATH, main, render


def test_schema_file_matches_the_structs() -> None:
    assert SCHEMA_PATH.read_bytes() == render(), (
        "schemas/sync-v1.schema.json drifted: run python -m server.sync.schema"
    )
    assert main(["--check"]) == 0


def test_schema_names_every_op_kind() -> None:
    document = msgspec.json.decode(SCHEMA_PATH.read_bytes())
    defs = document["$defs"]
    tags = {
        defs[name]["properties"]["op"]["enum"][0]
        for name in defs
        if "op" in defs[name].get("properties", {})
    }
    assert tags == {
        "set_answer",
        "amend_answer",
        "add_note",
        "attach_photo",
        "withdraw_photo",
        "create_case",
        "submit_checklist",
    }
    assert defs["PushRequest"]["properties"]["ops"]["maxItems"] == 500
    assert PushRequest.__name__ in defs
