"""Dutch identifiers and subject normalisation: good input normalised, bad input named."""

from __future__ import annotations

import pytest

from server.cases.identifiers import (
    InvalidIdentifier,
    check_bag_id,
    check_huisnummer,
    check_kvk,
    check_postcode,
    check_toevoeging,
    check_vestigingsnummer,
    format_postcode,
)
from server.cases.subject import Address, Business, Subject, normalise_subject
from server.lib.errors import Unprocessable


@pytest.mark.parametrize(
    ("raw", "stored"), [("9711 AB", "9711AB"), ("9711ab", "9711AB"), (" 1234 xy ", "1234XY")]
)
def test_postcode_is_normalised(raw: str, stored: str) -> None:
    assert check_postcode(raw) == stored
    assert format_postcode(stored) == f"{stored[:4]} {stored[4:]}"


@pytest.mark.parametrize("raw", ["0123 AB", "971 AB", "9711 A", "9711-AB", "9711 SS", "AB 9711"])
def test_bad_postcode_is_refused_in_dutch(raw: str) -> None:
    with pytest.raises(InvalidIdentifier, match="Postcode"):
        check_postcode(raw)


def test_huisnummer_and_toevoeging() -> None:
    assert check_huisnummer(1) == 1 and check_huisnummer(99999) == 99999
    for bad in (0, -3, 100000):
        with pytest.raises(InvalidIdentifier, match="Huisnummer"):
            check_huisnummer(bad)
    assert check_toevoeging(" bis ") == "BIS"
    for wrong in ("A-1", "toolong", ""):
        with pytest.raises(InvalidIdentifier, match="Toevoeging"):
            check_toevoeging(wrong)


def test_digit_identifiers() -> None:
    assert check_kvk("9000 1234") == "90001234"
    assert check_vestigingsnummer("0000.9999.9999") == "000099999999"
    assert check_bag_id("0014010011111111") == "0014010011111111"
    with pytest.raises(InvalidIdentifier, match=r"KvK-nummer .* precies 8 cijfers"):
        check_kvk("9000123")
    with pytest.raises(InvalidIdentifier, match="Vestigingsnummer"):
        check_vestigingsnummer("12345678901")
    with pytest.raises(InvalidIdentifier, match="BAG-id"):
        check_bag_id("00140100111111\uff11\uff11")  # full-width digits are not ASCII digits


def test_normalise_subject_lists_every_bad_field() -> None:
    subject = Subject(
        address=Address(postcode="97", huisnummer=0, toevoeging="a"),
        business=Business(name="Testbedrijf", kvk="123"),
    )
    with pytest.raises(Unprocessable) as info:
        normalise_subject(subject)
    fields = [e.field for e in info.value.errors or []]
    assert fields == [
        "subject.address.postcode",
        "subject.address.huisnummer",
        "subject.business.kvk",
    ]


def test_normalise_subject_needs_address_or_business() -> None:
    with pytest.raises(Unprocessable, match="adres, een bedrijf of beide"):
        normalise_subject(Subject())
    good = normalise_subject(
        Subject(address=Address(postcode="9712 ab", huisnummer=4, toevoeging="b"))
    )
    assert good.address is not None
    assert (good.address.postcode, good.address.toevoeging) == ("9712AB", "B")
