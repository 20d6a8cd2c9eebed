"""Request and response bodies of the team lead's cases API (msgspec structs)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.cases.subject import Reason, Subject

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Short = Annotated[str, msgspec.Meta(max_length=40)]
IdList = Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=50)]

SignalSource = Literal["anonymous", "resident", "partner", "own-observation"]
SignalStatus = Literal["open", "triaged", "dismissed"]
CaseStatus = Literal[
    "signal", "selected", "planned", "inspected", "reviewed", "intervention", "closed"
]
InterventionType = Literal[
    "waarschuwing",
    "last-onder-dwangsom",
    "bestuurlijke-boete",
    "sluiting-13b-opiumwet",
    "bibob-onderzoek",
    "proces-verbaal",
    "fiscale-vervolgactie",
    "hercontrole",
]
InterventionStatus = Literal["voorgenomen", "opgelegd", "lopend", "afgerond", "ingetrokken"]


class SignalCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new signal (melding). Anonymous reports carry no reporter identity by design."""

    source: SignalSource
    description: Text
    subject: Subject


class SignalDismiss(msgspec.Struct, forbid_unknown_fields=True):
    """Why a signal does not become a case."""

    reason: Text


class SignalOut(msgspec.Struct):
    """A signal as the team lead sees it."""

    id: str
    source: str
    description: str
    subject: Subject
    status: str
    agency_id: str
    created_at: str
    rev: int
    case_id: str | None = None
    dismissed_reason: str | None = None


class SignalPage(msgspec.Struct):
    """One page of signals; pass ``next_cursor`` as ``cursor`` for the next page."""

    signals: list[SignalOut]
    next_cursor: str | None = None


class CaseCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new case, directly or from a signal (then ``subject`` defaults to the signal's)."""

    reason: Reason
    subject: Subject | None = None
    agencies: IdList = []
    teamlead_id: str | None = None
    signal_id: str | None = None


class StatusChange(msgspec.Struct, forbid_unknown_fields=True):
    """Move a case to another status along its lifecycle."""

    status: CaseStatus


class AgencyChecklist(msgspec.Struct, forbid_unknown_fields=True):
    """One participating agency of an inspection and the template it will fill."""

    agency: Annotated[str, msgspec.Meta(max_length=64)]
    template: Annotated[str, msgspec.Meta(max_length=80, description="slug@version")]


class InspectionPlan(msgspec.Struct, forbid_unknown_fields=True):
    """Plan an inspection: date, time, one checklist per agency, inspectors."""

    date: Annotated[str, msgspec.Meta(max_length=10, description="YYYY-MM-DD")]
    checklists: Annotated[list[AgencyChecklist], msgspec.Meta(min_length=1, max_length=20)]
    inspectors: IdList
    time: Annotated[str, msgspec.Meta(max_length=5, description="HH:MM")] | None = None


class InspectorsChange(msgspec.Struct, forbid_unknown_fields=True):
    """The complete new set of inspectors of an inspection."""

    inspectors: IdList


class InterventionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A follow-up measure of one agency."""

    agency: Annotated[str, msgspec.Meta(max_length=64)]
    type: InterventionType
    status: InterventionStatus = "voorgenomen"
    due_date: Short | None = None
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    legal_basis: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    reinspection_date: Short | None = None


class InterventionUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Change an intervention; omitted fields stay as they are."""

    type: InterventionType | msgspec.UnsetType = msgspec.UNSET
    status: InterventionStatus | msgspec.UnsetType = msgspec.UNSET
    due_date: Short | msgspec.UnsetType | None = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    legal_basis: Annotated[str, msgspec.Meta(max_length=1000)] | msgspec.UnsetType = msgspec.UNSET
    reinspection_date: Short | msgspec.UnsetType | None = msgspec.UNSET


class Person(msgspec.Struct):
    """A user as shown on a case."""

    id: str
    name: str
    agency_id: str


class PhotoStates(msgspec.Struct):
    """How many photos of a checklist are in each upload state."""

    expected: int = 0
    uploading: int = 0
    received: int = 0
    verified: int = 0
    rejected: int = 0
    withdrawn: int = 0


class Progress(msgspec.Struct):
    """How far a checklist is filled in, by the field app's completeness rules: only items
    shown for the current answers (``visible_if``) count; a blank text is not an answer."""

    items: int
    """Items shown for the current answers."""
    answered: int
    """Of those, answered (photo and signature items: with a photo)."""
    required: int
    """Required items shown."""
    required_answered: int
    """Of those, answered."""


class AnswerOut(msgspec.Struct):
    """One visible answer (``value`` as in the sync protocol's ``AnswerValue``).

    Numbers are documented as ``number`` only: Litestar renders a union as ``oneOf``, which
    a whole number would match twice as ``integer`` and ``number``.
    """

    value: str | float | list[str] | None
    rev: int
    author_id: str
    updated_at: str
    amended: bool


class NoteOut(msgspec.Struct):
    """One visible note."""

    id: str
    item_key: str | None
    text: str
    author_id: str
    created_at: str


class GeoOut(msgspec.Struct, omit_defaults=True):
    """A position: from the device (``accuracy`` in metres) or from the file's EXIF (``alt``)."""

    lat: float
    lon: float
    accuracy: float | None = None
    alt: float | None = None


class PhotoOut(msgspec.Struct):
    """One visible photo (metadata; the bytes come from the evidence endpoints)."""

    id: str
    item_key: str | None
    sha256: str
    state: str
    captured_at: str | None
    withdrawn: bool
    geo: GeoOut | None = None  # where the device says it was taken
    exif_time: str | None = None  # what the file itself says (checked on arrival)
    exif_geo: GeoOut | None = None
    author_id: str | None = None


class ChecklistView(msgspec.Struct):
    """A checklist: metadata for everyone on the case, content as far as visible."""

    id: str
    agency_id: str
    template: str
    status: str
    submitted_at: str | None
    rev: int
    progress: Progress
    photo_states: PhotoStates
    open_conflicts: int
    full_access: bool
    answers: dict[str, AnswerOut]
    notes: list[NoteOut]
    photos: list[PhotoOut]
    returned_at: str | None = None
    released: list[str] = []


class InspectionView(msgspec.Struct):
    """An inspection with its inspectors and one checklist per agency."""

    id: str
    scheduled_date: str
    scheduled_time: str | None
    status: str
    rev: int
    inspectors: list[Person]
    checklists: list[ChecklistView]


class InterventionOut(msgspec.Struct):
    """A follow-up measure of one agency."""

    id: str
    agency_id: str
    type: str
    status: str
    due_date: str | None
    description: str
    created_at: str
    updated_at: str
    rev: int
    legal_basis: str = ""  # like the description: only for the intervening agency
    reinspection_date: str | None = None


class CaseSummary(msgspec.Struct):
    """A case in a list."""

    id: str
    reference: str
    status: str
    subject: Subject
    agencies: list[str]
    created_at: str
    rev: int
    next_inspection: str | None = None
    changed_at: str | None = None  # when anything in the case last changed


class CasePage(msgspec.Struct):
    """One page of cases; pass ``next_cursor`` as ``cursor`` for the next page."""

    cases: list[CaseSummary]
    next_cursor: str | None = None


class CaseView(msgspec.Struct):
    """The case as one reader may see it (architecture §5)."""

    id: str
    reference: str
    status: str
    subject: Subject
    reason: Reason
    agencies: list[str]
    teamlead: Person | None
    created_at: str
    closed_at: str | None
    rev: int
    possible_duplicates: list[str]
    inspections: list[InspectionView]
    interventions: list[InterventionOut]
    result: CaseResultOut | None = None
    links: list[CaseLinkOut] = []


class CaseResultOut(msgspec.Struct):
    """How a closed case ended: outcome category, text, and open measures confirmed."""

    category: str
    text: str
    open_interventions: list[str]
    confirmed: bool
    closed_by: str


class CaseLinkOut(msgspec.Struct):
    """A duplicate link to another case the reader is on."""

    id: str
    case_id: str
    reference: str
    direction: Literal["duplicate_of", "duplicated_by"]
    linked_at: str
