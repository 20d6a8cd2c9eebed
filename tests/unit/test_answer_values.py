"""Answer values from outside: ASCII digits only in dates and times, bounded numbers."""

from __future__ import annotations

import pytest

from server.checklists.model import Item
from server.lib.errors import Unprocessable
from server.sync.protocol import AnswerValue
from server.sync.values import check_value

NUMBER = Item(key="aantal", type="number", label="Aantal")
TIME = Item(key="tijd", type="time", label="Tijd")
DATE = Item(key="datum", type="date", label="Datum")


@pytest.mark.parametrize(
    ("item", "value"),
    [
        (TIME, "12:30"),
        (DATE, "2026-05-04"),
        (NUMBER, 2**53 - 1),
        (NUMBER, -(2**53 - 1)),
        (NUMBER, 1.5e300),
    ],
)
def test_good_values_are_kept(item: Item, value: AnswerValue) -> None:
    assert check_value(item, value) == value


@pytest.mark.parametrize(
    ("item", "value"),
    [
        (TIME, "1\u0662:3\u0660"),  # Arabic-Indic digits
        (TIME, "\uff11\uff12:30"),  # fullwidth digits
        (DATE, "\uff12\uff10\uff12\uff16-05-04"),
        (DATE, "2026-0\u0665-04"),
        (NUMBER, 2**53),
        (NUMBER, -(2**63)),
        (NUMBER, 10**30),
    ],
)
def test_unicode_digits_and_unbounded_numbers_are_refused(item: Item, value: AnswerValue) -> None:
    with pytest.raises(Unprocessable) as refused:
        check_value(item, value)
    assert refused.value.errors and refused.value.errors[0].field == "value"
