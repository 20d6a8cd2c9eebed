"""The case view: one case as one reader may see it, through the projection.

Nothing here decides visibility itself: every item, note and photo passes
:mod:`server.cases.visibility`, fed by :mod:`server.cases.scope`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import msgspec

from server.cases.duplicates import case_links
from server.cases.schemas import (
    AnswerOut,
    CaseLinkOut,
    CaseResultOut,
    CaseView,
    ChecklistView,
    GeoOut,
    InspectionView,
    InterventionOut,
    NoteOut,
    Person,
    PhotoOut,
    PhotoStates,
    Progress,
)
from server.cases.scope import duplicates_for, load_case_scope
from server.cases.subject import Address, Business, Reason, Subject
from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    full_access,
    intervention_description_visible,
    on_case,
    visible_items,
)
from server.checklists.completeness import progress, required_progress
from server.checklists.library import get_template
from server.checklists.model import Template

_reason_decoder = msgspec.json.Decoder(Reason)
_result_decoder = msgspec.json.Decoder(CaseResultOut)


def subject_of(row: sqlite3.Row) -> Subject:
    """The subject columns of a case row as a :class:`Subject`."""
    address = None
    if row["postcode"] is not None:
        address = Address(
            postcode=row["postcode"],
            huisnummer=row["huisnummer"],
            toevoeging=row["toevoeging"],
            street=row["street"],
            city=row["city"],
            bag_id=row["bag_id"],
        )
    business = None
    if row["business_name"] is not None:
        business = Business(
            name=row["business_name"], kvk=row["kvk"], vestigingsnummer=row["vestigingsnummer"]
        )
    return Subject(address=address, business=business)


def _person(row: sqlite3.Row | None) -> Person | None:
    if row is None:
        return None
    return Person(id=row["id"], name=row["name"], agency_id=row["agency_id"])


def _progress(
    template: Template, answers: dict[str, AnswerOut], photos: list[sqlite3.Row]
) -> Progress:
    """The completeness rules of the field app and the submit check: only items shown for
    these answers count (``visible_if``), a blank text is not an answer, photo and signature
    items count with a photo."""
    values = {key: answer.value for key, answer in answers.items()}
    photo_counts: dict[str, int] = {}
    for p in photos:
        if p["item_key"] is not None and p["withdrawn_at"] is None and p["state"] != "rejected":
            photo_counts[p["item_key"]] = photo_counts.get(p["item_key"], 0) + 1
    shown = progress(template, values, photo_counts)
    required = required_progress(template, values, photo_counts)
    return Progress(
        items=shown.total,
        answered=shown.done,
        required=required.total,
        required_answered=required.done,
    )


def _photo_states(photos: list[sqlite3.Row]) -> PhotoStates:
    counts = PhotoStates()
    for p in photos:
        if p["withdrawn_at"] is not None:
            counts.withdrawn += 1
        else:
            setattr(counts, p["state"], getattr(counts, p["state"]) + 1)
    return counts


@dataclass
class _Templates:
    """Templates and their sensitivities, looked up once per request; decoded once per
    process (a published version never changes: the cache is keyed on its body's hash)."""

    conn: sqlite3.Connection
    cache: dict[tuple[str, int], tuple[Template, dict[str, str]]]

    def get(self, slug: str, version: int) -> tuple[Template, dict[str, str]]:
        key = (slug, version)
        if key not in self.cache:
            row = self.conn.execute(
                "SELECT body_sha256 FROM templates WHERE slug = ? AND version = ?", key
            ).fetchone()
            if row is None:  # guarded by the checklists' foreign key
                raise LookupError(f"template {slug}@{version} missing")
            decoded = _DECODED.get((slug, version, row[0]))
            if decoded is None:
                template = get_template(self.conn, slug, version)
                if template is None:
                    raise LookupError(f"template {slug}@{version} missing")
                decoded = (template, {i.key: i.sensitivity for i in template.items()})
                if len(_DECODED) >= _DECODED_MAX:
                    _DECODED.clear()
                _DECODED[(slug, version, row[0])] = decoded
            self.cache[key] = decoded
        return self.cache[key]


_DECODED: dict[tuple[str, int, str], tuple[Template, dict[str, str]]] = {}
_DECODED_MAX = 256


def _grouped(rows: list[sqlite3.Row], key: str) -> dict[str, list[sqlite3.Row]]:
    out: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


@dataclass
class _CaseRows:
    """Every row the view needs of one case, read with one query per table: the number of
    queries does not grow with inspections, checklists, answers or photos."""

    inspectors: dict[str, list[sqlite3.Row]]
    checklists: dict[str, list[sqlite3.Row]]
    answers: dict[str, list[sqlite3.Row]]
    notes: dict[str, list[sqlite3.Row]]
    photos: dict[str, list[sqlite3.Row]]
    open_conflicts: dict[str, int]

    @classmethod
    def load(cls, conn: sqlite3.Connection, case_id: str) -> _CaseRows:
        by_case = " JOIN checklists c ON c.id = x.checklist_id WHERE c.case_id = ?"
        return cls(
            inspectors=_grouped(
                conn.execute(
                    "SELECT ii.inspection_id, u.id, u.name, u.agency_id"
                    " FROM inspection_inspectors ii JOIN inspections i ON i.id = ii.inspection_id"
                    " JOIN users u ON u.id = ii.user_id WHERE i.case_id = ? ORDER BY u.name",
                    (case_id,),
                ).fetchall(),
                "inspection_id",
            ),
            checklists=_grouped(
                conn.execute(
                    "SELECT * FROM checklists WHERE case_id = ? ORDER BY agency_id", (case_id,)
                ).fetchall(),
                "inspection_id",
            ),
            answers=_grouped(
                conn.execute("SELECT x.* FROM answers x" + by_case, (case_id,)).fetchall(),
                "checklist_id",
            ),
            notes=_grouped(
                conn.execute(
                    "SELECT x.* FROM notes x" + by_case + " ORDER BY x.rev", (case_id,)
                ).fetchall(),
                "checklist_id",
            ),
            photos=_grouped(
                conn.execute(
                    "SELECT x.* FROM photos x" + by_case + " ORDER BY x.rev", (case_id,)
                ).fetchall(),
                "checklist_id",
            ),
            open_conflicts={
                r[0]: int(r[1])
                for r in conn.execute(
                    "SELECT checklist_id, COUNT(*) FROM conflicts WHERE case_id = ?"
                    " AND status = 'open' GROUP BY checklist_id",
                    (case_id,),
                )
            },
        )


def _checklist_view(
    conn: sqlite3.Connection,
    reader: Reader,
    scope: CaseScope,
    *,
    cl_scope: ChecklistScope,
    row: sqlite3.Row,
    templates: _Templates,
    rows: _CaseRows,
) -> ChecklistView:
    template, sensitivities = templates.get(row["template_slug"], row["template_version"])
    answers: dict[str, AnswerOut] = {
        a["item_key"]: AnswerOut(
            value=msgspec.json.decode(a["value"]),
            rev=a["rev"],
            author_id=a["author_id"],
            updated_at=a["updated_at"],
            amended=bool(a["amended"]),
        )
        for a in rows.answers.get(row["id"], [])
    }
    notes = [
        NoteOut(
            id=n["id"],
            item_key=n["item_key"],
            text=n["text"],
            author_id=n["author_id"],
            created_at=n["created_at"],
        )
        for n in rows.notes.get(row["id"], [])
        if attached_visible(reader, scope, cl_scope, n["item_key"], sensitivities)
    ]
    photo_rows = rows.photos.get(row["id"], [])
    photos = [
        PhotoOut(
            id=p["id"],
            item_key=p["item_key"],
            sha256=p["sha256"],
            state=p["state"],
            captured_at=p["captured_at"],
            withdrawn=p["withdrawn_at"] is not None,
            geo=msgspec.json.decode(p["geo"], type=GeoOut) if p["geo"] else None,
            exif_time=p["exif_time"],
            exif_geo=msgspec.json.decode(p["exif_geo"], type=GeoOut) if p["exif_geo"] else None,
            author_id=p["author_id"],
        )
        for p in photo_rows
        if attached_visible(reader, scope, cl_scope, p["item_key"], sensitivities)
    ]
    open_conflicts = rows.open_conflicts.get(row["id"], 0)
    return ChecklistView(
        id=row["id"],
        agency_id=row["agency_id"],
        template=f"{row['template_slug']}@{row['template_version']}",
        status=row["status"],
        submitted_at=row["submitted_at"],
        rev=row["rev"],
        progress=_progress(template, answers, photo_rows),
        photo_states=_photo_states(photo_rows),
        open_conflicts=int(open_conflicts),
        full_access=full_access(reader, scope, cl_scope),
        answers=visible_items(reader, scope, cl_scope, answers, sensitivities),
        notes=notes,
        photos=photos,
        returned_at=row["returned_at"],
        released=sorted(cl_scope.released),
    )


def case_view(
    conn: sqlite3.Connection, reader: Reader, case_id: str, scope: CaseScope | None = None
) -> CaseView | None:
    """The case as ``reader`` may see it, or None when the reader is not on it (404).

    ``scope``: the case's scope when the caller loaded it already (same transaction)."""
    if scope is None:
        scope = load_case_scope(conn, case_id)
    if scope is None or not on_case(reader, scope):
        return None
    case = conn.execute("SELECT * FROM cases WHERE id = ?", (case_id,)).fetchone()
    teamlead = conn.execute(
        "SELECT id, name, agency_id FROM users WHERE id = ?", (case["teamlead_id"],)
    ).fetchone()
    templates = _Templates(conn, {})
    by_id = {c.checklist_id: c for c in scope.checklists}
    rows = _CaseRows.load(conn, case_id)
    inspections: list[InspectionView] = []
    for ins in conn.execute(
        "SELECT * FROM inspections WHERE case_id = ?"
        " ORDER BY scheduled_date, COALESCE(scheduled_time, ''), id",
        (case_id,),
    ).fetchall():
        inspectors = [
            Person(id=u["id"], name=u["name"], agency_id=u["agency_id"])
            for u in rows.inspectors.get(ins["id"], [])
        ]
        checklists = [
            _checklist_view(
                conn, reader, scope, cl_scope=by_id[c["id"]], row=c, templates=templates, rows=rows
            )
            for c in rows.checklists.get(ins["id"], [])
        ]
        inspections.append(
            InspectionView(
                id=ins["id"],
                scheduled_date=ins["scheduled_date"],
                scheduled_time=ins["scheduled_time"],
                status=ins["status"],
                rev=ins["rev"],
                inspectors=inspectors,
                checklists=checklists,
            )
        )
    interventions = [
        InterventionOut(
            id=r["id"],
            agency_id=r["agency_id"],
            type=r["type"],
            status=r["status"],
            due_date=r["due_date"],
            description=r["description"]
            if intervention_description_visible(reader, scope, r["agency_id"])
            else "",
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            rev=r["rev"],
            legal_basis=r["legal_basis"]
            if intervention_description_visible(reader, scope, r["agency_id"])
            else "",
            reinspection_date=r["reinspection_date"],
        )
        for r in conn.execute(
            "SELECT * FROM interventions WHERE case_id = ? ORDER BY created_at, id", (case_id,)
        )
    ]
    return CaseView(
        id=case["id"],
        reference=case["reference"],
        status=case["status"],
        subject=subject_of(case),
        reason=_reason_decoder.decode(case["reason"]),
        agencies=sorted(scope.agencies),
        teamlead=_person(teamlead),
        created_at=case["created_at"],
        closed_at=case["closed_at"],
        rev=case["rev"],
        possible_duplicates=duplicates_for(conn, reader, case["possible_duplicates"]),
        inspections=inspections,
        interventions=interventions,
        result=_result_decoder.decode(case["result"]) if case["result"] else None,
        links=[
            CaseLinkOut(
                id=link.id,
                case_id=link.other_id,
                reference=link.other_reference,
                direction="duplicate_of" if link.direction == "duplicate_of" else "duplicated_by",
                linked_at=link.linked_at,
            )
            for link in case_links(conn, reader, case_id)
        ],
    )
