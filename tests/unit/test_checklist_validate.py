"""The template validator: each rule rejects bad input naming the item, and accepts good input."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from server.checklists.validate import TemplateError, decode_template, validate_upgrade


def _template(*items: dict[str, Any], version: int = 1) -> dict[str, Any]:
    return {
        "slug": "test-sjabloon",
        "version": version,
        "title": "Testsjabloon",
        "agency_kinds": ["gemeente"],
        "legal_basis": "Awb art. 5:15",
        "sections": [{"key": "deel", "title": "Deel", "items": list(items)}],
    }


YES = {"key": "vraag-a", "type": "yes_no_na", "label": "Vraag A"}
CHOICE = {
    "key": "keuze-b",
    "type": "choice",
    "label": "Keuze B",
    "options": [{"key": "een", "label": "Een"}, {"key": "twee", "label": "Twee"}],
}


def _decode(body: dict[str, Any]) -> Any:
    return decode_template(msgspec.json.encode(body), "test-sjabloon-v1.json")


def test_good_template_is_accepted() -> None:
    template = _decode(_template(YES, CHOICE))
    assert [i.key for i in template.items()] == ["vraag-a", "keuze-b"]


def test_duplicate_key_is_rejected_naming_the_item() -> None:
    with pytest.raises(TemplateError, match=r"item 'vraag-a': duplicate key"):
        _decode(_template(YES, {**YES, "label": "Nog eens"}))


def test_unknown_type_names_the_item_key() -> None:
    bad = {"key": "vraag-x", "type": "kleur", "label": "Welke kleur?"}
    with pytest.raises(
        TemplateError,
        match=r"item 'vraag-x' field type: Invalid enum value 'kleur' \(use one of: yes_no_na",
    ):
        _decode(_template(YES, bad))


def test_visible_if_on_unknown_key_is_rejected() -> None:
    bad = {**CHOICE, "visible_if": {"item": "bestaat-niet", "any_of": ["yes"]}}
    with pytest.raises(TemplateError, match=r"item 'keuze-b': visible_if refers to unknown item"):
        _decode(_template(YES, bad))
    good = {**CHOICE, "visible_if": {"item": "vraag-a", "any_of": ["yes"]}}
    assert _decode(_template(YES, good)).item_map()["keuze-b"].visible_if is not None


def test_visible_if_with_impossible_answer_is_rejected() -> None:
    bad = {**CHOICE, "visible_if": {"item": "vraag-a", "any_of": ["ja"]}}
    with pytest.raises(TemplateError, match=r"item 'keuze-b': visible_if names answers"):
        _decode(_template(YES, bad))


def test_visible_if_cycle_is_rejected() -> None:
    a = {**YES, "visible_if": {"item": "vraag-c", "any_of": ["yes"]}}
    c: dict[str, Any] = {"key": "vraag-c", "type": "yes_no_na", "label": "C"}
    c["visible_if"] = {"item": "vraag-a", "any_of": ["no"]}
    with pytest.raises(TemplateError, match="cycle"):
        _decode(_template(a, c))


def test_choice_without_options_is_rejected() -> None:
    for kind in ("choice", "multi_choice"):
        bad = {"key": "keuze-b", "type": kind, "label": "Keuze"}
        with pytest.raises(TemplateError, match=rf"item 'keuze-b': a {kind} item needs options"):
            _decode(_template(bad))


def test_options_on_non_choice_item_are_rejected() -> None:
    bad = {**YES, "options": [{"key": "een", "label": "Een"}]}
    with pytest.raises(TemplateError, match=r"item 'vraag-a': only choice items have options"):
        _decode(_template(bad))


def test_photo_on_must_name_possible_answers() -> None:
    with pytest.raises(TemplateError, match=r"item 'vraag-a': photo_on names answers"):
        _decode(_template({**YES, "photo_on": ["nee"]}))
    assert _decode(_template({**YES, "photo_on": ["no"]})).items()[0].photo_on == ["no"]


def test_unit_on_non_number_is_rejected() -> None:
    with pytest.raises(TemplateError, match=r"item 'vraag-a': unit, min and max"):
        _decode(_template({**YES, "unit": "kg"}))
    number = {"key": "gewicht", "type": "number", "label": "Gewicht", "unit": "kg", "min": 0}
    assert _decode(_template(number)).items()[0].unit == "kg"


def test_min_above_max_is_rejected() -> None:
    bad = {"key": "temp", "type": "number", "label": "Temp", "min": 10, "max": 5}
    with pytest.raises(TemplateError, match=r"item 'temp': min is greater than max"):
        _decode(_template(bad))


def test_new_version_may_add_items_but_not_change_types() -> None:
    v1 = _decode(_template(YES, CHOICE))
    v2_good = _decode(
        _template(YES, CHOICE, {"key": "nieuw", "type": "text", "label": "Nieuw"}, version=2)
    )
    validate_upgrade(v1, v2_good)
    changed = copy.deepcopy(CHOICE)
    changed["type"] = "multi_choice"
    v2_bad = _decode(_template(YES, changed, version=2))
    with pytest.raises(TemplateError, match=r"item 'keuze-b': type changed from choice to multi"):
        validate_upgrade(v1, v2_bad)


def test_deviation_on_must_name_possible_answers_and_defaults_to_photo_on() -> None:
    with pytest.raises(TemplateError, match=r"item 'vraag-a': deviation_on names answers"):
        _decode(_template({**YES, "deviation_on": ["nee"]}))
    text = {"key": "tekst", "type": "text", "label": "Tekst", "deviation_on": ["x"]}
    with pytest.raises(TemplateError, match=r"item 'tekst': a text item has no answers"):
        _decode(_template(text))
    explicit = _decode(_template({**YES, "photo_on": ["no"], "deviation_on": ["no", "na"]}))
    assert explicit.items()[0].deviation_values() == ["no", "na"]
    assert explicit.items()[0].is_deviation("na")
    defaulted = _decode(_template({**YES, "photo_on": ["no"]})).items()[0]
    assert defaulted.is_deviation("no") and not defaulted.is_deviation("yes")
    multi = {**CHOICE, "type": "multi_choice", "deviation_on": ["twee"]}
    item = _decode(_template(multi)).items()[0]
    assert item.is_deviation(["een", "twee"]) and not item.is_deviation(["een"])
    assert not _decode(_template(YES)).items()[0].is_deviation("no")
