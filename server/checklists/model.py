"""The checklist template model (architecture §2). Templates are immutable once published.

Item keys are stable across versions: an answer to ``brand-03`` in version 1 means the same
question in version 2, and its type may never change.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ItemType = Literal[
    "yes_no_na", "number", "text", "choice", "multi_choice", "date", "time", "photo", "signature"
]
Sensitivity = Literal["private", "shareable", "restricted"]
ITEM_TYPES: tuple[str, ...] = (
    "yes_no_na",
    "number",
    "text",
    "choice",
    "multi_choice",
    "date",
    "time",
    "photo",
    "signature",
)
VALUELESS_TYPES = frozenset({"photo", "signature"})
MAX_TEMPLATE_VERSION = 999_999
"""A template version is 1 to 999999 (as in ``slug@version`` of the sync protocol)."""

Key = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        max_length=64,
        description="Stable key, kebab-case, unique within the template",
    ),
]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
ScalarValue = str | int | float | bool


class Option(msgspec.Struct, forbid_unknown_fields=True):
    """One option of a choice item."""

    key: Key
    label: Label


class VisibleIf(msgspec.Struct, forbid_unknown_fields=True):
    """Show the item only when another item's answer equals one of ``any_of``."""

    item: Key
    any_of: Annotated[list[ScalarValue], msgspec.Meta(min_length=1)]


class Item(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One question of a checklist."""

    key: Key
    type: ItemType
    label: Label
    help: str | None = None
    required: bool = False
    sensitivity: Sensitivity = "private"
    options: list[Option] | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: Annotated[int, msgspec.Meta(ge=1, le=4000)] | None = None
    photo_on: list[ScalarValue] | None = None
    deviation_on: list[ScalarValue] | None = None
    visible_if: VisibleIf | None = None

    def deviation_values(self) -> list[ScalarValue]:
        """Answers that mark a deviation (afwijking): ``deviation_on``, else ``photo_on``."""
        chosen = self.deviation_on if self.deviation_on is not None else self.photo_on
        return list(chosen or [])

    def is_deviation(self, value: object) -> bool:
        """True when ``value`` (a multi choice: any of its options) is a deviation."""
        marks = self.deviation_values()
        if isinstance(value, list):
            return any(v in marks for v in value)
        return value is not None and value in marks


class Section(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A titled group of items."""

    key: Key
    title: Label
    items: Annotated[list[Item], msgspec.Meta(min_length=1)]


class Template(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A published checklist template, identified by ``slug@version``."""

    slug: Slug
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Label
    agency_kinds: list[str]
    legal_basis: Annotated[str, msgspec.Meta(min_length=1)]
    sections: Annotated[list[Section], msgspec.Meta(min_length=1)]
    description: str | None = None

    @property
    def ref(self) -> str:
        """``slug@version``."""
        return f"{self.slug}@{self.version}"

    def items(self) -> list[Item]:
        """All items in order, flattened over sections."""
        return [item for section in self.sections for item in section.items]

    def item_map(self) -> dict[str, Item]:
        """Items by key."""
        return {item.key: item for item in self.items()}


template_decoder = msgspec.json.Decoder(Template)
