"""The case lifecycle and small value checks: pure functions, no I/O.

``signal → selected → planned → inspected → reviewed → intervention → closed``. A case moves
one step forward; a few steps back are allowed where the work is redone (a cancelled plan,
a review sent back); a case may be closed from any stage once it is selected; ``closed`` is
final.
"""

from __future__ import annotations

import re
from datetime import date, time

from server.checklists.model import MAX_TEMPLATE_VERSION
from server.lib.errors import FieldError, Unprocessable
from server.lib.numbers import ascii_digits

STATUSES: tuple[str, ...] = (
    "signal",
    "selected",
    "planned",
    "inspected",
    "reviewed",
    "intervention",
    "closed",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "signal": frozenset({"selected", "closed"}),
    "selected": frozenset({"planned", "closed"}),
    "planned": frozenset({"inspected", "selected", "closed"}),
    "inspected": frozenset({"reviewed", "planned", "closed"}),
    "reviewed": frozenset({"intervention", "inspected", "closed"}),
    "intervention": frozenset({"closed", "reviewed"}),
    "closed": frozenset(),
}

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIME = re.compile(r"^[0-9]{2}:[0-9]{2}$")


def check_transition(current: str, target: str) -> None:
    """Raise 422 when ``current → target`` is not a step of the lifecycle."""
    if target in TRANSITIONS.get(current, frozenset()):
        return
    allowed = sorted(TRANSITIONS.get(current, frozenset()), key=STATUSES.index)
    if current == "closed":
        hint = "een gesloten dossier is definitief"
    elif allowed:
        hint = "toegestaan: " + ", ".join(allowed)
    else:
        hint = "geen overgang mogelijk"
    raise Unprocessable(
        f"Een dossier met status {current!r} kan niet naar {target!r} ({hint}).",
        slug="illegal-status-transition",
        errors=[FieldError(field="status", message=f"van {current} naar {target} mag niet")],
    )


def check_date(value: str, field: str) -> str:
    """A calendar date ``YYYY-MM-DD``; 422 naming ``field`` otherwise."""
    try:
        if _DATE.match(value):
            date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise Unprocessable(
        f"Datum {value!r} is ongeldig: gebruik JJJJ-MM-DD, zoals 2026-05-04.",
        errors=[FieldError(field=field, message="geen geldige datum (JJJJ-MM-DD)")],
    )


def check_time(value: str, field: str) -> str:
    """A clock time ``HH:MM``; 422 naming ``field`` otherwise."""
    try:
        if _TIME.match(value):
            time.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise Unprocessable(
        f"Tijd {value!r} is ongeldig: gebruik UU:MM, zoals 09:30.",
        errors=[FieldError(field=field, message="geen geldige tijd (UU:MM)")],
    )


def parse_template_ref(value: str, field: str) -> tuple[str, int]:
    """``"slug@3"`` → ``("slug", 3)``; 422 naming ``field`` otherwise."""
    slug, _, version = value.partition("@")
    if slug and ascii_digits(version, len(str(MAX_TEMPLATE_VERSION))) and int(version) >= 1:
        return slug, int(version)
    raise Unprocessable(
        f"Sjabloon {value!r} is ongeldig: gebruik slug@versie, zoals nvwa-hygiene-tabak@1.",
        errors=[FieldError(field=field, message="verwacht slug@versie")],
    )
