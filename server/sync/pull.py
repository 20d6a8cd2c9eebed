"""Pull: state-based pages of the change feed, filtered by the visibility projection."""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import msgspec

from server.auth.principal import Principal
from server.cases.scope import duplicates_for, load_case_scopes, reader_of
from server.cases.visibility import (
    CaseScope,
    ChecklistScope,
    Reader,
    attached_visible,
    full_access,
    replicates,
)
from server.db.feed import current_epoch
from server.lib.errors import Gone
from server.sync.cursor import GONE, Cursor, Expansion, decode_cursor, encode_cursor
from server.sync.loaders import load_by_ids, load_latest, load_scoped
from server.sync.progress import checklists_progress, progress_json
from server.sync.protocol import (
    AgencyData,
    AgencyRecord,
    CaseData,
    CaseRecord,
    ChecklistData,
    ChecklistProgress,
    EvictData,
    EvictRecord,
    PullResponse,
    Record,
)
from server.sync.records import Entity, as_record
from server.sync.templates import template_by_hash

MAX_LIMIT = 1000
SCAN_FACTOR = 20  # feed rows scanned per requested record before a page returns early
# What the projection's decision on an entity depends on besides the reader: its case only,
# its checklist, or its item (answers, notes and photos follow their item).
_CASE_LEVEL = frozenset({"case", "inspection", "checklist", "release"})
_CHECKLIST_LEVEL = frozenset({"conflict", "comment"})


@dataclass(slots=True)
class View:
    """One reader's view during one pull: scopes and sensitivities loaded once."""

    conn: sqlite3.Connection
    reader: Reader
    scopes: dict[str, CaseScope | None] = field(default_factory=dict)
    sensitivities: dict[str, dict[str, str]] = field(default_factory=dict)
    progress: dict[str, ChecklistProgress | None] = field(default_factory=dict)
    decided: dict[tuple[str, str | None, str | None, str | None], bool] = field(
        default_factory=dict
    )
    status: dict[str, str | None] = field(default_factory=dict)
    cases: dict[str, str | None] = field(default_factory=dict)  # checklist id -> case id
    case_records: bool = False  # a case record was built (see with_agencies)

    def preload(self, case_ids: set[str]) -> None:
        """Load the scopes of cases not seen yet in this pull."""
        todo = [c for c in case_ids if c not in self.scopes]
        if todo:
            loaded = load_case_scopes(self.conn, todo)
            for case_id in todo:
                self.scopes[case_id] = loaded.get(case_id)

    def preload_status(self, case_ids: Iterable[str]) -> None:
        """Read the current status of cases (None: no such case) in one query."""
        todo = sorted({c for c in case_ids if c not in self.status})
        for start in range(0, len(todo), 500):
            chunk = todo[start : start + 500]
            found = dict(
                self.conn.execute(
                    f"SELECT id, status FROM cases WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
            for case_id in chunk:
                self.status[case_id] = found.get(case_id)

    def preload_progress(self, entities: Iterable[Entity]) -> None:
        """Compute, in one go, the progress of the checklists among ``entities`` that have none
        stored yet (see :meth:`record`)."""
        todo = [
            e.id
            for e in entities
            if isinstance(e.data, ChecklistData)
            and e.data.progress is None
            and e.id not in self.progress
        ]
        if todo:
            found = checklists_progress(self.conn, todo)
            for checklist_id in todo:
                self.progress[checklist_id] = found.get(checklist_id)

    def scope(self, case_id: str) -> CaseScope | None:
        """The scope of a case (loaded on demand)."""
        self.preload({case_id})
        return self.scopes[case_id]

    def _sens(self, checklist_id: str) -> dict[str, str]:
        found = self.sensitivities.get(checklist_id)
        if found is None:
            row = self.conn.execute(
                "SELECT t.slug, t.version, t.body_sha256 FROM checklists c JOIN templates t"
                " ON t.slug = c.template_slug AND t.version = c.template_version WHERE c.id = ?",
                (checklist_id,),
            ).fetchone()
            found = template_by_hash(self.conn, row[0], row[1], row[2]).sensitivities
            self.sensitivities[checklist_id] = found
        return found

    def checklist(self, scope: CaseScope, checklist_id: str) -> ChecklistScope | None:
        """The checklist's scope within its case."""
        for checklist in scope.checklists:
            if checklist.checklist_id == checklist_id:
                return checklist
        return None

    def visible(self, entity: Entity) -> bool:
        """The one projection decides; nothing is re-implemented here.

        Within one pull the scopes and sensitivities stay as loaded, so the decision for one
        case, checklist or item is asked once and remembered (20,000 notes of one checklist
        are a few dozen decisions, not 20,000).
        """
        kind = entity.kind
        if kind == "template":
            return True
        key: tuple[str, str | None, str | None, str | None]
        if kind in _CASE_LEVEL:
            key = ("case", entity.case_id, None, None)
        elif kind in _CHECKLIST_LEVEL:
            key = ("checklist", entity.case_id, entity.checklist_id, None)
        else:
            key = ("item", entity.case_id, entity.checklist_id, entity.item_key)
        found = self.decided.get(key)
        if found is None:
            found = self.decided[key] = self._decide(entity)
        return found

    def visible_item(self, entity: Entity) -> bool:
        """:meth:`visible` of an answer, note or photo (the same decision, asked directly)."""
        key = ("item", entity.case_id, entity.checklist_id, entity.item_key)
        found = self.decided.get(key)
        if found is None:
            found = self.decided[key] = self._decide(entity)
        return found

    def _decide(self, entity: Entity) -> bool:
        scope = self.scope(entity.case_id) if entity.case_id else None
        if scope is None or not replicates(self.reader, scope):
            return False
        if entity.kind in _CASE_LEVEL:
            return True
        checklist = self.checklist(scope, entity.checklist_id or "")
        if checklist is None:
            return False
        if entity.kind in _CHECKLIST_LEVEL:
            return full_access(self.reader, scope, checklist)
        return attached_visible(
            self.reader, scope, checklist, entity.item_key, self._sens(checklist.checklist_id)
        )

    def record(self, entity: Entity) -> Record:
        """The wire record; a case's possible duplicates only as far as the reader is on them."""
        data = entity.data
        if isinstance(data, CaseData):
            self.case_records = True
            raw = bytes(data.possible_duplicates)
            seen = duplicates_for(self.conn, self.reader, raw) if raw != b"[]" else []
            data = msgspec.structs.replace(
                data, possible_duplicates=msgspec.Raw(msgspec.json.encode(seen))
            )
        elif isinstance(data, ChecklistData) and data.progress is None:
            # Not written since progress was introduced: computed now, stored at the next push.
            self.preload_progress([entity])
            found = self.progress[entity.id]
            if found is not None:
                progress = msgspec.Raw(progress_json(found).encode())
                data = msgspec.structs.replace(data, progress=progress)
        return as_record(entity, data)


def _evict_case(row: FeedRow) -> str:
    return row[CASE] or row[ENTITY]


def _evict(row: FeedRow, status: str | None) -> Record:
    """``status``: the case's current status (None when the case is gone)."""
    data = EvictData(
        scope="checklist" if row[CHECKLIST] else "case",
        case_id=_evict_case(row),
        reason="case-closed" if status == "closed" else "access-withdrawn",
        checklist_id=row[CHECKLIST] or msgspec.UNSET,
    )
    return EvictRecord(id=row[ENTITY], rev=row[SEQ], deleted=True, data=data)


def _expand(view: View, exp: Expansion, room: int) -> tuple[list[Record], Expansion | None]:
    release: tuple[str, list[str]] | None = None
    if exp.release_id is not None:
        row = view.conn.execute(
            "SELECT checklist_id FROM releases WHERE id = ?", (exp.release_id,)
        ).fetchone()
        keys = [
            r[0]
            for r in view.conn.execute(
                "SELECT item_key FROM released_items WHERE release_id = ?", (exp.release_id,)
            )
        ]
        if row is None or not keys:
            return [], None
        release = (row[0], keys)
    page = load_scoped(view.conn, exp.case_id, exp.seq, exp.after, room, release=release)
    view.preload_progress(page)
    records = [view.record(e) for e in page if view.visible(e)]
    if len(page) < room:
        return records, None
    return records, Expansion(exp.seq, exp.case_id, exp.release_id, page[-1].rev)


def with_agencies(conn: sqlite3.Connection, records: list[Record]) -> list[Record]:
    """Put an ``agency`` record (id, display name, kind) before every case record, for each agency
    the case names, once per page: a client always holds the names of the agencies on its
    cases. Same ``rev`` as the case record, so a page stays ordered by ``rev``."""
    wanted = sorted({a for r in records if isinstance(r, CaseRecord) for a in r.data.agencies})
    if not wanted:
        return records
    names = {
        row[0]: (row[1], row[2])
        for row in conn.execute(
            f"SELECT id, name, kind FROM agencies WHERE id IN ({','.join('?' * len(wanted))})",
            wanted,
        )
    }
    out: list[Record] = []
    sent: set[str] = set()
    for record in records:
        if isinstance(record, CaseRecord):
            for agency_id in record.data.agencies:
                if agency_id in sent or agency_id not in names:
                    continue
                sent.add(agency_id)
                name, kind = names[agency_id]
                out.append(
                    AgencyRecord(
                        id=agency_id,
                        rev=record.rev,
                        deleted=False,
                        data=AgencyData(id=agency_id, name=name, kind=kind),
                    )
                )
        out.append(record)
    return out


# A batch of the feed: its last seq and its number of rows.
FEED_BATCH = (
    "SELECT max(seq), count(*) FROM (SELECT seq FROM changes WHERE seq > ? ORDER BY seq LIMIT ?)"
)
# The rows of a batch other than answers, notes and photos (see load_latest): shared rows of
# the other kinds, and rows addressed to this reader.
FEED_ROWS = (
    "SELECT seq, kind, entity_id, case_id, checklist_id, user_id FROM changes"
    " WHERE seq > ? AND seq <= ?"
    " AND (user_id IS NULL AND kind NOT IN ('answer', 'note', 'photo') OR user_id = ?)"
    " ORDER BY seq"
)
# A feed row is a plain tuple (no sqlite3.Row: reading it by name costs more than the rest of
# a note's record); these are its positions.
FeedRow = tuple[int, str, str, str | None, str | None, str | None]
SEQ: Final = 0
KIND: Final = 1
ENTITY: Final = 2
CASE: Final = 3
CHECKLIST: Final = 4
USER: Final = 5


def _feed_batch(conn: sqlite3.Connection, after: int, limit: int) -> tuple[int, int]:
    """(last seq, rows) of the next ``limit`` feed rows after ``after``."""
    last, count = conn.execute(FEED_BATCH, (after, limit)).fetchone()
    return (int(last), int(count)) if count else (after, 0)


def _feed_rows(conn: sqlite3.Connection, after: int, upto: int, me: str) -> list[FeedRow]:
    cursor = conn.cursor()
    cursor.row_factory = None
    rows: list[FeedRow] = cursor.execute(FEED_ROWS, (after, upto, me)).fetchall()
    return rows


@dataclass(slots=True)
class _Page:
    """One pull page being filled: the feed position, an expansion in progress, the records."""

    view: View
    me: str
    limit: int
    pos: int
    exp: Expansion | None
    out: list[Record] = field(default_factory=list)
    more: bool = False

    def fill(self) -> None:
        """Walk the feed (and expansions) until the page is full, the feed ends, or enough rows
        were scanned for one page."""
        scanned = 0
        while len(self.out) < self.limit:
            if self.exp is not None:
                records, self.exp = _expand(self.view, self.exp, self.limit - len(self.out))
                self.out.extend(records)
                if self.exp is not None:  # the expansion continues on the next page
                    self.more = True
                    break
                continue
            upto, count = _feed_batch(self.view.conn, self.pos, max(self.limit, 100))
            if not count:
                break
            self._take(upto)
            scanned += count
            if self.exp is None and scanned >= SCAN_FACTOR * self.limit:
                self.more = True
                break
        if len(self.out) >= self.limit:
            self.more = True

    def _take(self, upto: int) -> None:
        """Records of the feed rows after the position up to ``upto``, in feed order; stop at a
        new expansion or a full page."""
        view = self.view
        rows = _feed_rows(view.conn, self.pos, upto, self.me)
        entities = self._load(rows)
        items = load_latest(view.conn, self.pos, upto, view.cases)
        view.preload({case_id for case_id in view.cases.values() if case_id})
        if rows:
            view.preload_progress(
                e for e in entities.values() if e.kind == "checklist" and view.visible(e)
            )
        # The answers, notes and photos between two other rows go as one run.
        revs = [e.rev for e in items] if rows and items else []
        start = 0
        for row in rows:
            end = bisect_left(revs, row[SEQ], lo=start)
            if start < end and self._run(items[start:end]):
                return
            start = end
            self.pos = row[SEQ]
            if row[USER] is None:
                self._shared(row, entities)
            else:
                self._personal(row)
            if self.exp is not None or len(self.out) >= self.limit:
                return
        if not self._run(items[start:] if start else items):
            self.pos = upto

    def _run(self, items: list[Entity]) -> bool:
        """Add the records of the answers, notes and photos the reader may see, as many as fit;
        True when the page is full (the position is then the last one added)."""
        visible = self.view.visible_item
        shown = [e for e in items if visible(e)]
        room = self.limit - len(self.out)
        if len(shown) < room:
            self.out.extend(map(as_record, shown))
            return False
        shown = shown[:room]
        self.out.extend(map(as_record, shown))
        self.pos = shown[-1].rev
        return True

    def _load(self, rows: list[FeedRow]) -> dict[tuple[str, str], Entity]:
        """The current state of the entities the shared rows name, their cases' scopes, and
        the status of the cases this reader's evict rows name."""
        wanted: dict[str, list[str]] = {}
        cases: set[str] = set()
        evicted: list[str] = []
        for row in rows:
            if row[USER] is None:
                wanted.setdefault(row[KIND], []).append(row[ENTITY])
                case_id = row[CASE]
                if case_id:
                    cases.add(case_id)
            elif row[KIND] == "evict":
                evicted.append(_evict_case(row))
        self.view.preload(cases)
        self.view.preload_status(evicted)
        return load_by_ids(self.view.conn, wanted, self.view.cases)

    def _personal(self, row: FeedRow) -> None:
        """A row for this user only: a grant starts an expansion, an evict is a record."""
        if row[KIND] == "grant":
            self.exp = Expansion(row[SEQ], row[ENTITY], None, 0)
        elif row[KIND] == "evict":
            self.out.append(_evict(row, self.view.status[_evict_case(row)]))

    def _shared(self, row: FeedRow, entities: dict[tuple[str, str], Entity]) -> None:
        """The entity's record if this row is its latest change and the reader may see it."""
        entity = entities.get((row[KIND], row[ENTITY]))
        if entity is None or entity.rev != row[SEQ] or not self.view.visible(entity):
            return
        self.out.append(self.view.record(entity))
        if row[KIND] == "release":
            self.exp = self._release_expansion(row[SEQ], entity)

    def _release_expansion(self, seq: int, release: Entity) -> Expansion | None:
        """A reader without full access to the checklist gets the released items' records."""
        if not (release.case_id and release.checklist_id):
            return None
        scope = self.view.scope(release.case_id)
        checklist = self.view.checklist(scope, release.checklist_id) if scope else None
        if scope and checklist and not full_access(self.view.reader, scope, checklist):
            return Expansion(seq, release.case_id, release.id, 0)
        return None


def pull_page(
    conn: sqlite3.Connection, principal: Principal, cursor_text: str | None, limit: int
) -> PullResponse:
    """One page of records for ``principal`` after the cursor (410 if it cannot be honoured)."""
    epoch = current_epoch(conn)
    cursor = decode_cursor(cursor_text, epoch)
    top = conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0]
    if cursor.pos > top:
        raise Gone(GONE, slug="cursor-expired")
    page = _Page(
        View(conn, reader_of(principal)), principal.user_id, limit, cursor.pos, cursor.expansion
    )
    page.fill()
    device = conn.execute(
        "SELECT last_seq FROM devices WHERE id = ?", (principal.device_id,)
    ).fetchone()
    return PullResponse(
        changes=with_agencies(conn, page.out) if page.view.case_records else page.out,
        cursor=encode_cursor(Cursor(cursor.version, epoch, page.pos, page.exp)),
        has_more=page.more,
        last_seq=int(device[0]) if device is not None else 0,
        epoch=epoch,
    )
