"""JSON text kept in SQLite and sent on unchanged, documented as the type it was written as.

Columns such as ``cases.reason`` or ``answers.value`` hold JSON that was encoded from a
msgspec type. Responses pass that text on as :class:`msgspec.Raw` (no decode and re-encode),
while their schema names the real type::

    ReasonText = Annotated[msgspec.Raw, documented_as(Reason)]

The definitions such a schema refers to are collected in :data:`DEFINITIONS`; whoever renders
a document (the OpenAPI plugin, the sync JSON Schema) adds them to its components.
"""

from __future__ import annotations

from typing import Any

import msgspec

REF_TEMPLATE = "#/components/schemas/{name}"
DEFINITIONS: dict[str, Any] = {}
"""Component schemas referred to by :func:`documented_as` schemas, by name."""


def documented_as(tp: Any) -> msgspec.Meta:
    """Annotation metadata that documents a ``msgspec.Raw`` field as JSON of type ``tp``."""
    (schema,), definitions = msgspec.json.schema_components([tp], ref_template=REF_TEMPLATE)
    DEFINITIONS.update(definitions)
    return msgspec.Meta(extra_json_schema=dict(schema))
