"""Submit readiness and progress: the server runs the same hand-written vectors as the field
app (tests/vectors/checklist-completeness.json, also read by pwa/test/logic.test.mjs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.checklists.completeness import missing, progress, required_count, visible_keys
from server.checklists.model import Template, template_decoder

VECTORS: dict[str, Any] = msgspec.json.decode(
    (Path(__file__).parents[1] / "vectors" / "checklist-completeness.json").read_bytes()
)
TEMPLATES: dict[str, Template] = {
    name: template_decoder.decode(msgspec.json.encode(body))
    for name, body in VECTORS["templates"].items()
}


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_checklist_vector(case: dict[str, Any]) -> None:
    template = TEMPLATES[case["template"]]
    answers, photos = case["answers"], case["photos"]
    shown = visible_keys(template, answers)
    assert [item.key for item in template.items() if item.key in shown] == case["visible"]
    problems = missing(template, answers, photos)
    assert problems == case["missing"]
    assert (problems == {}) is case["complete"]
    assert progress(template, answers, photos)._asdict() == case["progress"]


def test_the_vectors_cover_every_rule() -> None:
    """A guard against vectors losing their point: each rule is exercised both ways."""
    cases = VECTORS["cases"]
    messages = {m for c in cases for m in c["missing"].values()}
    assert messages == {
        "Dit antwoord is verplicht.",
        "Een foto is verplicht.",
        "Een handtekening is verplicht.",
        "Maak minstens één foto: dit antwoord vraagt om bewijs.",
    }
    assert {c["complete"] for c in cases} == {True, False}
    template = TEMPLATES["vectors"]
    conditional = {item.key for item in template.items() if item.visible_if is not None}
    seen = {key for c in cases for key in c["visible"]}
    assert conditional <= seen, "every conditional item is shown by some vector"


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_required_count_counts_visible_required_items(case: dict[str, Any]) -> None:
    """Pull's progress.required: the visible items marked required (hidden ones never count)."""
    template = TEMPLATES[case["template"]]
    by_key = template.item_map()
    expected = sum(1 for key in case["visible"] if by_key[key].required)
    assert required_count(template, case["answers"]) == expected
    hidden_required = [i for i in template.items() if i.required and i.key not in case["visible"]]
    if hidden_required:
        assert expected < sum(1 for i in template.items() if i.required)
