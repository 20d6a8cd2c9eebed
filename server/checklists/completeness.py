"""Is a checklist complete enough to submit, and how far is it? Pure; the field app's rules.

Mirrors ``pwa/js/checklist-logic.js`` (``visibleKeys``, ``validateChecklist`` and
``progress``): only visible items count; an item whose ``visible_if`` item is hidden is hidden
too; required items need an answer (photo and signature items: at least one photo); an
answer listed in ``photo_on`` needs at least one photo of that item. Both run the same
hand-written vectors in ``tests/vectors/checklist-completeness.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from server.checklists.model import VALUELESS_TYPES, Item, Template

MAX_DEPTH = 32


def _matches(value: Any, any_of: list[Any]) -> bool:
    if isinstance(value, list):
        return any(v in any_of for v in value)
    return value is not None and value in any_of


def visible_keys(template: Template, answers: Mapping[str, Any]) -> set[str]:
    """Keys of the items shown for these answers."""
    items = template.item_map()
    memo: dict[str, bool] = {}

    def visit(key: str, depth: int) -> bool:
        if key in memo:
            return memo[key]
        item = items.get(key)
        result = item is not None
        if item is not None and item.visible_if is not None:
            cond = item.visible_if
            result = (
                depth < MAX_DEPTH
                and cond.item in items
                and visit(cond.item, depth + 1)
                and _matches(answers.get(cond.item), list(cond.any_of))
            )
        memo[key] = result
        return result

    return {key for key in items if visit(key, 0)}


def _answered(item: Item, value: Any) -> bool:
    if value is None:
        return False
    if item.type == "text":
        return isinstance(value, str) and value.strip() != ""
    if item.type == "multi_choice":
        return isinstance(value, list) and len(value) > 0
    return True


def missing(
    template: Template,
    answers: Mapping[str, Any],
    photo_counts: Mapping[str, int],
    shown: set[str] | None = None,
) -> dict[str, str]:
    """Item key → Dutch message for everything that blocks submitting; empty when complete.

    ``shown``: :func:`visible_keys` of these answers, when the caller has it already.
    """
    problems: dict[str, str] = {}
    if shown is None:
        shown = visible_keys(template, answers)
    for item in template.items():
        if item.key not in shown:
            continue
        photos = photo_counts.get(item.key, 0)
        if item.type in VALUELESS_TYPES:
            if item.required and photos == 0:
                problems[item.key] = (
                    "Een handtekening is verplicht."
                    if item.type == "signature"
                    else "Een foto is verplicht."
                )
            continue
        value = answers.get(item.key)
        if item.required and not _answered(item, value):
            problems[item.key] = "Dit antwoord is verplicht."
        elif item.photo_on and _matches(value, list(item.photo_on)) and photos == 0:
            problems[item.key] = "Maak minstens één foto: dit antwoord vraagt om bewijs."
    return problems


class Progress(NamedTuple):
    """Answered visible items (photo and signature items: with a photo) of all visible ones."""

    done: int
    total: int


def progress(
    template: Template,
    answers: Mapping[str, Any],
    photo_counts: Mapping[str, int],
    shown: set[str] | None = None,
) -> Progress:
    """How far a checklist is, over the items shown for these answers (``shown`` as in
    :func:`missing`)."""
    if shown is None:
        shown = visible_keys(template, answers)
    done = total = 0
    for item in template.items():
        if item.key not in shown:
            continue
        total += 1
        if item.type in VALUELESS_TYPES:
            done += photo_counts.get(item.key, 0) > 0
        else:
            done += _answered(item, answers.get(item.key))
    return Progress(done, total)


def required_progress(
    template: Template, answers: Mapping[str, Any], photo_counts: Mapping[str, int]
) -> Progress:
    """:func:`progress` over the required items shown for these answers only."""
    shown = visible_keys(template, answers)
    done = total = 0
    for item in template.items():
        if item.key not in shown or not item.required:
            continue
        total += 1
        if item.type in VALUELESS_TYPES:
            done += photo_counts.get(item.key, 0) > 0
        else:
            done += _answered(item, answers.get(item.key))
    return Progress(done, total)


def required_count(
    template: Template, answers: Mapping[str, Any], shown: set[str] | None = None
) -> int:
    """How many of the items shown for these answers are required (``shown`` as in
    :func:`missing`)."""
    if shown is None:
        shown = visible_keys(template, answers)
    return sum(1 for item in template.items() if item.key in shown and item.required)
