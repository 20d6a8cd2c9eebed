"""The subject of a case (address and/or business) and the structured reason for selection.

Used by the team lead's REST API and by the field's ``create_case`` op alike.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.cases.identifiers import (
    InvalidIdentifier,
    check_bag_id,
    check_huisnummer,
    check_kvk,
    check_postcode,
    check_toevoeging,
    check_vestigingsnummer,
)
from server.lib.errors import FieldError, Unprocessable

Text100 = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]

ReasonCategory = Literal[
    "signaal", "indicatoren", "steekproef", "hercontrole", "verzoek-partner", "eigen-waarneming"
]
REASON_CATEGORIES: tuple[str, ...] = (
    "signaal",
    "indicatoren",
    "steekproef",
    "hercontrole",
    "verzoek-partner",
    "eigen-waarneming",
)


class Address(msgspec.Struct, omit_defaults=True):
    """A Dutch address; ``postcode`` is stored without the space (``9711AB``)."""

    postcode: Annotated[str, msgspec.Meta(max_length=10)]
    huisnummer: int
    toevoeging: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    street: Text200 | None = None
    city: Text100 | None = None
    bag_id: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class Business(msgspec.Struct, omit_defaults=True):
    """A business: trade name and, where known, KvK-nummer and vestigingsnummer."""

    name: Text200
    kvk: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    vestigingsnummer: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class Subject(msgspec.Struct, omit_defaults=True):
    """What is inspected: an address, a business, or both (at least one)."""

    address: Address | None = None
    business: Business | None = None


class Reason(msgspec.Struct, omit_defaults=True):
    """Why this address or business was selected (recorded by a person, never scored)."""

    category: ReasonCategory
    explanation: Annotated[str, msgspec.Meta(min_length=10, max_length=4000)]
    indicators: list[Annotated[str, msgspec.Meta(max_length=100)]] = []
    signal_id: str | None = None


def normalise_subject(subject: Subject, prefix: str = "subject") -> Subject:
    """Validate and normalise identifiers; raise 422 listing every bad field."""
    errors: list[FieldError] = []

    def attempt(path: str, fn: object, value: object) -> object:
        try:
            return fn(value)  # type: ignore[operator]
        except InvalidIdentifier as exc:
            errors.append(FieldError(field=f"{prefix}.{path}", message=str(exc)))
            return value

    if subject.address is None and subject.business is None:
        raise Unprocessable(
            "Geef een adres, een bedrijf of beide op.",
            errors=[FieldError(field=prefix, message="adres of bedrijf ontbreekt")],
        )
    address = subject.address
    if address is not None:
        address = msgspec.structs.replace(
            address,
            postcode=str(attempt("address.postcode", check_postcode, address.postcode)),
            huisnummer=int(attempt("address.huisnummer", check_huisnummer, address.huisnummer)),  # type: ignore[call-overload]
            toevoeging=(
                str(attempt("address.toevoeging", check_toevoeging, address.toevoeging))
                if address.toevoeging
                else None
            ),
            bag_id=(
                str(attempt("address.bag_id", check_bag_id, address.bag_id))
                if address.bag_id
                else None
            ),
        )
    business = subject.business
    if business is not None:
        business = msgspec.structs.replace(
            business,
            kvk=str(attempt("business.kvk", check_kvk, business.kvk)) if business.kvk else None,
            vestigingsnummer=(
                str(
                    attempt(
                        "business.vestigingsnummer",
                        check_vestigingsnummer,
                        business.vestigingsnummer,
                    )
                )
                if business.vestigingsnummer
                else None
            ),
        )
    if errors:
        raise Unprocessable(errors[0].message, slug="invalid-identifier", errors=errors)
    return Subject(address=address, business=business)
