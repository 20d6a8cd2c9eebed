"""Feed entities as pull records: per kind, its SELECT and its row-to-record mapping."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from server.sync.protocol import (
    AnswerData,
    AnswerRecord,
    CaseData,
    CaseRecord,
    ChecklistData,
    ChecklistRecord,
    CommentData,
    CommentRecord,
    ConflictData,
    ConflictRecord,
    InspectionData,
    InspectionRecord,
    NoteData,
    NoteRecord,
    PhotoData,
    PhotoRecord,
    Record,
    RecordAddress,
    RecordBusiness,
    RecordSubject,
    ReleaseData,
    ReleaseRecord,
    TemplateData,
    TemplateRecord,
)

EntityData = (
    CaseData
    | InspectionData
    | ChecklistData
    | AnswerData
    | NoteData
    | PhotoData
    | ConflictData
    | CommentData
    | ReleaseData
    | TemplateData
)


class Entity(msgspec.Struct, gc=False):
    """One entity's latest state, with what the projection needs to filter it.

    Not tracked by the garbage collector (``gc=False``; it never holds a reference cycle): a
    pull makes one per record, and tracking them made collections a sixth of a pull's CPU.
    """

    kind: str
    id: str
    rev: int
    case_id: str | None
    checklist_id: str | None
    item_key: str | None
    data: EntityData


def _json(text: str) -> msgspec.Raw:
    return msgspec.Raw(text.encode())


def _json_or_none(text: str | None) -> msgspec.Raw | None:
    return msgspec.Raw(text.encode()) if text is not None else None


def _case(r: sqlite3.Row) -> Entity:
    address = (
        RecordAddress(
            postcode=r["postcode"],
            huisnummer=r["huisnummer"],
            toevoeging=r["toevoeging"],
            street=r["street"],
            city=r["city"],
            bag_id=r["bag_id"],
        )
        if r["postcode"] is not None
        else None
    )
    business = (
        RecordBusiness(
            name=r["business_name"], kvk=r["kvk"], vestigingsnummer=r["vestigingsnummer"]
        )
        if r["business_name"] is not None
        else None
    )
    data = CaseData(
        id=r["id"],
        reference=r["reference"],
        status=r["status"],
        subject=RecordSubject(address=address, business=business),
        reason=_json(r["reason"]),
        teamlead_id=r["teamlead_id"],
        created_at=r["created_at"],
        closed_at=r["closed_at"],
        possible_duplicates=_json(r["possible_duplicates"]),
    )
    return Entity("case", r["id"], r["rev"], r["id"], None, None, data)


def _inspection(r: sqlite3.Row) -> Entity:
    data = InspectionData(
        id=r["id"],
        case_id=r["case_id"],
        scheduled_date=r["scheduled_date"],
        scheduled_time=r["scheduled_time"],
        performed_at=r["performed_at"],
        status=r["status"],
    )
    return Entity("inspection", r["id"], r["rev"], r["case_id"], None, None, data)


def _checklist(r: sqlite3.Row) -> Entity:
    data = ChecklistData(
        id=r["id"],
        inspection_id=r["inspection_id"],
        case_id=r["case_id"],
        agency_id=r["agency_id"],
        status=r["status"],
        submitted_at=r["submitted_at"],
        submitted_by=r["submitted_by"],
        returned_at=r["returned_at"],
        returned_by=r["returned_by"],
        created_at=r["created_at"],
        template=f"{r['template_slug']}@{r['template_version']}",
        progress=_json_or_none(r["progress"]),
    )
    return Entity("checklist", r["id"], r["rev"], r["case_id"], r["id"], None, data)


# Answers, notes and photos are most of what a pull sends: their rows are plain tuples in the
# order of these column lists (reading a sqlite3.Row by name costs more than the record), and
# their case comes from their checklist, looked up apart (see ItemSpec).
_ANSWER_COLUMNS = "x.checklist_id, x.item_key, x.value, x.author_id, x.amended, x.updated_at, x.rev"


def _answer(r: tuple[Any, ...], case_id: str) -> Entity:
    checklist_id, item_key, value, author_id, amended, updated_at, rev = r
    data = AnswerData(
        checklist_id=checklist_id,
        item_key=item_key,
        value=_json(value),
        author_id=author_id,
        amended=bool(amended),
        updated_at=updated_at,
    )
    key = f"{checklist_id}/{item_key}"
    return Entity("answer", key, rev, case_id, checklist_id, item_key, data)


_NOTE_COLUMNS = (
    "x.id, x.checklist_id, x.item_key, x.text, x.author_id, x.client_time, x.created_at, x.rev"
)


def _note(r: tuple[Any, ...], case_id: str) -> Entity:
    note_id, checklist_id, item_key, text, author_id, client_time, created_at, rev = r
    data = NoteData(
        id=note_id,
        checklist_id=checklist_id,
        item_key=item_key,
        text=text,
        author_id=author_id,
        client_time=client_time,
        created_at=created_at,
    )
    return Entity("note", note_id, rev, case_id, checklist_id, item_key, data)


_PHOTO_COLUMNS = (
    "x.id, x.checklist_id, x.item_key, x.sha256, x.size, x.mime, x.captured_at, x.width,"
    " x.height, x.state, x.withdrawn_at, x.withdraw_reason, x.author_id, x.created_at, x.geo,"
    " x.rev"
)


def _photo(r: tuple[Any, ...], case_id: str) -> Entity:
    (
        photo_id,
        checklist_id,
        item_key,
        sha256,
        size,
        mime,
        captured_at,
        width,
        height,
        state,
        withdrawn_at,
        withdraw_reason,
        author_id,
        created_at,
        geo,
        rev,
    ) = r
    data = PhotoData(
        id=photo_id,
        checklist_id=checklist_id,
        item_key=item_key,
        sha256=sha256,
        size=size,
        mime=mime,
        captured_at=captured_at,
        width=width,
        height=height,
        state=state,
        withdrawn_at=withdrawn_at,
        withdraw_reason=withdraw_reason,
        author_id=author_id,
        created_at=created_at,
        geo=_json_or_none(geo),
    )
    return Entity("photo", photo_id, rev, case_id, checklist_id, item_key, data)


def _conflict(r: sqlite3.Row) -> Entity:
    data = ConflictData(
        id=r["id"],
        checklist_id=r["checklist_id"],
        case_id=r["case_id"],
        item_key=r["item_key"],
        status=r["status"],
        created_at=r["created_at"],
        resolved_by=r["resolved_by"],
        resolved_at=r["resolved_at"],
        candidates=_json(r["candidates"]),
        resolution=_json_or_none(r["resolution"]),
    )
    return Entity("conflict", r["id"], r["rev"], r["case_id"], r["checklist_id"], None, data)


def _comment(r: sqlite3.Row) -> Entity:
    data = CommentData(
        id=r["id"],
        checklist_id=r["checklist_id"],
        item_key=r["item_key"],
        text=r["text"],
        author_id=r["author_id"],
        created_at=r["created_at"],
    )
    return Entity("comment", r["id"], r["rev"], r["case_id"], r["checklist_id"], None, data)


def _release(r: sqlite3.Row) -> Entity:
    data = ReleaseData(
        id=r["id"],
        checklist_id=r["checklist_id"],
        basis=r["basis"],
        author_id=r["author_id"],
        created_at=r["created_at"],
        item_keys=_json(r["item_keys"]),
    )
    return Entity("release", r["id"], r["rev"], r["case_id"], r["checklist_id"], None, data)


def _template(r: sqlite3.Row) -> Entity:
    ref = f"{r['slug']}@{r['version']}"
    data = TemplateData(ref=ref, slug=r["slug"], version=r["version"], body=_json(r["body"]))
    return Entity("template", ref, r["rev"], None, None, None, data)


_RECORD_TYPES: dict[type[EntityData], type[Record]] = {
    CaseData: CaseRecord,
    InspectionData: InspectionRecord,
    ChecklistData: ChecklistRecord,
    AnswerData: AnswerRecord,
    NoteData: NoteRecord,
    PhotoData: PhotoRecord,
    ConflictData: ConflictRecord,
    CommentData: CommentRecord,
    ReleaseData: ReleaseRecord,
    TemplateData: TemplateRecord,
}


def as_record(entity: Entity, data: EntityData | None = None) -> Record:
    """The typed wire record of ``entity`` (with ``data`` instead of its own, if given)."""
    data = entity.data if data is None else data
    record_type: Any = _RECORD_TYPES[type(data)]
    record: Record = record_type(entity.id, entity.rev, False, data)  # id, rev, deleted, data
    return record


@dataclass(frozen=True, slots=True)
class Spec:
    """How to select one kind: the SELECT, its id and case columns, and the row mapper (it
    takes a sqlite3.Row)."""

    select: str
    id_column: str
    case_column: str
    checklist_column: str | None
    item_column: str | None
    build: Callable[[Any], Entity]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """How to select the answers, notes or photos of checklists: plain-tuple rows in the order
    of ``columns`` (the checklist id at ``checklist_at``), mapped by ``build(row, case_id)``.

    Their case is their checklist's, looked up apart (one query for a page's checklists, not a
    join per row). ``feed_match`` joins a change-feed row ``ch`` to the entity it names.
    """

    table: str
    columns: str
    id_column: str
    feed_match: str
    checklist_at: int
    build: Callable[[tuple[Any, ...], str], Entity]

    @property
    def select(self) -> str:
        """The SELECT of this kind's columns (alias ``x``)."""
        return f"SELECT {self.columns} FROM {self.table} x"


BY_CHECKLIST = " JOIN checklists c ON c.id = x.checklist_id"
SPECS: dict[str, Spec] = {
    "case": Spec("SELECT x.* FROM cases x", "x.id", "x.id", None, None, _case),
    "inspection": Spec(
        "SELECT x.* FROM inspections x", "x.id", "x.case_id", None, None, _inspection
    ),
    "checklist": Spec(
        "SELECT x.* FROM checklists x", "x.id", "x.case_id", "x.id", None, _checklist
    ),
    "conflict": Spec(
        "SELECT x.* FROM conflicts x", "x.id", "x.case_id", "x.checklist_id", None, _conflict
    ),
    "comment": Spec(
        "SELECT x.*, c.case_id FROM comments x" + BY_CHECKLIST,
        "x.id",
        "c.case_id",
        "x.checklist_id",
        None,
        _comment,
    ),
    "release": Spec(
        "SELECT x.*, c.case_id FROM releases x" + BY_CHECKLIST,
        "x.id",
        "c.case_id",
        "x.checklist_id",
        None,
        _release,
    ),
    "template": Spec(
        "SELECT x.* FROM templates x", "x.slug || '@' || x.version", "NULL", None, None, _template
    ),
}
# An answer's id is ``<checklist_id>/<item_key>``; a checklist id holds no '/'.
_ANSWER_OF_FEED_ROW = (
    "x.checklist_id = substr(ch.entity_id, 1, instr(ch.entity_id, '/') - 1)"
    " AND x.item_key = substr(ch.entity_id, instr(ch.entity_id, '/') + 1)"
)
ITEM_SPECS: dict[str, ItemSpec] = {
    "answer": ItemSpec(
        "answers",
        _ANSWER_COLUMNS,
        "x.checklist_id || '/' || x.item_key",
        _ANSWER_OF_FEED_ROW,
        0,
        _answer,
    ),
    "note": ItemSpec("notes", _NOTE_COLUMNS, "x.id", "x.id = ch.entity_id", 1, _note),
    "photo": ItemSpec("photos", _PHOTO_COLUMNS, "x.id", "x.id = ch.entity_id", 1, _photo),
}
