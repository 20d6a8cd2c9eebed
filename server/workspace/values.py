"""Answers as a team lead reads them: Dutch labels for values, units, option labels."""

from __future__ import annotations

from typing import Any

import msgspec

from server.checklists.model import Item

YES_NO_NA = {"yes": "Ja", "no": "Nee", "na": "N.v.t."}


def show_value(item: Item | None, value: Any) -> str:
    """One answer value as text for the screen and the report."""
    if value is None:
        return "—"
    if item is None:
        return str(value)
    if item.type == "yes_no_na":
        return YES_NO_NA.get(str(value), str(value))
    if item.type in ("choice", "multi_choice"):
        labels = {o.key: o.label for o in item.options or ()}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in chosen) or "—"
    if item.type == "number":
        number = f"{value:g}" if isinstance(value, float) else str(value)
        return f"{number} {item.unit}" if item.unit else number
    if item.type == "date" and isinstance(value, str) and len(value) == 10:
        y, m, d = value.split("-")
        return f"{d}-{m}-{y}"
    return str(value)


def show_place(geo: Any) -> str:
    """A location ``{lat, lon, accuracy?}`` as text (empty when unknown)."""
    if isinstance(geo, msgspec.Struct):
        geo = msgspec.structs.asdict(geo)
    if not isinstance(geo, dict) or "lat" not in geo or "lon" not in geo:
        return ""
    text = f"{float(geo['lat']):.5f}, {float(geo['lon']):.5f}"
    if geo.get("accuracy") is not None:
        text += f" (±{float(geo['accuracy']):.0f} m)"
    return text
