"""The template library in ``schemas/checklists/``: loaded and published at start.

A published ``slug@version`` never changes: a file whose content differs from the stored
version of the same ``slug@version`` stops the start with a message naming it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import msgspec

from server.checklists.model import Template, template_decoder
from server.checklists.validate import TemplateError, decode_template, validate_upgrade
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso

LIBRARY_DIR = Path(__file__).resolve().parent.parent.parent / "schemas" / "checklists"


def load_dir(folder: Path | None = None) -> list[Template]:
    """Decode and validate every ``*.json`` template in ``folder``, ordered by slug and version.

    ``folder`` defaults to :data:`LIBRARY_DIR`, looked up at call time.
    """
    folder = folder or LIBRARY_DIR
    templates: list[Template] = []
    for path in sorted(folder.glob("*.json")):
        template = decode_template(path.read_bytes(), path.name)
        expected = f"{template.slug}-v{template.version}.json"
        if path.name != expected:
            raise TemplateError(f"{path.name}: holds {template.ref}; name the file {expected}")
        templates.append(template)
    templates.sort(key=lambda t: (t.slug, t.version))
    return templates


def _canonical(template: Template) -> bytes:
    return msgspec.json.encode(template)


def publish(conn: sqlite3.Connection, templates: list[Template]) -> list[str]:
    """Store templates not yet published; refuse changed published ones. Returns new refs."""
    added: list[str] = []
    for template in templates:
        body = _canonical(template)
        digest = hashlib.sha256(body).hexdigest()
        row = conn.execute(
            "SELECT body_sha256 FROM templates WHERE slug = ? AND version = ?",
            (template.slug, template.version),
        ).fetchone()
        if row is not None:
            if row[0] != digest:
                raise TemplateError(
                    f"{template.ref} is already published with different content; publish a "
                    f"new version instead of changing it"
                )
            continue
        previous = conn.execute(
            "SELECT body FROM templates WHERE slug = ? AND version < ? ORDER BY version DESC",
            (template.slug, template.version),
        ).fetchone()
        if previous is not None:
            validate_upgrade(template_decoder.decode(previous[0]), template)
        rev = record_change(conn, "template", template.ref)
        conn.execute(
            "INSERT INTO templates (slug, version, agency_kind, title, body, body_sha256,"
            " published_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                template.slug,
                template.version,
                ",".join(template.agency_kinds),
                template.title,
                body.decode(),
                digest,
                now_iso(),
                rev,
            ),
        )
        added.append(template.ref)
    return added


async def publish_library(db: Database, folder: Path | None = None) -> list[str]:
    """Load the library folder and publish what is new (app start)."""
    templates = load_dir(folder)
    return await db.write(lambda c: publish(c, templates))


def get_template(conn: sqlite3.Connection, slug: str, version: int) -> Template | None:
    """A published template, or None."""
    row = conn.execute(
        "SELECT body FROM templates WHERE slug = ? AND version = ?", (slug, version)
    ).fetchone()
    return template_decoder.decode(row[0]) if row is not None else None


def template_refs(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every published template as ``(slug@version, title)``, by slug and version."""
    rows = conn.execute("SELECT slug, version, title FROM templates ORDER BY slug, version")
    return [(f"{r[0]}@{r[1]}", r[2]) for r in rows]
