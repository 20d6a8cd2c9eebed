"""Answer values checked against their template item (pure; no I/O)."""

from __future__ import annotations

import math
import re
from datetime import date

from server.checklists.model import VALUELESS_TYPES, Item
from server.lib.errors import FieldError, Unprocessable
from server.lib.numbers import JS_SAFE_INT
from server.sync.protocol import AnswerValue

MAX_TEXT = 4000
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
YES_NO_NA = ("yes", "no", "na")


def _bad(message: str) -> Unprocessable:
    return Unprocessable(message, slug="invalid-value", errors=[FieldError("value", message)])


def check_value(item: Item, value: AnswerValue) -> AnswerValue:
    """Return the canonical value for ``item`` or raise 422 naming the field ``value``.

    ``None`` clears an answer. Multi-choice lists are put in template option order.
    """
    if item.type in VALUELESS_TYPES:
        raise _bad(
            f"Vraag {item.key!r} ({item.type}) heeft geen waarde: stuur een foto met "
            f"attach_photo en item_key {item.key!r}."
        )
    if value is None:
        return None
    kind = item.type
    if kind == "yes_no_na":
        if value not in YES_NO_NA:
            raise _bad(f'Vraag {item.key!r} verwacht "yes", "no" of "na".')
        return value
    if kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _bad(f"Vraag {item.key!r} verwacht een getal (geen tekst).")
        if isinstance(value, float) and not math.isfinite(value):
            raise _bad(f"Vraag {item.key!r} verwacht een eindig getal.")
        if isinstance(value, int) and abs(value) > JS_SAFE_INT:
            raise _bad(
                f"Vraag {item.key!r}: een geheel getal mag hoogstens {JS_SAFE_INT} zijn "
                "(positief of negatief)."
            )
        if item.min is not None and value < item.min:
            raise _bad(f"Vraag {item.key!r}: {value} is kleiner dan het minimum {item.min:g}.")
        if item.max is not None and value > item.max:
            raise _bad(f"Vraag {item.key!r}: {value} is groter dan het maximum {item.max:g}.")
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise _bad(f"Vraag {item.key!r} verwacht tekst.")
        limit = min(item.max_length or MAX_TEXT, MAX_TEXT)
        if len(value) > limit:
            raise _bad(f"Vraag {item.key!r}: de tekst is langer dan {limit} tekens.")
        return value
    options = [o.key for o in item.options or []]
    if kind == "choice":
        if not isinstance(value, str) or value not in options:
            raise _bad(f"Vraag {item.key!r} verwacht een van: {', '.join(options)}.")
        return value
    if kind == "multi_choice":
        if not isinstance(value, list):
            raise _bad(f"Vraag {item.key!r} verwacht een lijst van opties.")
        chosen = set(value)
        if len(chosen) != len(value):
            raise _bad(f"Vraag {item.key!r}: elke optie mag maar één keer voorkomen.")
        unknown = sorted(chosen.difference(options))
        if unknown:
            raise _bad(f"Vraag {item.key!r}: onbekende optie(s) {', '.join(unknown)}.")
        return [key for key in options if key in chosen]
    if kind == "date":
        if not isinstance(value, str) or not _DATE.match(value):
            raise _bad(f"Vraag {item.key!r} verwacht een datum als JJJJ-MM-DD.")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _bad(f"Vraag {item.key!r}: {value} is geen bestaande datum.") from None
        return value
    if kind == "time":
        if not isinstance(value, str) or not _TIME.match(value):
            raise _bad(f"Vraag {item.key!r} verwacht een tijd als UU:MM.")
        return value
    raise _bad(f"Vraag {item.key!r} heeft een onbekend type {kind!r}.")
