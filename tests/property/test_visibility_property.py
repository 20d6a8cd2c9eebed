"""Property: every reader sees exactly what architecture §5's table allows, nothing more or less.

The oracle below is written plainly from the table, independently of
``server.cases.visibility``; hypothesis generates cases, agencies, users with roles, partner
clients, inspections with assignments, and items of every sensitivity, released or not
(restricted and private items are sometimes "released" too, which must change nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    full_access,
    is_case_lead,
    item_visible,
    may_act_for,
    may_lead,
    may_review,
    may_write,
    metadata_visible,
    on_case,
    visible_duplicates,
    visible_items,
)

AGENCIES = ("gemeente", "politie", "belastingdienst", "nla")
SENSITIVITIES = ("private", "shareable", "restricted")
ROLE_SETS = (
    frozenset({"inspector"}),
    frozenset({"teamlead"}),
    frozenset({"inspector", "teamlead"}),
    frozenset({"admin"}),
)


@dataclass(frozen=True)
class User:
    id: str
    agency: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Item:
    key: str
    sensitivity: str
    released: bool


@dataclass(frozen=True)
class Checklist:
    id: str
    agency: str
    inspection: int
    items: tuple[Item, ...]


@dataclass(frozen=True)
class World:
    agencies: frozenset[str]
    teamlead_id: str | None
    users: tuple[User, ...]
    inspections: tuple[frozenset[str], ...]  # assigned user ids per inspection
    checklists: tuple[Checklist, ...]
    closed: bool = False


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A case with agencies, users, inspections with assignments and checklists."""
    agencies = frozenset(draw(st.sets(st.sampled_from(AGENCIES), min_size=1)))
    users = tuple(
        User(
            id=f"u{i}",
            agency=draw(st.sampled_from(AGENCIES)),
            roles=draw(st.sampled_from(ROLE_SETS)),
        )
        for i in range(draw(st.integers(1, 7)))
    )
    user_ids = [u.id for u in users]
    inspections = tuple(
        frozenset(draw(st.sets(st.sampled_from(user_ids), max_size=3)))
        for _ in range(draw(st.integers(1, 3)))
    )
    checklists: list[Checklist] = []
    for number in range(len(inspections)):
        owners = draw(st.sets(st.sampled_from(sorted(agencies)), min_size=1))
        for agency in sorted(owners):
            items = tuple(
                Item(
                    key=f"k{j}",
                    sensitivity=draw(st.sampled_from(SENSITIVITIES)),
                    released=draw(st.booleans()),
                )
                for j in range(draw(st.integers(1, 6)))
            )
            checklists.append(Checklist(f"c{number}-{agency}", agency, number, items))
    teamlead_id = draw(st.none() | st.sampled_from(user_ids))
    return World(agencies, teamlead_id, users, inspections, tuple(checklists), draw(st.booleans()))


# ---- the oracle: architecture §5, read literally -------------------------------------------


def oracle_on_case(world: World, reader: User | str) -> bool:
    """Clients: their agency takes part. Users: assigned, the case's team lead, or a team
    lead of a participating agency."""
    if isinstance(reader, str):  # a partner client of agency `reader`
        return reader in world.agencies
    assigned = any(reader.id in users for users in world.inspections)
    teamlead_of_participant = "teamlead" in reader.roles and reader.agency in world.agencies
    return assigned or reader.id == world.teamlead_id or teamlead_of_participant


def oracle_owner_view(world: World, reader: User | str, checklist: Checklist) -> bool:
    """The first, second and fourth rows of the table: private/restricted items visible."""
    if not oracle_on_case(world, reader):
        return False
    if isinstance(reader, str):
        return reader == checklist.agency  # partner client of X
    same_agency = reader.agency == checklist.agency
    inspector_assigned = reader.id in world.inspections[checklist.inspection]
    teamlead_of_x = "teamlead" in reader.roles and checklist.agency in world.agencies
    return same_agency and (inspector_assigned or teamlead_of_x)


def oracle_item(world: World, reader: User | str, checklist: Checklist, item: Item) -> bool:
    """Owner view sees everything; anyone else on the case only released shareable items."""
    if oracle_owner_view(world, reader, checklist):
        return True
    if not oracle_on_case(world, reader):
        return False
    return item.sensitivity == "shareable" and item.released


def oracle_may_write(world: World, reader: User | str, checklist: Checklist) -> bool:
    """Field writes: an inspector of the owning agency assigned to the checklist's inspection
    (docs/cases.md, docs/sync.md). Nothing about the case being closed: that is its own rule."""
    if isinstance(reader, str):
        return False  # partner clients only read
    return (
        "inspector" in reader.roles
        and reader.agency == checklist.agency
        and reader.id in world.inspections[checklist.inspection]
    )


def oracle_may_review(world: World, reader: User | str, checklist: Checklist) -> bool:
    """Conflicts, comments and releases of X's checklist: X's team leads on the case."""
    if isinstance(reader, str) or "teamlead" not in reader.roles:
        return False
    return reader.agency == checklist.agency and oracle_on_case(world, reader)


def oracle_may_act_for(world: World, reader: User | str, agency: str) -> bool:
    """Staffing and interventions of agency X: X's team leads on the case."""
    if isinstance(reader, str) or "teamlead" not in reader.roles:
        return False
    return reader.agency == agency and oracle_on_case(world, reader)


def oracle_case_lead(world: World, reader: User | str) -> bool:
    """Hand-over and closing: the case's own team lead (a user with the team-lead role)."""
    if isinstance(reader, str) or "teamlead" not in reader.roles:
        return False
    return world.teamlead_id is not None and reader.id == world.teamlead_id


# ---- the system under test -----------------------------------------------------------------


def scope_of(world: World) -> tuple[CaseScope, dict[str, ChecklistScope]]:
    scopes = {
        c.id: ChecklistScope(
            checklist_id=c.id,
            agency_id=c.agency,
            inspectors=world.inspections[c.inspection],
            released=frozenset(i.key for i in c.items if i.released),
        )
        for c in world.checklists
    }
    case = CaseScope(
        case_id="case",
        agencies=world.agencies,
        teamlead_id=world.teamlead_id,
        checklists=tuple(scopes.values()),
        closed=world.closed,
    )
    return case, scopes


def reader_of(reader: User | str) -> Reader:
    if isinstance(reader, str):
        return Reader(kind="client", agency_id=reader)
    return Reader(kind="user", agency_id=reader.agency, user_id=reader.id, roles=reader.roles)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(worlds())
def test_every_reader_sees_exactly_what_the_table_allows(world: World) -> None:
    case, scopes = scope_of(world)
    readers: list[User | str] = [*world.users, *AGENCIES]
    outsider = User(id="outsider", agency="nla", roles=frozenset({"inspector"}))
    readers.append(outsider)
    for who in readers:
        reader = reader_of(who)
        assert on_case(reader, case) == oracle_on_case(world, who)
        assert metadata_visible(reader, case) == oracle_on_case(world, who)
        for checklist in world.checklists:
            scope = scopes[checklist.id]
            sensitivities = {i.key: i.sensitivity for i in checklist.items}
            values = {i.key: f"waarde-{i.key}" for i in checklist.items}
            expected = {
                i.key: values[i.key]
                for i in checklist.items
                if oracle_item(world, who, checklist, i)
            }
            assert visible_items(reader, case, scope, values, sensitivities) == expected
            assert full_access(reader, case, scope) == oracle_owner_view(world, who, checklist)
            for item in checklist.items:
                allowed = oracle_item(world, who, checklist, item)
                assert item_visible(reader, case, scope, item.key, item.sensitivity) == allowed
                # notes and photos attached to an item follow that item
                assert attached_visible(reader, case, scope, item.key, sensitivities) == allowed
            # notes and photos without an item belong to the owner's view
            owner = oracle_owner_view(world, who, checklist)
            assert attached_visible(reader, case, scope, None, sensitivities) == owner
            # an answer to an item missing from the template is treated as private
            stray = visible_items(reader, case, scope, {"onbekend": 1}, sensitivities)
            assert stray == ({"onbekend": 1} if owner else {})


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(worlds())
def test_restricted_and_private_items_never_leave_the_owner(world: World) -> None:
    case, scopes = scope_of(world)
    readers: list[User | str] = [*world.users, *AGENCIES]
    for who in readers:
        reader = reader_of(who)
        for checklist in world.checklists:
            scope = scopes[checklist.id]
            for item in checklist.items:
                if item.sensitivity == "shareable":
                    continue
                if item_visible(reader, case, scope, item.key, item.sensitivity):
                    agency = who if isinstance(who, str) else who.agency
                    assert agency == checklist.agency


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(worlds())
def test_who_may_write_review_staff_and_close(world: World) -> None:
    case, scopes = scope_of(world)
    readers: list[User | str] = [*world.users, *AGENCIES]
    readers.append(User(id="outsider", agency="nla", roles=frozenset({"inspector", "teamlead"})))
    for who in readers:
        reader = reader_of(who)
        assert is_case_lead(reader, case) == oracle_case_lead(world, who)
        lead = not isinstance(who, str) and "teamlead" in who.roles and oracle_on_case(world, who)
        assert may_lead(reader, case) == lead
        for agency in AGENCIES:
            assert may_act_for(reader, case, agency) == oracle_may_act_for(world, who, agency)
        for checklist in world.checklists:
            scope = scopes[checklist.id]
            assert may_write(reader, scope) == oracle_may_write(world, who, checklist)
            assert may_review(reader, case, scope) == oracle_may_review(world, who, checklist)
            # whoever may write or review a checklist sees all of it
            if may_write(reader, scope) or may_review(reader, case, scope):
                assert oracle_owner_view(world, who, checklist)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.lists(worlds(), min_size=1, max_size=4))
def test_possible_duplicates_name_only_cases_the_reader_is_on(worlds_: list[World]) -> None:
    cases = []
    for number, world in enumerate(worlds_):
        case, _ = scope_of(world)
        cases.append(
            CaseScope(
                case_id=f"case-{number}",
                agencies=case.agencies,
                teamlead_id=case.teamlead_id,
                checklists=case.checklists,
            )
        )
    users = {u.id: u for world in worlds_ for u in world.users}
    readers: list[User | str] = [*users.values(), *AGENCIES]
    for who in readers:
        expected = sorted(
            f"case-{n}" for n, world in enumerate(worlds_) if oracle_on_case(world, who)
        )
        assert visible_duplicates(reader_of(who), cases) == expected
