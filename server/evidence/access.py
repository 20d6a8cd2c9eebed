"""Who may upload a photo's bytes and who may see them. Decisions only; no SQL here."""

from __future__ import annotations

import sqlite3

from server.auth.principal import Principal
from server.cases.scope import load_case_scope, reader_of, template_sensitivities
from server.cases.visibility import ChecklistScope, Reader, attached_visible, may_write
from server.evidence.repository import PhotoTarget


def may_attach(principal: Principal, photo: PhotoTarget) -> bool:
    """The visibility module's ``may_write`` for the photo's checklist."""
    checklist = ChecklistScope(
        checklist_id=photo.checklist_id, agency_id=photo.agency_id, inspectors=photo.inspectors
    )
    return may_write(reader_of(principal), checklist)


def may_view(conn: sqlite3.Connection, principal: Principal, photo: PhotoTarget) -> bool:
    """The visibility projection: a photo follows its item (no item: owner only)."""
    return reader_may_view(conn, reader_of(principal), photo)


def reader_may_view(conn: sqlite3.Connection, reader: Reader, photo: PhotoTarget) -> bool:
    """:func:`may_view` for any reader of the projection (users and partner clients)."""
    case = load_case_scope(conn, photo.case_id)
    if case is None:
        return False
    checklist = next((c for c in case.checklists if c.checklist_id == photo.checklist_id), None)
    if checklist is None:
        return False
    sensitivities = template_sensitivities(conn, photo.template_slug, photo.template_version)
    return attached_visible(reader, case, checklist, photo.item_key, sensitivities)
