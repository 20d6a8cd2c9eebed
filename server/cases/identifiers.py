"""Dutch identifiers: postcode, huisnummer/toevoeging, KvK-nummer, vestigingsnummer, BAG id.

Each ``check_*`` returns the normalised value or raises :class:`InvalidIdentifier` with a
Dutch message a person can act on. No BSN is accepted or stored anywhere in Schouw.
"""

from __future__ import annotations

import re

from server.lib.numbers import ascii_digits

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
_TOEVOEGING = re.compile(r"^[A-Za-z0-9]{1,4}$")


class InvalidIdentifier(ValueError):
    """A value is not a valid Dutch identifier; ``str()`` is the Dutch message."""


def check_postcode(value: str) -> str:
    """``"9711 ab"`` → ``"9711AB"``. SA, SD and SS are never issued as letters."""
    match = _POSTCODE.match(value.strip())
    if not match:
        raise InvalidIdentifier(
            f"Postcode {value!r} is ongeldig: gebruik vier cijfers en twee letters, zoals 9711 AB."
        )
    letters = match.group(2).upper()
    if letters in ("SA", "SD", "SS"):
        raise InvalidIdentifier(
            f"Postcode {value!r} bestaat niet: de letters {letters} worden niet uitgegeven."
        )
    return match.group(1) + letters


def format_postcode(stored: str) -> str:
    """``"9711AB"`` → ``"9711 AB"`` for display."""
    return f"{stored[:4]} {stored[4:]}"


def check_huisnummer(value: int) -> int:
    """A house number is a whole number from 1 to 99999."""
    if not 1 <= value <= 99999:
        raise InvalidIdentifier(f"Huisnummer {value} is ongeldig: gebruik 1 tot en met 99999.")
    return value


def check_toevoeging(value: str) -> str:
    """A house-number addition: at most four letters or digits (``A``, ``1``, ``bis``)."""
    cleaned = value.strip()
    if not _TOEVOEGING.match(cleaned):
        raise InvalidIdentifier(
            f"Toevoeging {value!r} is ongeldig: hoogstens vier letters of cijfers, zoals A of 2."
        )
    return cleaned.upper()


def _digits(value: str, count: int, label: str, example: str) -> str:
    cleaned = value.replace(" ", "").replace(".", "")
    if not (ascii_digits(cleaned, count) and len(cleaned) == count):
        raise InvalidIdentifier(
            f"{label} {value!r} is ongeldig: precies {count} cijfers, zoals {example}."
        )
    return cleaned


def check_kvk(value: str) -> str:
    """A KvK-nummer: exactly 8 digits."""
    return _digits(value, 8, "KvK-nummer", "90000012")


def check_vestigingsnummer(value: str) -> str:
    """A vestigingsnummer: exactly 12 digits."""
    return _digits(value, 12, "Vestigingsnummer", "000099999999")


def check_bag_id(value: str) -> str:
    """A BAG id (verblijfsobject or nummeraanduiding): exactly 16 digits."""
    return _digits(value, 16, "BAG-id", "0014010011111111")
