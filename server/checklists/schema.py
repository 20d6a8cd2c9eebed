"""The JSON Schema of checklist templates, generated from the msgspec model.

``python -m server.checklists.schema`` (also run by ``make schemas``) writes
``schemas/checklist-template.schema.json``; a test fails when the file drifts from the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from server.checklists.model import Template

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent.parent / "schemas" / ("checklist-template.schema.json")
)


def template_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a checklist template."""
    schema: dict[str, Any] = msgspec.json.schema(Template)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://schouw.example/schemas/checklist-template.schema.json",
        "title": "Schouw checklist template",
        "description": "One published checklist template, identified by slug@version. "
        "Generated from server/checklists/model.py; do not edit by hand.",
        **schema,
    }


def render() -> str:
    """The schema as the exact text stored in the repository."""
    return json.dumps(template_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write(path: Path = SCHEMA_PATH) -> Path:
    """Write the schema file; return its path."""
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
