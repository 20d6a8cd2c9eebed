"""Per-push state: who writes, and what was already looked up in this push."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from server.auth.principal import Principal
from server.cases.scope import load_case_scope, reader_of
from server.cases.visibility import ChecklistScope, attached_visible, may_write, on_case
from server.db.feed import ChangeRecorder, record_change
from server.lib.errors import Conflict, Forbidden, NotFound
from server.sync.progress import COUNTED_PHOTOS
from server.sync.templates import CachedTemplate, template_by_hash

if TYPE_CHECKING:
    from server.sync.answers import AnswerWrites
    from server.sync.field_ops import NoteWrites

NOT_FOUND = "Deze checklist bestaat niet of u hebt er geen toegang toe."
_photo_counts = msgspec.json.Decoder(dict[str, int])


@dataclass(slots=True)
class ChecklistInfo:
    """One checklist as the op handlers need it."""

    id: str
    case_id: str
    inspection_id: str
    agency_id: str
    status: str
    template: CachedTemplate
    case_closed: bool = False
    returned: bool = False
    progress: str | None = None  # as stored (JSON), None when none is stored yet
    photo_counts: dict[str, int] = field(default_factory=dict)  # photos that count, per item


@dataclass(slots=True)
class PushContext:
    """The caller and the per-push caches (checklists, assignments, blobs).

    A push also batches its answer and note writes (``answers``, ``notes``: decided per op,
    written per push); without them each write goes to the database at once.
    """

    principal: Principal
    device_id: str | None
    epoch: int
    now: str
    change: ChangeRecorder = record_change
    answers: AnswerWrites | None = None
    notes: NoteWrites | None = None
    missing_blobs: list[str] = field(default_factory=list)
    _checklists: dict[str, ChecklistInfo] = field(default_factory=dict)
    _writable: set[str] = field(default_factory=set)
    _inspectors: dict[str, frozenset[str]] = field(default_factory=dict)
    _blobs: dict[str, tuple[int, int] | None] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        """The writing user."""
        return self.principal.user_id

    def checklist(self, conn: sqlite3.Connection, checklist_id: str) -> ChecklistInfo | None:
        """A checklist (cached for the rest of the push), or None."""
        info = self._checklists.get(checklist_id)
        if info is not None:
            return info
        row = conn.execute(
            "SELECT c.id, c.case_id, c.inspection_id, c.agency_id, c.status, c.template_slug,"
            " c.template_version, t.body_sha256, k.status, c.returned_at, c.progress,"
            " (SELECT json_group_object(item_key, n) FROM (SELECT item_key, count(*) AS n"
            f" FROM photos WHERE checklist_id = c.id AND {COUNTED_PHOTOS} GROUP BY item_key))"
            " FROM checklists c JOIN templates t"
            " ON t.slug = c.template_slug AND t.version = c.template_version"
            " JOIN cases k ON k.id = c.case_id WHERE c.id = ?",
            (checklist_id,),
        ).fetchone()
        if row is None:
            return None
        info = ChecklistInfo(
            id=row[0],
            case_id=row[1],
            inspection_id=row[2],
            agency_id=row[3],
            status=row[4],
            template=template_by_hash(conn, row[5], row[6], row[7]),
            case_closed=row[8] == "closed",
            returned=row[9] is not None,
            progress=row[10],
            photo_counts=_photo_counts.decode(row[11]),
        )
        self._checklists[checklist_id] = info
        return info

    def cached(self, checklist_id: str) -> ChecklistInfo | None:
        """The checklist as this push loaded it (None when it did not, or forgot it)."""
        return self._checklists.get(checklist_id)

    def forget(self, checklist_id: str) -> None:
        """Drop a cached checklist after its row changed."""
        self._checklists.pop(checklist_id, None)
        self._writable.discard(checklist_id)

    def inspectors(self, conn: sqlite3.Connection, inspection_id: str) -> frozenset[str]:
        """The users assigned to an inspection (cached for the rest of the push)."""
        known = self._inspectors.get(inspection_id)
        if known is None:
            known = frozenset(
                r[0]
                for r in conn.execute(
                    "SELECT user_id FROM inspection_inspectors WHERE inspection_id = ?",
                    (inspection_id,),
                )
            )
            self._inspectors[inspection_id] = known
        return known

    def writable(self, conn: sqlite3.Connection, checklist_id: str) -> ChecklistInfo:
        """The checklist if the caller may write it (the visibility module's ``may_write``);
        otherwise 404 when they are not on the case, else 403; 409 once the case is closed."""
        info = self.checklist(conn, checklist_id)
        if info is None:
            raise NotFound(NOT_FOUND, slug="checklist-not-found")
        principal = self.principal
        if checklist_id in self._writable:  # may_write already said yes in this push
            allowed = True
        else:
            target = ChecklistScope(
                checklist_id=info.id,
                agency_id=info.agency_id,
                inspectors=self.inspectors(conn, info.inspection_id),
            )
            allowed = may_write(reader_of(principal), target)
            if allowed:
                self._writable.add(checklist_id)
        if allowed:
            if info.case_closed:
                raise Conflict(
                    "Deze zaak is gesloten: wijzigingen worden niet meer aangenomen. Neem "
                    "contact op met de teamleider als er nog iets moet worden vastgelegd.",
                    slug="case-closed",
                )
            return info
        scope = load_case_scope(conn, info.case_id)
        if scope is None or not on_case(reader_of(principal), scope):
            raise NotFound(NOT_FOUND, slug="checklist-not-found")
        raise Forbidden(
            "Alleen een inspecteur van de eigen organisatie die aan deze controle is "
            "toegewezen mag deze checklist invullen.",
            slug="checklist-not-writable",
        )

    def sees_attached(
        self, conn: sqlite3.Connection, checklist_id: str, item_key: str | None
    ) -> bool:
        """True when the caller may see a note or photo of the checklist (the projection)."""
        info = self.checklist(conn, checklist_id)
        scope = load_case_scope(conn, info.case_id) if info is not None else None
        if info is None or scope is None:
            return False
        checklist = next((c for c in scope.checklists if c.checklist_id == checklist_id), None)
        return checklist is not None and attached_visible(
            reader_of(self.principal), scope, checklist, item_key, info.template.sensitivities
        )

    def blob(self, conn: sqlite3.Connection, agency_id: str, sha256: str) -> tuple[int, int] | None:
        """(width, height) when the agency already holds the blob, else None."""
        if sha256 not in self._blobs:
            row = conn.execute(
                "SELECT width, height FROM blobs WHERE agency_id = ? AND sha256 = ?",
                (agency_id, sha256),
            ).fetchone()
            self._blobs[sha256] = (row[0], row[1]) if row is not None else None
        return self._blobs[sha256]


def id_taken(what: str) -> Conflict:
    """The problem for a create whose id already exists (id squatting)."""
    return Conflict(
        f"Het id van deze {what} bestaat al. Maak op het apparaat een nieuw UUIDv7-id aan.",
        slug="id-taken",
    )
