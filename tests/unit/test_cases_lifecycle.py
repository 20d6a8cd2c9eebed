"""Case lifecycle steps and the small value checks of the cases API."""

from __future__ import annotations

import itertools

import pytest

from server.cases.lifecycle import (
    STATUSES,
    TRANSITIONS,
    check_date,
    check_time,
    check_transition,
    parse_template_ref,
)
from server.lib.errors import Unprocessable


def test_the_main_path_is_allowed_step_by_step() -> None:
    for current, target in itertools.pairwise(STATUSES):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("signal", "planned"),
        ("selected", "reviewed"),
        ("planned", "intervention"),
        ("closed", "selected"),
    ],
)
def test_jumps_are_refused_with_422(current: str, target: str) -> None:
    with pytest.raises(Unprocessable) as info:
        check_transition(current, target)
    assert info.value.slug == "illegal-status-transition"
    assert info.value.errors and info.value.errors[0].field == "status"


def test_closed_is_final_and_reachable_from_every_open_stage() -> None:
    assert TRANSITIONS["closed"] == frozenset()
    for status in STATUSES[:-1]:
        assert "closed" in TRANSITIONS[status]


def test_dates_times_and_template_refs() -> None:
    assert check_date("2026-05-04", "date") == "2026-05-04"
    assert check_time("09:30", "time") == "09:30"
    assert parse_template_ref("nvwa-hygiene-tabak@2", "t") == ("nvwa-hygiene-tabak", 2)
    for bad_date in ("2026-02-30", "4-5-2026", "2026-5-4"):
        with pytest.raises(Unprocessable, match="Datum"):
            check_date(bad_date, "date")
    for bad_time in ("24:00", "9:30", "09:30:00"):
        with pytest.raises(Unprocessable, match="Tijd"):
            check_time(bad_time, "time")
    for bad_ref in ("nvwa", "nvwa@", "nvwa@0", "@1", "nvwa@v1"):
        with pytest.raises(Unprocessable, match="Sjabloon"):
            parse_template_ref(bad_ref, "t")
