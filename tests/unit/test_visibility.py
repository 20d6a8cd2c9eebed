"""The visibility projection, one example per row of architecture §5's table."""

from __future__ import annotations

from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    full_access,
    metadata_visible,
    on_case,
    releasable,
    replicates,
    visible_items,
)

POLICE = ChecklistScope(
    checklist_id="c-pol",
    agency_id="politie",
    inspectors=frozenset({"femke"}),
    released=frozenset({"pol-afscherming", "pol-drugs"}),
)
GEMEENTE = ChecklistScope(
    checklist_id="c-gem", agency_id="gemeente", inspectors=frozenset({"jeroen"})
)
CASE = CaseScope(
    case_id="case",
    agencies=frozenset({"politie", "gemeente"}),
    teamlead_id="marieke",
    checklists=(POLICE, GEMEENTE),
)
SENS = {"pol-drugs": "restricted", "pol-afscherming": "shareable", "pol-advies": "shareable"}
VALUES = {"pol-drugs": "lijst-2", "pol-afscherming": ["afgeplakte-ramen"], "pol-advies": "nee"}


def user(uid: str, agency: str, *roles: str) -> Reader:
    return Reader(kind="user", agency_id=agency, user_id=uid, roles=frozenset(roles))


def test_assigned_inspector_of_owner_sees_everything() -> None:
    femke = user("femke", "politie", "inspector")
    assert visible_items(femke, CASE, POLICE, VALUES, SENS) == VALUES
    assert attached_visible(femke, CASE, POLICE, None, SENS)


def test_unassigned_inspector_of_owner_is_not_on_the_case() -> None:
    bas = user("bas", "politie", "inspector")
    assert not on_case(bas, CASE)
    assert visible_items(bas, CASE, POLICE, VALUES, SENS) == {}
    assert not metadata_visible(bas, CASE)


def test_teamlead_of_owner_sees_everything() -> None:
    rik = user("rik", "politie", "teamlead")
    assert full_access(rik, CASE, POLICE)
    assert visible_items(rik, CASE, POLICE, VALUES, SENS) == VALUES


def test_others_on_the_case_see_released_shareable_items_only() -> None:
    for reader in (
        user("jeroen", "gemeente", "inspector"),
        user("marieke", "gemeente", "teamlead"),
    ):
        assert metadata_visible(reader, CASE)
        # pol-drugs is in the release but restricted: it stays hidden
        assert visible_items(reader, CASE, POLICE, VALUES, SENS) == {
            "pol-afscherming": ["afgeplakte-ramen"]
        }
        assert not attached_visible(reader, CASE, POLICE, None, SENS)
        assert attached_visible(reader, CASE, POLICE, "pol-afscherming", SENS)


def test_partner_clients() -> None:
    own = Reader(kind="client", agency_id="politie")
    other = Reader(kind="client", agency_id="gemeente")
    outside = Reader(kind="client", agency_id="nla")
    assert visible_items(own, CASE, POLICE, VALUES, SENS) == VALUES
    assert set(visible_items(other, CASE, POLICE, VALUES, SENS)) == {"pol-afscherming"}
    assert not on_case(outside, CASE)
    assert visible_items(outside, CASE, POLICE, VALUES, SENS) == {}


def test_only_shareable_items_can_be_released() -> None:
    assert releasable(["pol-afscherming", "pol-drugs", "onbekend"], SENS) == [
        "pol-drugs",
        "onbekend",
    ]


def test_closed_case_leaves_every_phone_but_stays_on_the_case() -> None:
    from dataclasses import replace

    closed = replace(CASE, closed=True)
    femke = user("femke", "politie", "inspector")
    stranger = user("sven", "uwv", "inspector")
    assert replicates(femke, CASE)
    assert not replicates(femke, closed)
    assert on_case(femke, closed)
    assert not replicates(stranger, CASE)
