"""Sync v1 wire structs (the protocol for client authors is ``docs/sync.md``).

The push envelope is decoded strictly; every op is decoded on its own against the tagged
union :data:`Op`, so one malformed op is rejected without blocking the queue. Unknown
extra fields are ignored everywhere (old and new app versions coexist).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.cases.subject import Reason, Subject
from server.checklists.model import Template
from server.lib.errors import Problem
from server.lib.numbers import SQLITE_INT_MAX
from server.lib.rawjson import documented_as
from server.sync.client_state import ClientState

UUID7_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
Uuid7 = Annotated[str, msgspec.Meta(pattern=UUID7_PATTERN, description="UUIDv7 (RFC 9562)")]
Seq = Annotated[
    int, msgspec.Meta(ge=1, le=SQLITE_INT_MAX, description="Per-device sequence number: 1, 2, 3, …")
]
ItemKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
ClientTime = Annotated[str, msgspec.Meta(max_length=40, description="ISO 8601, display only")]
Rev = Annotated[int, msgspec.Meta(ge=0, le=SQLITE_INT_MAX)]
Sha256 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
TemplateRef = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*@[1-9][0-9]{0,5}$", max_length=72)
]
Reason2000 = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
NoteText = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
AnswerValue = str | int | float | list[str] | None
"""The wire value of an answer; checked further against the template item type."""

MAX_OPS = 500
MAX_BODY = 2 * 1024 * 1024
SCHEMA_VERSION = 1


class _OpBase(msgspec.Struct, tag_field="op"):
    op_id: Uuid7
    seq: Seq
    client_time: ClientTime


class SetAnswer(_OpBase, tag="set_answer"):
    """Write one answer; ``base_rev`` is the field revision the device last saw (or null)."""

    checklist_id: Uuid7
    item_key: ItemKey
    value: AnswerValue
    base_rev: Rev | None


class AmendAnswer(_OpBase, tag="amend_answer"):
    """Amend one answer of a submitted checklist, with a reason."""

    checklist_id: Uuid7
    item_key: ItemKey
    value: AnswerValue
    reason: Reason2000
    base_rev: Rev | None


class AddNote(_OpBase, tag="add_note"):
    """Append a note to a checklist, optionally to one item."""

    note_id: Uuid7
    checklist_id: Uuid7
    text: NoteText
    item_key: ItemKey | None = None


class Geo(msgspec.Struct):
    """A device location."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    accuracy: Annotated[float, msgspec.Meta(ge=0)] | None = None


class AttachPhoto(_OpBase, tag="attach_photo"):
    """Register a photo; the bytes arrive separately (uploads)."""

    photo_id: Uuid7
    checklist_id: Uuid7
    sha256: Sha256
    size: Annotated[int, msgspec.Meta(ge=1, le=1 << 31)]
    mime: Literal["image/jpeg", "image/png", "image/webp"]
    item_key: ItemKey | None = None
    captured_at: ClientTime | None = None
    geo: Geo | None = None


class WithdrawPhoto(_OpBase, tag="withdraw_photo"):
    """Mark a photo withdrawn; it stays in the evidence log."""

    photo_id: Uuid7
    reason: Reason2000


class CreateCase(_OpBase, tag="create_case"):
    """A business found on site: case, inspection for the creator, one checklist."""

    case_id: Uuid7
    inspection_id: Uuid7
    checklist_id: Uuid7
    template: TemplateRef
    subject: Subject
    reason: Reason


class SubmitChecklist(_OpBase, tag="submit_checklist"):
    """Submit a checklist; afterwards answers change only through ``amend_answer``."""

    checklist_id: Uuid7


Op = SetAnswer | AmendAnswer | AddNote | AttachPhoto | WithdrawPhoto | CreateCase | SubmitChecklist
OP_NAMES: tuple[str, ...] = (
    "set_answer",
    "amend_answer",
    "add_note",
    "attach_photo",
    "withdraw_photo",
    "create_case",
    "submit_checklist",
)


class Gap(msgspec.Struct):
    """Seqs the device no longer holds (retention window passed): ``from`` … ``to``.

    Declared only after the server asked for ``expected_seq`` = ``from``; the server records
    the hole (audit ``sync.hole``) and continues after ``to``. A gap is never inferred.
    """

    from_: Seq = msgspec.field(name="from")
    to: Seq


class PushEnvelope(msgspec.Struct):
    """The strict envelope; each op stays raw until decoded on its own."""

    device_id: Uuid7
    schema_version: int
    ops: list[msgspec.Raw]
    gap: Gap | None = None
    # Decoded leniently on its own (server.sync.client_state); empty when absent.
    client_state: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class PushRequest(msgspec.Struct):
    """``POST /api/v1/sync/push`` (at most 500 ops and 2 MiB); for the JSON Schema."""

    device_id: Uuid7
    schema_version: Literal[1]
    ops: Annotated[list[Op], msgspec.Meta(max_length=MAX_OPS)]
    gap: Gap | None = None
    client_state: ClientState | None = None


Status = Literal["applied", "duplicate", "rejected", "conflict"]


class OpResult(msgspec.Struct, omit_defaults=True):
    """The outcome of one op."""

    seq: int
    status: Status
    op_id: str | None = None
    rev: int | None = None
    conflict_id: str | None = None
    problem: Problem | None = None
    original_status: Literal["applied", "rejected", "conflict"] | None = None


class PushResponse(msgspec.Struct):
    """``200`` of a push: what the server holds now."""

    last_seq: int
    results: list[OpResult]
    missing_blobs: list[str]
    expected_seq: int | None
    epoch: int


class ChecklistProgress(msgspec.Struct):
    """``data.progress`` of a ``checklist`` record, computed by the server with the shared
    completeness rules: ``answered`` of the ``visible`` items hold an answer (photo and
    signature items: a photo), ``required`` visible items are required and ``missing``
    things still block submitting. Refreshed once per push that changes the checklist."""

    answered: Annotated[int, msgspec.Meta(ge=0)]
    visible: Annotated[int, msgspec.Meta(ge=0)]
    required: Annotated[int, msgspec.Meta(ge=0)]
    missing: Annotated[int, msgspec.Meta(ge=0)]


class AgencyData(msgspec.Struct):
    """``data`` of an ``agency`` record: the display name of an agency on the reader's cases
    and its kind (``gemeente``, ``politie``, ``rijk``, …: which templates it uses). Sent
    before each ``case`` record that names the agency (same ``rev``)."""

    id: str
    name: str
    kind: str


# --- Pull records: one tagged struct per kind ----------------------------------------------
# JSON kept in a column is passed on as it was stored (msgspec.Raw), documented as its type.

AnswerValueText = Annotated[msgspec.Raw, documented_as(AnswerValue)]
ReasonText = Annotated[msgspec.Raw, documented_as(Reason)]
IdsText = Annotated[msgspec.Raw, documented_as(list[str])]
GeoText = Annotated[msgspec.Raw, documented_as(Geo)]
TemplateText = Annotated[msgspec.Raw, documented_as(Template)]
ProgressText = Annotated[msgspec.Raw, documented_as(ChecklistProgress)]


class Candidate(msgspec.Struct):
    """One competing write of a conflict (as stored in ``conflicts.candidates``)."""

    value: AnswerValue
    op_id: str | None
    author_id: str
    device_id: str | None
    client_time: str | None
    rev: int
    overwrote: AnswerValue | msgspec.UnsetType = msgspec.UNSET


class Resolution(msgspec.Struct):
    """How a team lead resolved a conflict (as stored in ``conflicts.resolution``)."""

    value: AnswerValue
    reason: str
    op_id: str
    candidate: int | None


CandidatesText = Annotated[msgspec.Raw, documented_as(list[Candidate])]
ResolutionText = Annotated[msgspec.Raw, documented_as(Resolution)]


class RecordAddress(msgspec.Struct):
    """A case's address as replicated (postcode without space)."""

    postcode: str
    huisnummer: int
    toevoeging: str | None
    street: str | None
    city: str | None
    bag_id: str | None


class RecordBusiness(msgspec.Struct):
    """A case's business as replicated."""

    name: str
    kvk: str | None
    vestigingsnummer: str | None


class RecordSubject(msgspec.Struct):
    """A case's subject: address, business, or both."""

    address: RecordAddress | None
    business: RecordBusiness | None


class CaseData(msgspec.Struct):
    """``case``: ``possible_duplicates`` only those the reader is on; ``agencies`` on the case."""

    id: str
    reference: str
    status: str
    subject: RecordSubject
    reason: ReasonText
    teamlead_id: str | None
    created_at: str
    closed_at: str | None
    possible_duplicates: IdsText
    agencies: list[str] = []


class InspectionData(msgspec.Struct):
    """``inspection``: when, and who is assigned."""

    id: str
    case_id: str
    scheduled_date: str | None
    scheduled_time: str | None
    performed_at: str | None
    status: str
    inspectors: list[str] = []


class ChecklistData(msgspec.Struct):
    """``checklist``: one agency's checklist of an inspection."""

    id: str
    inspection_id: str
    case_id: str
    agency_id: str
    status: str
    submitted_at: str | None
    submitted_by: str | None
    returned_at: str | None
    returned_by: str | None
    created_at: str
    template: str
    progress: ProgressText | None


class AnswerData(msgspec.Struct, gc=False):
    """``answer`` (id ``<checklist_id>/<item_key>``)."""

    checklist_id: str
    item_key: str
    value: AnswerValueText
    author_id: str
    amended: bool
    updated_at: str


class NoteData(msgspec.Struct, gc=False):
    """``note``."""

    id: str
    checklist_id: str
    item_key: str | None
    text: str
    author_id: str
    client_time: str | None
    created_at: str


class PhotoData(msgspec.Struct, gc=False):
    """``photo``: metadata; the bytes come from ``/api/v1/photos/{id}/{variant}``."""

    id: str
    checklist_id: str
    item_key: str | None
    sha256: str
    size: int
    mime: str
    captured_at: str | None
    width: int | None
    height: int | None
    state: str
    withdrawn_at: str | None
    withdraw_reason: str | None
    author_id: str
    created_at: str
    geo: GeoText | None


class ConflictData(msgspec.Struct):
    """``conflict`` (team leads of the checklist's agency only)."""

    id: str
    checklist_id: str
    case_id: str
    item_key: str
    status: str
    created_at: str
    resolved_by: str | None
    resolved_at: str | None
    candidates: CandidatesText
    resolution: ResolutionText | None


class CommentData(msgspec.Struct):
    """``comment``: a team lead's return-to-officer remark."""

    id: str
    checklist_id: str
    item_key: str | None
    text: str
    author_id: str
    created_at: str


class ReleaseData(msgspec.Struct):
    """``release``: items of a checklist shared with everyone on the case."""

    id: str
    checklist_id: str
    basis: str
    author_id: str
    created_at: str
    item_keys: IdsText


class TemplateData(msgspec.Struct):
    """``template``: a published checklist template version."""

    ref: str
    slug: str
    version: int
    body: TemplateText


class EvictData(msgspec.Struct):
    """``evict``: delete everything local of the case (or of one checklist of it)."""

    scope: Literal["case", "checklist"]
    case_id: str
    reason: Literal["case-closed", "access-withdrawn"]
    checklist_id: str | msgspec.UnsetType = msgspec.UNSET


class _Record(msgspec.Struct, tag_field="kind", gc=False):
    # Not tracked by the garbage collector (no record holds a reference cycle): a pull makes
    # one per record, as it does the data of the frequent kinds (answer, note, photo).
    id: str
    rev: int
    deleted: bool


class CaseRecord(_Record, tag="case"):
    """The latest state of a case."""

    data: CaseData


class InspectionRecord(_Record, tag="inspection"):
    """The latest state of an inspection."""

    data: InspectionData


class ChecklistRecord(_Record, tag="checklist"):
    """The latest state of a checklist."""

    data: ChecklistData


class AnswerRecord(_Record, tag="answer"):
    """The latest state of an answer."""

    data: AnswerData


class NoteRecord(_Record, tag="note"):
    """A note."""

    data: NoteData


class PhotoRecord(_Record, tag="photo"):
    """The latest state of a photo."""

    data: PhotoData


class ConflictRecord(_Record, tag="conflict"):
    """The latest state of a conflict."""

    data: ConflictData


class CommentRecord(_Record, tag="comment"):
    """A comment."""

    data: CommentData


class ReleaseRecord(_Record, tag="release"):
    """A release."""

    data: ReleaseData


class TemplateRecord(_Record, tag="template"):
    """A template version."""

    data: TemplateData


class AgencyRecord(_Record, tag="agency"):
    """An agency named by a case (sent before the case record, same ``rev``)."""

    data: AgencyData


class EvictRecord(_Record, tag="evict"):
    """An eviction (``deleted`` is true)."""

    data: EvictData


Record = (
    CaseRecord
    | InspectionRecord
    | ChecklistRecord
    | AnswerRecord
    | NoteRecord
    | PhotoRecord
    | ConflictRecord
    | CommentRecord
    | ReleaseRecord
    | TemplateRecord
    | AgencyRecord
    | EvictRecord
)
"""One record of a pull: the latest state of an entity, typed by ``kind``. New kinds may be
added at any time: a client ignores kinds it does not know."""


# --- Team-lead responses -------------------------------------------------------------------


class ConflictView(msgspec.Struct):
    """One conflict in the team lead's list."""

    id: str
    case_id: str
    checklist_id: str
    item_key: str
    status: Literal["open", "resolved"]
    candidates: list[Candidate]
    created_at: str
    resolved_by: str | None
    resolved_at: str | None
    resolution: Resolution | None
    rev: int


class ConflictPage(msgspec.Struct):
    """``GET /api/v1/conflicts``: a page by id; ``next`` is the ``after`` of the next page."""

    conflicts: list[ConflictView]
    next: str | None


class ResolveResponse(msgspec.Struct):
    """``POST /api/v1/conflicts/{id}/resolve``: the conflict and the answer revision written."""

    id: str
    status: Literal["resolved"]
    rev: int
    answer_rev: int
    op_id: str
    resolution: Resolution


class CommentResponse(msgspec.Struct):
    """``POST /api/v1/checklists/{id}/comments``: the comment as devices will pull it."""

    id: str
    checklist_id: str
    item_key: str | None
    text: str
    author_id: str
    created_at: str
    rev: int


class ReleaseResponse(msgspec.Struct):
    """``POST /api/v1/checklists/{id}/releases``: the release as devices will pull it."""

    id: str
    checklist_id: str
    item_keys: list[str]
    basis: str
    author_id: str
    created_at: str
    rev: int


class ReturnedComment(msgspec.Struct):
    """One comment a return to officer created."""

    id: str
    item_key: str | None
    rev: int


class ReturnResponse(msgspec.Struct):
    """``POST /api/v1/checklists/{id}/return``: the checklist stays submitted, now returned."""

    checklist_id: str
    status: Literal["submitted"]
    returned_at: str
    returned_by: str
    text: str
    comments: list[ReturnedComment]
    rev: int


def kind_of_type(record_type: type[Record]) -> str:
    """The ``kind`` tag of a pull record type."""
    return str(record_type.__struct_config__.tag)


class PullResponse(msgspec.Struct):
    """``200`` of a pull."""

    changes: list[Record]
    cursor: str
    has_more: bool
    last_seq: int
    epoch: int


class StoredResult(msgspec.Struct, omit_defaults=True):
    """``ops.result``: the details repeated for a duplicate."""

    rev: int | None = None
    conflict_id: str | None = None
    problem: Problem | None = None


envelope_decoder = msgspec.json.Decoder(PushEnvelope)
op_decoder: msgspec.json.Decoder[Op] = msgspec.json.Decoder(Op)
any_decoder = msgspec.json.Decoder()
stored_result_decoder = msgspec.json.Decoder(StoredResult)
encoder = msgspec.json.Encoder()
sorted_encoder = msgspec.json.Encoder(order="sorted")
