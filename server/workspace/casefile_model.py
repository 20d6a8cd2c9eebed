"""The case file as the workspace shows it, built from the case view and the timeline.

Everything comes through :func:`server.cases.view.case_view` and
:func:`server.cases.timeline.case_timeline` (the projection); this module only arranges it:
answers in template order under their section headings, deviations marked, names for ids.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from server.cases import lookups
from server.cases.lifecycle import TRANSITIONS
from server.cases.schemas import CaseView, ChecklistView, NoteOut, PhotoOut
from server.cases.timeline import Entry, case_timeline
from server.cases.view import case_view
from server.cases.visibility import Reader
from server.checklists.library import get_template
from server.checklists.model import Item, Template
from server.workspace.values import show_value


@dataclass(slots=True)
class Row:
    """One item of a checklist as shown."""

    item: Item
    value: str
    answered: bool
    deviation: bool
    amended: bool
    author: str
    notes: list[NoteOut] = field(default_factory=list)
    photos: list[PhotoOut] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    """A section heading and its visible rows."""

    title: str
    rows: list[Row]


@dataclass(slots=True)
class ChecklistPage:
    """One agency's checklist: metadata always, content as far as the projection allows."""

    view: ChecklistView
    template: Template
    sections: list[Section]
    loose_notes: list[NoteOut]
    loose_photos: list[PhotoOut]
    deviations: int


@dataclass(slots=True)
class CaseFile:
    """Everything the Dossier page needs."""

    view: CaseView
    checklists: dict[str, ChecklistPage]  # by checklist id
    timeline: list[Entry]
    names: dict[str, str]
    transitions: list[str]


def _rows(view: ChecklistView, template: Template, names: dict[str, str]) -> ChecklistPage:
    notes: dict[str | None, list[NoteOut]] = {}
    for note in view.notes:
        notes.setdefault(note.item_key, []).append(note)
    photos: dict[str | None, list[PhotoOut]] = {}
    for photo in view.photos:
        photos.setdefault(photo.item_key, []).append(photo)
    sections: list[Section] = []
    deviations = 0
    for section in template.sections:
        rows: list[Row] = []
        for item in section.items:
            answer = view.answers.get(item.key)
            item_notes, item_photos = notes.get(item.key, []), photos.get(item.key, [])
            if not view.full_access and answer is None and not item_notes and not item_photos:
                continue  # another agency's item that was not released
            value = answer.value if answer is not None else None
            deviation = answer is not None and item.is_deviation(value)
            deviations += deviation
            rows.append(
                Row(
                    item=item,
                    value=show_value(item, value),
                    answered=value is not None,
                    deviation=deviation,
                    amended=bool(answer and answer.amended),
                    author=names.get(answer.author_id, "") if answer else "",
                    notes=item_notes,
                    photos=item_photos,
                )
            )
        if rows:
            sections.append(Section(section.title, rows))
    return ChecklistPage(
        view, template, sections, notes.get(None, []), photos.get(None, []), deviations
    )


def load_case_file(conn: sqlite3.Connection, reader: Reader, case_id: str) -> CaseFile | None:
    """The case file for ``reader``, or None when the reader is not on the case (404)."""
    view = case_view(conn, reader, case_id)
    if view is None:
        return None
    timeline = case_timeline(conn, reader, case_id) or []
    people: set[str] = set()
    templates: dict[str, Template] = {}
    for inspection in view.inspections:
        for checklist in inspection.checklists:
            people |= {a.author_id for a in checklist.answers.values()}
            people |= {n.author_id for n in checklist.notes}
            people |= {p.author_id for p in checklist.photos if p.author_id}
            if checklist.template not in templates:
                slug, _, version = checklist.template.partition("@")
                found = get_template(conn, slug, int(version))
                if found is None:  # guarded by the checklists' foreign key
                    raise LookupError(checklist.template)
                templates[checklist.template] = found
    names = {uid: row["name"] for uid, row in lookups.load_users(conn, people).items()}
    pages = {
        c.id: _rows(c, templates[c.template], names)
        for inspection in view.inspections
        for c in inspection.checklists
    }
    items = {cid: p.template.item_map() for cid, p in pages.items()}
    for entry in timeline:  # values as the team lead reads them (option labels, units)
        item_map = items.get(entry.checklist_id or "")
        if entry.has_value and item_map is not None and entry.item_key is not None:
            entry.value = show_value(item_map.get(entry.item_key), entry.value)
    transitions = sorted(TRANSITIONS.get(view.status, frozenset()) - {"closed"})
    return CaseFile(view, pages, timeline, names, transitions)


def context(file: CaseFile) -> dict[str, Any]:
    """Template variables of the Dossier page."""
    return {"file": file, "view": file.view}
