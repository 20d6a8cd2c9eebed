"""Template validation beyond what the msgspec types enforce. Messages name the item."""

from __future__ import annotations

from server.checklists.model import Template


class TemplateError(ValueError):
    """A template is not acceptable; the message names the template and the item."""


def validate_template(template: Template) -> None:
    """Raise :class:`TemplateError` for duplicate keys, bad references, missing options."""
    seen: set[str] = set()
    items = template.items()
    keys = {item.key for item in items}
    for section in template.sections:
        for item in section.items:
            where = f"{template.ref} item {item.key!r}"
            if item.key in seen:
                raise TemplateError(f"{where}: duplicate key")
            seen.add(item.key)
            if item.type in ("choice", "multi_choice"):
                if not item.options:
                    raise TemplateError(f"{where}: a {item.type} item needs options")
                option_keys = [o.key for o in item.options]
                if len(set(option_keys)) != len(option_keys):
                    raise TemplateError(f"{where}: duplicate option keys")
            elif item.options:
                raise TemplateError(f"{where}: only choice items have options")
            if item.visible_if is not None:
                if item.visible_if.item not in keys:
                    raise TemplateError(
                        f"{where}: visible_if refers to unknown item {item.visible_if.item!r}"
                    )
                if item.visible_if.item == item.key:
                    raise TemplateError(f"{where}: visible_if refers to itself")
            if item.min is not None and item.max is not None and item.min > item.max:
                raise TemplateError(f"{where}: min is greater than max")


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
