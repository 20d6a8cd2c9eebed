"""SQL of the evidence domain: photos' upload state, tus uploads and per-agency blobs.

Plain synchronous functions on a connection, run inside ``db.write``/``db.read`` units.
Every photo state change takes a change-feed row whose ``server_seq`` becomes the ``rev``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from server.db.feed import record_change
from server.evidence.states import may_move
from server.lib.clock import now_iso


@dataclass(frozen=True, slots=True)
class PhotoTarget:
    """A photo with what authorization needs to know about its checklist."""

    photo_id: str
    checklist_id: str
    case_id: str
    agency_id: str
    item_key: str | None
    sha256: str
    size: int
    mime: str
    state: str
    inspectors: frozenset[str]
    template_slug: str
    template_version: int


@dataclass(frozen=True, slots=True)
class Upload:
    """One tus upload resource."""

    id: str
    photo_id: str
    sha256: str
    length: int
    offset: int
    agency_id: str
    user_id: str
    device_id: str | None
    state: str
    error: str | None
    expires_at: str


def load_photo(conn: sqlite3.Connection, photo_id: str) -> PhotoTarget | None:
    """The photo and its checklist, or None."""
    row = conn.execute(
        "SELECT p.id, p.checklist_id, c.case_id, p.agency_id, p.item_key, p.sha256, p.size,"
        " p.mime, p.state, c.inspection_id, c.template_slug, c.template_version"
        " FROM photos p JOIN checklists c ON c.id = p.checklist_id WHERE p.id = ?",
        (photo_id,),
    ).fetchone()
    if row is None:
        return None
    inspectors = frozenset(
        r[0]
        for r in conn.execute(
            "SELECT user_id FROM inspection_inspectors WHERE inspection_id = ?",
            (row["inspection_id"],),
        )
    )
    return PhotoTarget(
        photo_id=row["id"],
        checklist_id=row["checklist_id"],
        case_id=row["case_id"],
        agency_id=row["agency_id"],
        item_key=row["item_key"],
        sha256=row["sha256"],
        size=row["size"],
        mime=row["mime"],
        state=row["state"],
        inspectors=inspectors,
        template_slug=row["template_slug"],
        template_version=row["template_version"],
    )


# The only column names that are ever put into the SQL text of an UPDATE below; values are
# always bound as parameters.
PHOTO_COLUMNS = frozenset(
    {"state", "rev", "mime", "width", "height", "exif_time", "exif_geo", "reject_reason"}
)
UPLOAD_COLUMNS = frozenset({"offset", "state", "error", "expires_at"})


def _assignments(columns: Iterable[str], allowed: frozenset[str]) -> str:
    """``name = :name, …`` for column names on the allow-list; ValueError for any other."""
    names = list(columns)
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise ValueError(f"not an updatable column: {', '.join(unknown)}")
    return ", ".join(f"{name} = :{name}" for name in names)


def set_photo_state(conn: sqlite3.Connection, photo_id: str, state: str, **columns: Any) -> bool:
    """Move a photo to ``state`` if the state table allows it from its current state.

    ``columns`` are extra photo columns to set (width, height, exif_time, reject_reason…; see
    :data:`PHOTO_COLUMNS`). The change is recorded in the change feed. Returns False (and
    changes nothing) when the photo does not exist or may not move to ``state``
    (:mod:`server.evidence.states`).
    """
    # Refuse an unknown column before anything changes; state and rev are set here only.
    _assignments(columns, PHOTO_COLUMNS - {"state", "rev"})
    row = conn.execute(
        "SELECT p.state, p.checklist_id, c.case_id FROM photos p"
        " JOIN checklists c ON c.id = p.checklist_id WHERE p.id = ?",
        (photo_id,),
    ).fetchone()
    if row is None or not may_move(row["state"], state):
        return False
    rev = record_change(
        conn, "photo", photo_id, case_id=row["case_id"], checklist_id=row["checklist_id"]
    )
    sets: dict[str, Any] = {"state": state, "rev": rev, **columns}
    if state != "rejected":
        sets.setdefault("reject_reason", None)
    assignments = _assignments(sets, PHOTO_COLUMNS)
    conn.execute(
        f"UPDATE photos SET {assignments} WHERE id = :photo_id", {**sets, "photo_id": photo_id}
    )
    return True


def agency_blob(conn: sqlite3.Connection, agency_id: str, sha256: str) -> sqlite3.Row | None:
    """The agency's ``blobs`` row for this hash, or None (never looks at other agencies)."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT sha256, size, mime, width, height FROM blobs WHERE agency_id = ? AND sha256 = ?",
        (agency_id, sha256),
    ).fetchone()
    return row


def insert_blob(
    conn: sqlite3.Connection,
    agency_id: str,
    sha256: str,
    *,
    size: int,
    mime: str,
    width: int,
    height: int,
) -> None:
    """Record that ``agency_id`` holds these bytes (idempotent)."""
    conn.execute(
        "INSERT OR IGNORE INTO blobs (agency_id, sha256, size, mime, width, height, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (agency_id, sha256, size, mime, width, height, now_iso()),
    )


def verify_from_blob(conn: sqlite3.Connection, photo_id: str) -> bool:
    """Mark a photo verified because its agency already holds the bytes.

    Size and EXIF facts are copied from the agency's own blob row and from an earlier
    verified photo of the same agency and hash. Returns False when the agency holds no such
    blob or the photo is verified already.
    """
    photo = conn.execute(
        "SELECT agency_id, sha256 FROM photos WHERE id = ?", (photo_id,)
    ).fetchone()
    if photo is None:
        return False
    blob = agency_blob(conn, photo["agency_id"], photo["sha256"])
    if blob is None:
        return False
    twin = conn.execute(
        "SELECT exif_time, exif_geo FROM photos WHERE agency_id = ? AND sha256 = ?"
        " AND state = 'verified' AND id != ? LIMIT 1",
        (photo["agency_id"], photo["sha256"], photo_id),
    ).fetchone()
    return set_photo_state(
        conn,
        photo_id,
        "verified",
        width=blob["width"],
        height=blob["height"],
        exif_time=twin["exif_time"] if twin else None,
        exif_geo=twin["exif_geo"] if twin else None,
    )


def reject_reason(conn: sqlite3.Connection, photo_id: str) -> str:
    """Why a photo was rejected (``slug: detail``), or an empty string."""
    row = conn.execute("SELECT reject_reason FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return str(row[0]) if row is not None and row[0] else ""


def encode_geo(geo: dict[str, float] | None) -> str | None:
    """A location as the JSON text stored in ``photos.exif_geo``."""
    return None if geo is None else msgspec.json.encode(geo).decode()


_UPLOAD_COLUMNS = (
    "id, photo_id, sha256, length, offset, agency_id, user_id, device_id, state, error, expires_at"
)


def get_upload(conn: sqlite3.Connection, upload_id: str) -> Upload | None:
    """One upload row, or None."""
    row = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE id = ?", (upload_id,)
    ).fetchone()
    return None if row is None else Upload(**dict(row))


def insert_upload(conn: sqlite3.Connection, upload: Upload, metadata: dict[str, str]) -> None:
    """Create an upload row."""
    conn.execute(
        "INSERT INTO uploads (id, photo_id, sha256, length, offset, agency_id, user_id,"
        " device_id, metadata, state, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            upload.id,
            upload.photo_id,
            upload.sha256,
            upload.length,
            upload.offset,
            upload.agency_id,
            upload.user_id,
            upload.device_id,
            msgspec.json.encode(metadata).decode(),
            upload.state,
            now_iso(),
            upload.expires_at,
        ),
    )


def update_upload(conn: sqlite3.Connection, upload_id: str, **columns: Any) -> None:
    """Set columns of an upload row (offset, state, error, expires_at)."""
    assignments = _assignments(columns, UPLOAD_COLUMNS)
    conn.execute(f"UPDATE uploads SET {assignments} WHERE id = :id", {**columns, "id": upload_id})


def delete_upload(conn: sqlite3.Connection, upload_id: str) -> None:
    """Forget an upload row."""
    conn.execute("DELETE FROM uploads WHERE id = ?", (upload_id,))


def expired_uploads(conn: sqlite3.Connection, now: str, limit: int = 500) -> list[Upload]:
    """Uploads past their expiry that are not being processed (oldest first, paged)."""
    rows = conn.execute(
        f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE expires_at < ? AND state != 'processing'"
        " ORDER BY expires_at LIMIT ?",
        (now, limit),
    ).fetchall()
    return [Upload(**dict(r)) for r in rows]


def processing_uploads(conn: sqlite3.Connection) -> list[str]:
    """Uploads whose bytes are complete and whose processing has not finished."""
    return [r[0] for r in conn.execute("SELECT id FROM uploads WHERE state = 'processing'")]
