"""Submit readiness: the server's rules match the field app's (visible, required, photo_on)."""

from __future__ import annotations

from typing import Any

import msgspec

from server.checklists.completeness import missing, visible_keys
from server.checklists.model import Template, template_decoder


def _template() -> Template:
    items: list[dict[str, Any]] = [
        {"key": "open", "type": "yes_no_na", "label": "Open?", "required": True},
        {"key": "toegang", "type": "yes_no_na", "label": "Toegang?", "photo_on": ["no"]},
        {
            "key": "soort",
            "type": "choice",
            "label": "Soort",
            "required": True,
            "options": [{"key": "horeca", "label": "Horeca"}, {"key": "winkel", "label": "Winkel"}],
            "visible_if": {"item": "open", "any_of": ["yes"]},
        },
        {
            "key": "terras",
            "type": "text",
            "label": "Terras",
            "required": True,
            "visible_if": {"item": "soort", "any_of": ["horeca"]},
        },
        {
            "key": "gebreken",
            "type": "multi_choice",
            "label": "Gebreken",
            "required": True,
            "options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}],
        },
        {"key": "gevel", "type": "photo", "label": "Gevel", "required": True},
        {"key": "handtekening", "type": "signature", "label": "Handtekening"},
    ]
    body = {
        "slug": "t",
        "version": 1,
        "title": "T",
        "agency_kinds": ["*"],
        "legal_basis": "x",
        "sections": [{"key": "s", "title": "S", "items": items}],
    }
    return template_decoder.decode(msgspec.json.encode(body))


def test_empty_checklist_lists_every_visible_required_item() -> None:
    problems = missing(_template(), {}, {})
    assert set(problems) == {"open", "gebreken", "gevel"}
    assert problems["gevel"] == "Een foto is verplicht."
    assert problems["open"] == "Dit antwoord is verplicht."


def test_hidden_items_are_never_required_and_chains_hide() -> None:
    template = _template()
    assert "terras" not in visible_keys(template, {"open": "no", "soort": "horeca"})
    assert "terras" in visible_keys(template, {"open": "yes", "soort": "horeca"})
    answers = {"open": "no", "gebreken": ["a"]}
    assert missing(template, answers, {"gevel": 1}) == {}


def test_visible_required_items_and_empty_values_count_as_missing() -> None:
    answers = {"open": "yes", "soort": "horeca", "terras": "   ", "gebreken": []}
    problems = missing(_template(), answers, {"gevel": 1})
    assert set(problems) == {"terras", "gebreken"}


def test_deviation_answer_demands_a_photo() -> None:
    answers = {"open": "no", "gebreken": ["b"], "toegang": "no"}
    assert missing(_template(), answers, {"gevel": 1}) == {
        "toegang": "Maak minstens één foto: dit antwoord vraagt om bewijs."
    }
    assert missing(_template(), answers, {"gevel": 1, "toegang": 2}) == {}
