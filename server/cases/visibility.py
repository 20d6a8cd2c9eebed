"""The one visibility projection (architecture §5). Pure: no I/O.

Every read path (pull, case view, photo download, partner API) asks these functions what
a reader may see; none re-implements the rule. Per item of a checklist owned by agency X:

=====================================================  ==========  ===========  ========
reader                                                 private /   shareable    metadata
                                                       restricted
=====================================================  ==========  ===========  ========
inspector of X assigned to the inspection              yes         yes          yes
team lead of X on a case X takes part in               yes         yes          yes
anyone else on the case                                never       if released  yes
partner client of X                                    yes         yes          yes
partner client of another participating agency        never       if released  yes
=====================================================  ==========  ===========  ========

A reader not on the case sees nothing of it (the API answers 404).

The partner-client rows also exist as SQL conditions (``partner_*_sql``) for reads that
decide per change-feed row inside SQLite (the partner change feed and its notifications);
they state the same rule as :func:`on_case` and :func:`item_visible` for ``kind="client"``.

Who may **write** sits here too, next to the read rule (``may_*``): field writes by the
assigned inspectors of the owning agency; review (conflicts, comments, releases) by team leads
of the owning agency; staffing and interventions of agency X by X's team leads; hand-over
and closing by the case's own team lead. A closed case takes no writes (:func:`writes_closed`).
**Possible duplicates** name only cases the reader is on (:func:`visible_duplicates`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: a user (with roles) or a partner client of an agency."""

    kind: Literal["user", "client"]
    agency_id: str
    user_id: str | None = None
    roles: frozenset[str] = frozenset()

    @property
    def is_teamlead(self) -> bool:
        """True for a user with the ``teamlead`` role."""
        return self.kind == "user" and "teamlead" in self.roles


@dataclass(frozen=True, slots=True)
class ChecklistScope:
    """What the projection needs to know about one checklist."""

    checklist_id: str
    agency_id: str
    inspectors: frozenset[str]
    released: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class CaseScope:
    """What the projection needs to know about one case."""

    case_id: str
    agencies: frozenset[str]
    teamlead_id: str | None = None
    checklists: tuple[ChecklistScope, ...] = field(default_factory=tuple)
    closed: bool = False

    def assigned_users(self) -> frozenset[str]:
        """Every user assigned to an inspection of the case."""
        out: set[str] = set()
        for checklist in self.checklists:
            out |= checklist.inspectors
        return frozenset(out)


def partner_reader(agency_id: str) -> Reader:
    """The reader for a partner API client of ``agency_id`` (rows "partner client of X")."""
    return Reader(kind="client", agency_id=agency_id)


PARTNER_AGENCY = "reader_agency"
"""The named SQL parameter the ``partner_*_sql`` conditions read the client's agency from."""


def partner_on_case_sql(case_id: str) -> str:
    """:func:`on_case` for a partner client as an SQL condition on the expression
    ``case_id``: the client's agency (``:reader_agency``) takes part in the case."""
    return (
        "EXISTS (SELECT 1 FROM case_agencies pv_ca"
        f" WHERE pv_ca.case_id = {case_id} AND pv_ca.agency_id = :{PARTNER_AGENCY})"
    )


def partner_item_visible_sql(checklist: str, item_key: str, shareable: str) -> str:
    """:func:`item_visible` for a partner client on the case, as an SQL condition.

    ``checklist`` names a ``checklists`` row, ``item_key`` is the item's key expression and
    ``shareable`` a condition true when the checklist's template marks the item
    ``shareable`` (an item missing from the template is private). Every item of the
    client's own agency (full access); of another agency only a shareable item it released.
    """
    return (
        f"({checklist}.agency_id = :{PARTNER_AGENCY} OR ({shareable} AND EXISTS"
        " (SELECT 1 FROM released_items pv_ri"
        f" WHERE pv_ri.checklist_id = {checklist}.id AND pv_ri.item_key = {item_key})))"
    )


def partner_attached_visible_sql(checklist: str, item_key: str, shareable: str) -> str:
    """:func:`attached_visible` for a partner client on the case, as an SQL condition: a
    note or photo follows its item; one without an item (NULL) is the owner's only."""
    return (
        f"(CASE WHEN {item_key} IS NULL THEN {checklist}.agency_id = :{PARTNER_AGENCY}"
        f" ELSE {partner_item_visible_sql(checklist, item_key, shareable)} END)"
    )


def sees_person_names(reader: Reader) -> bool:
    """Users on a case see the names of the people on it; partner clients never do."""
    return reader.kind == "user"


def intervention_description_visible(
    reader: Reader, case: CaseScope, intervention_agency_id: str
) -> bool:
    """Type, agency, status and dates of an intervention are for everyone on the case; its
    description only for the intervening agency."""
    return on_case(reader, case) and reader.agency_id == intervention_agency_id


def on_case(reader: Reader, case: CaseScope) -> bool:
    """True when the reader takes part in the case at all (else: 404)."""
    if reader.kind == "client":
        return reader.agency_id in case.agencies
    if reader.user_id is not None and (
        reader.user_id == case.teamlead_id or reader.user_id in case.assigned_users()
    ):
        return True
    return reader.is_teamlead and reader.agency_id in case.agencies


def replicates(reader: Reader, case: CaseScope) -> bool:
    """True when the reader's devices keep a copy of the case (pull).

    A closed case leaves every phone ("case closed for them" in the sync protocol); its
    record stays readable online for those on the case.
    """
    return on_case(reader, case) and not case.closed


def full_access(reader: Reader, case: CaseScope, checklist: ChecklistScope) -> bool:
    """True when the reader sees every item of ``checklist``, private and restricted too."""
    if not on_case(reader, case):
        return False
    if reader.kind == "client":
        return reader.agency_id == checklist.agency_id
    if reader.agency_id != checklist.agency_id:
        return False
    if reader.user_id is not None and reader.user_id in checklist.inspectors:
        return True
    return reader.is_teamlead and checklist.agency_id in case.agencies


def item_visible(
    reader: Reader, case: CaseScope, checklist: ChecklistScope, item_key: str, sensitivity: str
) -> bool:
    """True when the reader may see the value of one item."""
    if full_access(reader, case, checklist):
        return True
    if not on_case(reader, case):
        return False
    return sensitivity == "shareable" and item_key in checklist.released


def metadata_visible(reader: Reader, case: CaseScope) -> bool:
    """Checklist metadata (progress, submitted, photo states, conflict counts)."""
    return on_case(reader, case)


def visible_items(
    reader: Reader,
    case: CaseScope,
    checklist: ChecklistScope,
    values: Mapping[str, V],
    sensitivities: Mapping[str, str],
) -> dict[str, V]:
    """The subset of ``values`` (keyed by item) the reader may see.

    An item missing from ``sensitivities`` (not in the template) is treated as private.
    """
    if full_access(reader, case, checklist):
        return dict(values)
    if not on_case(reader, case):
        return {}
    return {
        key: value
        for key, value in values.items()
        if sensitivities.get(key, "private") == "shareable" and key in checklist.released
    }


def attached_visible(
    reader: Reader,
    case: CaseScope,
    checklist: ChecklistScope,
    item_key: str | None,
    sensitivities: Mapping[str, str],
) -> bool:
    """Notes and photos follow their item; those without an item are private to the owner."""
    if item_key is None:
        return full_access(reader, case, checklist)
    return item_visible(reader, case, checklist, item_key, sensitivities.get(item_key, "private"))


def releasable(item_keys: Iterable[str], sensitivities: Mapping[str, str]) -> list[str]:
    """The keys that may NOT be released (anything not ``shareable``); empty means all fine."""
    return [key for key in item_keys if sensitivities.get(key) != "shareable"]


def is_case_lead(reader: Reader, case: CaseScope) -> bool:
    """True for the case's own team lead: they hand the case over, close it and link
    duplicates (team leads of other participating agencies do not)."""
    return (
        reader.kind == "user"
        and reader.is_teamlead
        and reader.user_id is not None
        and reader.user_id == case.teamlead_id
    )


def may_take_lead(reader: Reader, case: CaseScope) -> bool:
    """Who may hand a case over: its team lead; a case without one (created in the field)
    may be taken up by any team lead on it."""
    if is_case_lead(reader, case):
        return True
    return case.teamlead_id is None and reader.is_teamlead and on_case(reader, case)


def may_link_duplicate(reader: Reader, case: CaseScope, other: CaseScope) -> bool:
    """Linking two cases as duplicates: a team lead who is on both."""
    return reader.is_teamlead and on_case(reader, case) and on_case(reader, other)


def leads_agency_on_case(reader: Reader, case: CaseScope, agency_id: str) -> bool:
    """True for a team lead of ``agency_id`` on a case that agency takes part in: they
    review, return and release that agency's checklists and export its evidence."""
    return (
        reader.kind == "user"
        and reader.is_teamlead
        and reader.agency_id == agency_id
        and agency_id in case.agencies
        and on_case(reader, case)
    )


def visible_duplicates(reader: Reader, candidates: Iterable[CaseScope]) -> list[str]:
    """The possible duplicates the reader may learn of: only cases the reader is on."""
    return sorted({case.case_id for case in candidates if on_case(reader, case)})


def writes_closed(case: CaseScope) -> bool:
    """True when the case takes no more writes from anyone (``closed`` is final)."""
    return case.closed


def may_write(reader: Reader, checklist: ChecklistScope) -> bool:
    """Field writes to a checklist (answers, notes, photos and their bytes, submit): an
    inspector of the owning agency assigned to the checklist's inspection."""
    return (
        reader.kind == "user"
        and "inspector" in reader.roles
        and reader.agency_id == checklist.agency_id
        and reader.user_id in checklist.inspectors
    )


def may_review(reader: Reader, case: CaseScope, checklist: ChecklistScope) -> bool:
    """Resolve conflicts, comment (return to officer), release items: a team lead of the
    owning agency on the case."""
    return reader.is_teamlead and reader.agency_id == checklist.agency_id and on_case(reader, case)


def may_lead(reader: Reader, case: CaseScope) -> bool:
    """Plan inspections and move the case along its lifecycle: a team lead on the case."""
    return reader.is_teamlead and on_case(reader, case)


def may_act_for(reader: Reader, case: CaseScope, agency_id: str) -> bool:
    """Assign or remove agency X's inspectors, record or change X's interventions: a team
    lead of X on the case."""
    return may_lead(reader, case) and reader.agency_id == agency_id
