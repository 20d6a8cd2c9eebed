"""Template validation beyond what the msgspec types enforce. Messages name the item."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from server.checklists.model import ITEM_TYPES, Item, Template, template_decoder

YES_NO_NA = ("yes", "no", "na")
_ITEM_PATH = re.compile(r"^\$\.sections\[(\d+)\]\.items\[(\d+)\](.*)$")


class TemplateError(ValueError):
    """A template is not acceptable; the message names the template and the item."""


def decode_template(data: bytes, source: str = "template") -> Template:
    """Decode JSON into a :class:`Template`, naming the item when a field is wrong.

    msgspec reports a JSON path such as ``$.sections[0].items[3].type``; the path is mapped
    back to the item's key so the author sees ``item 'brw-01': …``.
    """
    try:
        template = template_decoder.decode(data)
    except msgspec.DecodeError as exc:
        message, _, path = str(exc).partition(" - at `")
        path = path.rstrip("`")
        if path.endswith("].type"):
            message += f" (use one of: {', '.join(ITEM_TYPES)})"
        raise TemplateError(f"{source}: {_where(data, path)}{message}") from None
    validate_template(template)
    return template


def _where(data: bytes, path: str) -> str:
    match = _ITEM_PATH.match(path)
    if match is None:
        return f"{path}: " if path else ""
    try:
        raw: Any = msgspec.json.decode(data)
        item = raw["sections"][int(match.group(1))]["items"][int(match.group(2))]
        key = item["key"]
    except (msgspec.DecodeError, LookupError, TypeError):
        return f"{path}: "
    rest = match.group(3).lstrip(".")
    return f"item {key!r}{' field ' + rest if rest else ''}: "


def _answers(item: Item) -> tuple[Any, ...] | None:
    """The answers an item can have, or None when open-ended (number, text, date, time)."""
    if item.type == "yes_no_na":
        return YES_NO_NA
    if item.type in ("choice", "multi_choice"):
        return tuple(o.key for o in item.options or ())
    return None


def _check_item(template: Template, item: Item, items: dict[str, Item]) -> None:
    where = f"{template.ref} item {item.key!r}"
    if item.type in ("choice", "multi_choice"):
        if not item.options:
            raise TemplateError(f"{where}: a {item.type} item needs options")
        option_keys = [o.key for o in item.options]
        if len(set(option_keys)) != len(option_keys):
            raise TemplateError(f"{where}: duplicate option keys")
    elif item.options:
        raise TemplateError(f"{where}: only choice items have options")
    if item.type != "number" and (item.unit or item.min is not None or item.max is not None):
        raise TemplateError(f"{where}: unit, min and max belong to number items only")
    if item.min is not None and item.max is not None and item.min > item.max:
        raise TemplateError(f"{where}: min is greater than max")
    if item.max_length is not None and item.type != "text":
        raise TemplateError(f"{where}: max_length belongs to text items only")
    if item.photo_on is not None:
        if item.type in ("photo", "signature"):
            raise TemplateError(f"{where}: a {item.type} item is itself a photo; drop photo_on")
        allowed = _answers(item)
        if allowed is not None:
            bad = [v for v in item.photo_on if v not in allowed]
            if bad:
                raise TemplateError(f"{where}: photo_on names answers it cannot have: {bad}")
    if item.deviation_on is not None:
        if item.type in ("photo", "signature", "text"):
            raise TemplateError(f"{where}: a {item.type} item has no answers to mark as deviation")
        allowed = _answers(item)
        if allowed is not None:
            bad = [v for v in item.deviation_on if v not in allowed]
            if bad:
                raise TemplateError(f"{where}: deviation_on names answers it cannot have: {bad}")
    if item.visible_if is not None:
        target = items.get(item.visible_if.item)
        if target is None:
            raise TemplateError(
                f"{where}: visible_if refers to unknown item {item.visible_if.item!r}"
            )
        if target.key == item.key:
            raise TemplateError(f"{where}: visible_if refers to itself")
        allowed = _answers(target)
        if allowed is not None:
            bad = [v for v in item.visible_if.any_of if v not in allowed]
            if bad:
                raise TemplateError(
                    f"{where}: visible_if names answers {target.key!r} cannot have: {bad}"
                )


def _check_cycles(template: Template, items: dict[str, Item]) -> None:
    for start in items.values():
        seen = {start.key}
        current = start
        while current.visible_if is not None and current.visible_if.item in items:
            current = items[current.visible_if.item]
            if current.key in seen:
                raise TemplateError(
                    f"{template.ref} item {start.key!r}: visible_if conditions form a cycle"
                )
            seen.add(current.key)


def validate_template(template: Template) -> None:
    """Raise :class:`TemplateError` for duplicate keys, bad references, missing options."""
    seen: set[str] = set()
    for item in template.items():
        if item.key in seen:
            raise TemplateError(f"{template.ref} item {item.key!r}: duplicate key")
        seen.add(item.key)
    section_keys = [s.key for s in template.sections]
    if len(set(section_keys)) != len(section_keys):
        raise TemplateError(f"{template.ref}: duplicate section keys")
    items = template.item_map()
    for item in template.items():
        _check_item(template, item, items)
    _check_cycles(template, items)


def validate_upgrade(previous: Template, new: Template) -> None:
    """A new version may add items but never change the type of an existing key."""
    old = previous.item_map()
    for item in new.items():
        before = old.get(item.key)
        if before is not None and before.type != item.type:
            raise TemplateError(
                f"{new.ref} item {item.key!r}: type changed from {before.type} to {item.type} "
                f"(keys are stable across versions; use a new key)"
            )
