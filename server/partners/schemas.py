"""Wire types of the partner API: every response is one of these msgspec structs.

Field names are lower camelCase (``rename="camel"``), except the OAuth token response,
whose names RFC 6749 fixes.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.cases.subject import ReasonCategory, Subject

AnswerValue = str | int | float | list[str] | None
CaseStatus = Literal[
    "signal", "selected", "planned", "inspected", "reviewed", "intervention", "closed"
]
EventType = Literal[
    "case-created",
    "case-updated",
    "findings-released",
    "checklist-submitted",
    "intervention-changed",
    "case-closed",
    "case-access-withdrawn",
]
PhotoVariant = Literal["thumb", "display", "original"]
Date = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date"})]
"""A calendar date, ``YYYY-MM-DD``."""


class TokenResponse(msgspec.Struct):
    """An access token (RFC 6749 §5.1). No refresh token: ask for a new one when it expires."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class Agency(msgspec.Struct, rename="camel"):
    """A participating agency."""

    id: str
    name: str


class Progress(msgspec.Struct, rename="camel"):
    """How far a checklist is filled (counts only; no values)."""

    items: int
    answered: int
    required: int
    required_answered: int


class Item(msgspec.Struct, rename="camel"):
    """One answered checklist item the client may see."""

    key: str
    value: AnswerValue
    updated_at: str
    amended: bool


class PhotoLinks(msgspec.Struct, rename="camel"):
    """Where to fetch the photo's variants (scope ``photos:read``)."""

    thumb: str
    display: str
    original: str


class Photo(msgspec.Struct, rename="camel"):
    """Metadata of a photo the client may see."""

    id: str
    item_key: str | None
    sha256: str
    state: Literal["expected", "uploading", "received", "verified", "rejected"]
    captured_at: str | None
    withdrawn: bool
    links: PhotoLinks | None
    """Present when the photo is verified and not withdrawn."""


class Checklist(msgspec.Struct, rename="camel"):
    """One agency's checklist of a visit: metadata for all; items as the projection allows."""

    id: str
    agency: str
    template: str
    status: Literal["open", "submitted"]
    submitted_at: str | None
    progress: Progress
    full_access: bool
    """True for the client of the owning agency: every item is listed."""
    items: list[Item]
    photos: list[Photo]


class Visit(msgspec.Struct, rename="camel"):
    """An inspection visit (never the names of the people on it)."""

    id: str
    scheduled_date: Date
    scheduled_time: str | None
    performed_at: str | None
    status: Literal["planned", "in_progress", "done", "cancelled"]
    checklists: list[Checklist]


class Intervention(msgspec.Struct, rename="camel"):
    """An intervention of one agency; the description only for the own agency."""

    id: str
    agency: str
    type: str
    status: str
    due_date: Date | None
    reinspection_date: Date | None
    created_at: str
    updated_at: str
    description: str | None
    legal_basis: str | None
    """Like the description: only for the own agency (None for others)."""


class CaseLinks(msgspec.Struct, rename="camel"):
    """Links of a case."""

    self: str


class DuplicateLink(msgspec.Struct, rename="camel"):
    """A confirmed duplicate link to another case the client's agency takes part in."""

    case_id: str
    reference: str
    direction: Literal["duplicate_of", "duplicated_by"]
    linked_at: str


class ClosingResult(msgspec.Struct, rename="camel"):
    """How a closed case ended: the outcome category and the interventions still open then.
    (The team's closing text is not shown: it is free text that may name people.)"""

    category: str
    open_interventions: list[str]


class CaseSummary(msgspec.Struct, rename="camel"):
    """The case summary as one partner client may see it."""

    id: str
    reference: str
    status: CaseStatus
    subject: Subject
    selection_reason: ReasonCategory
    created_at: str
    closed_at: str | None
    agencies: list[Agency]
    visits: list[Visit]
    interventions: list[Intervention]
    closing_result: ClosingResult | None
    duplicate_links: list[DuplicateLink]
    possible_duplicates: list[str]
    """Ids of cases flagged as possible duplicates that the client's agency also takes part in."""
    changed_at: str
    links: CaseLinks


class CaseListItem(msgspec.Struct, rename="camel"):
    """A case in a list: enough to decide whether to fetch the summary."""

    id: str
    reference: str
    status: CaseStatus
    subject: Subject
    changed_at: str
    links: CaseLinks


class CasePage(msgspec.Struct, rename="camel"):
    """One page of cases; pass ``next`` as ``cursor`` for the following page."""

    cases: list[CaseListItem]
    next: str | None


class ChangeEvent(msgspec.Struct, rename="camel"):
    """A summary-level change of one case (several changes of a case in one page coalesce)."""

    case_id: str
    types: list[EventType]
    at: str
    links: CaseLinks


class ChangePage(msgspec.Struct, rename="camel"):
    """One page of the change feed; always continue with ``cursor``, even when ``events`` is
    empty. ``more`` says whether another page is ready at once."""

    events: list[ChangeEvent]
    cursor: str
    more: bool


SignalId = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._~-]+$")]


class SignalIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """A signal handed to the team by a partner. ``id`` is the client's own, unique per client:
    sending the same id again returns the first signal and creates nothing."""

    id: SignalId
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    subject: Subject


class SignalOut(msgspec.Struct, rename="camel"):
    """A signal as recorded for the team of the client's agency."""

    id: str
    client_signal_id: str
    status: Literal["open", "triaged", "dismissed"]
    created_at: str
