"""Parsed templates cached per content hash (published templates never change)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from server.checklists.model import Item, Template, template_decoder


@dataclass(frozen=True, slots=True)
class CachedTemplate:
    """A template with its item map and sensitivities, ready for per-op checks."""

    template: Template
    items: dict[str, Item]
    sensitivities: dict[str, str]


_cache: dict[str, CachedTemplate] = {}


def _parse(body: str | bytes) -> CachedTemplate:
    template = template_decoder.decode(body)
    items = template.item_map()
    return CachedTemplate(
        template=template,
        items=items,
        sensitivities={key: item.sensitivity for key, item in items.items()},
    )


def template_by_hash(
    conn: sqlite3.Connection, slug: str, version: int, digest: str
) -> CachedTemplate:
    """The parsed template whose stored ``body_sha256`` is ``digest``."""
    cached = _cache.get(digest)
    if cached is None:
        row = conn.execute(
            "SELECT body FROM templates WHERE slug = ? AND version = ?", (slug, version)
        ).fetchone()
        cached = _parse(row[0])
        _cache[digest] = cached
    return cached


def template_by_ref(conn: sqlite3.Connection, slug: str, version: int) -> CachedTemplate | None:
    """The parsed published template ``slug@version``, or None."""
    row = conn.execute(
        "SELECT body_sha256 FROM templates WHERE slug = ? AND version = ?", (slug, version)
    ).fetchone()
    if row is None:
        return None
    return template_by_hash(conn, slug, version, row[0])
