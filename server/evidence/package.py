"""The evidence package: one agency's photos of a case, provable, in one ZIP.

For a team lead of agency X on the case (:func:`server.cases.visibility.leads_agency_on_case`):
the originals of X's verified photos byte for byte, a manifest (per photo: sha256, size,
capture time and place with their source, uploader and device, when it was verified) and the
case's audit-trail excerpt with each event's chain hashes. The manifest's own sha256 is
recorded in the audit log (``evidence.package``) in the same transaction that reads the
data, so the package can later be matched against the log. Other agencies' findings are
never in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from server.audit.log import append
from server.auth.principal import Principal
from server.cases.scope import load_case_scope, reader_of
from server.cases.visibility import leads_agency_on_case, on_case
from server.checklists.library import get_template
from server.evidence.blobstore import BlobStore
from server.lib.clock import now_iso
from server.lib.errors import Forbidden, NotFound

_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_pretty = msgspec.json.Encoder(order="sorted")

README = """Bewijspakket {reference} — {agency}

Inhoud
- manifest.json: per foto de sha256, grootte, opnametijd en -plaats met hun bron
  (apparaat of EXIF), wie de foto vanaf welk apparaat heeft aangeleverd en wanneer de
  server de bytes heeft gecontroleerd (verified).
- originelen/: de originele bestanden, byte voor byte zoals ontvangen en gecontroleerd.
  Controleer elk bestand met: sha256sum originelen/*
- audit-trail.jsonl: de auditgebeurtenissen van dit dossier, met per gebeurtenis de hash en
  de hash van de vorige gebeurtenis in de keten van de server.

De sha256 van manifest.json ({manifest_sha256}) staat in het auditlog van Schouw
(actie evidence.package); zo is aan te tonen dat dit pakket ongewijzigd is.
"""


@dataclass(frozen=True, slots=True)
class PackagePlan:
    """What goes into one package (decided and audited on the writer)."""

    case_reference: str
    agency_id: str
    manifest: bytes
    manifest_sha256: str
    audit_lines: bytes
    originals: list[tuple[str, str]]  # (name inside the ZIP, sha256 of the original)


def _not_found(case_id: str) -> NotFound:
    return NotFound(
        f"Dossier {case_id} bestaat niet of u bent er niet bij betrokken.", slug="case-not-found"
    )


def _photos(
    conn: sqlite3.Connection, case_id: str, agency_id: str, store: BlobStore
) -> tuple[list[dict[str, Any]], list[tuple[str, str]], list[str]]:
    rows = conn.execute(
        "SELECT p.*, c.template_slug, c.template_version, u.name AS uploader,"
        " d.label AS device_label, b.sha256 AS held,"
        " (SELECT min(a.at) FROM audit_events a WHERE a.object_id = p.id"
        "   AND a.action = 'photo.verify' AND a.result = 'ok') AS verified_at"
        " FROM photos p JOIN checklists c ON c.id = p.checklist_id"
        " JOIN users u ON u.id = p.author_id LEFT JOIN devices d ON d.id = p.device_id"
        " LEFT JOIN blobs b ON b.agency_id = p.agency_id AND b.sha256 = p.sha256"
        " WHERE c.case_id = ? AND c.agency_id = ? ORDER BY p.created_at, p.id",
        (case_id, agency_id),
    ).fetchall()
    labels: dict[tuple[str, int], dict[str, str]] = {}
    entries: list[dict[str, Any]] = []
    originals: list[tuple[str, str]] = []
    for r in rows:
        key = (r["template_slug"], r["template_version"])
        if key not in labels:
            template = get_template(conn, *key)
            labels[key] = {i.key: i.label for i in template.items()} if template else {}
        available = (
            r["state"] == "verified"
            and r["held"] is not None
            and store.original(r["sha256"]).is_file()
        )
        name = f"originelen/{r['id']}.{_EXT.get(r['mime'], 'bin')}" if available else None
        if name is not None:
            originals.append((name, r["sha256"]))
        verified_at = r["verified_at"]
        if r["state"] == "verified" and verified_at is None:
            # Verified when attached: the agency already held and had checked these bytes.
            verified_at = r["created_at"]
        entries.append(
            {
                "photo_id": r["id"],
                "file": name,
                "sha256": r["sha256"],
                "size": r["size"],
                "mime": r["mime"],
                "width": r["width"],
                "height": r["height"],
                "checklist_id": r["checklist_id"],
                "template": f"{key[0]}@{key[1]}",
                "item_key": r["item_key"],
                "item_label": labels[key].get(r["item_key"] or "", None),
                "capture_time": {"device": r["captured_at"], "exif": r["exif_time"]},
                "capture_place": {
                    "device": msgspec.Raw(r["geo"].encode()) if r["geo"] else None,
                    "exif": msgspec.Raw(r["exif_geo"].encode()) if r["exif_geo"] else None,
                },
                "uploaded_by": r["uploader"],
                "device": r["device_label"] or r["device_id"],
                "registered_at": r["created_at"],
                "state": r["state"],
                "verified_at": verified_at,
                "withdrawn_at": r["withdrawn_at"],
                "withdraw_reason": r["withdraw_reason"],
            }
        )
    return entries, originals, [r["id"] for r in rows]


def _audit_excerpt(conn: sqlite3.Connection, object_ids: list[str]) -> bytes:
    rows = conn.execute(
        "SELECT id, at, actor_type, actor_id, agency_id, role, device_id, action, object_type,"
        " object_id, result, detail, prev_hash, hash FROM audit_events"
        " WHERE object_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (msgspec.json.encode(object_ids).decode(),),
    ).fetchall()
    lines = [_pretty.encode({**dict(r), "detail": msgspec.Raw(r["detail"].encode())}) for r in rows]
    return b"\n".join(lines) + (b"\n" if lines else b"")


def plan_package(
    conn: sqlite3.Connection, principal: Principal, case_id: str, store: BlobStore
) -> PackagePlan:
    """Decide, collect and audit one package (runs on the writer: one consistent snapshot)."""
    scope = load_case_scope(conn, case_id)
    reader = reader_of(principal)
    if scope is None or not on_case(reader, scope):
        raise _not_found(case_id)
    if not leads_agency_on_case(reader, scope, principal.agency_id):
        raise Forbidden(
            "Alleen een teamleider van de eigen organisatie stelt het bewijspakket samen.",
            slug="not-owning-teamlead",
        )
    (reference,) = conn.execute("SELECT reference FROM cases WHERE id = ?", (case_id,)).fetchone()
    photos, originals, photo_ids = _photos(conn, case_id, principal.agency_id, store)
    checklists = [c.checklist_id for c in scope.checklists if c.agency_id == principal.agency_id]
    related = [
        case_id,
        *checklists,
        *photo_ids,
        *(r[0] for r in conn.execute("SELECT id FROM inspections WHERE case_id = ?", (case_id,))),
        *(
            r[0]
            for r in conn.execute(
                "SELECT id FROM interventions WHERE case_id = ? AND agency_id = ?",
                (case_id, principal.agency_id),
            )
        ),
    ]
    audit_lines = _audit_excerpt(conn, related)
    manifest = _pretty.encode(
        {
            "case": {"id": case_id, "reference": reference},
            "agency": principal.agency_id,
            "created_at": now_iso(),
            "created_by": principal.name,
            "photos": photos,
            "audit_trail": {
                "file": "audit-trail.jsonl",
                "sha256": hashlib.sha256(audit_lines).hexdigest(),
                "events": audit_lines.count(b"\n"),
            },
        }
    )
    digest = hashlib.sha256(manifest).hexdigest()
    append(
        conn,
        principal.actor(),
        "evidence.package",
        object_type="case",
        object_id=case_id,
        detail={
            "agency": principal.agency_id,
            "photos": len(photos),
            "originals": len(originals),
            "manifest_sha256": digest,
        },
    )
    return PackagePlan(reference, principal.agency_id, manifest, digest, audit_lines, originals)


STALE_SECONDS = 3600


def _remove_stale(folder: Path) -> None:
    """Packages never downloaded (the server stopped, the page was left) go after an hour."""
    limit = time.time() - STALE_SECONDS
    for old in folder.glob("bewijspakket-*.zip"):
        with contextlib.suppress(FileNotFoundError):
            if old.stat().st_mtime < limit:
                old.unlink()


def write_package(plan: PackagePlan, store: BlobStore, folder: Path) -> Path:
    """Write the ZIP to a temporary file in ``folder`` (blocking: run it in a thread)."""
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    fd, name = tempfile.mkstemp(prefix="bewijspakket-", suffix=".zip", dir=folder)
    os.close(fd)
    path = Path(name)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            readme = README.format(
                reference=plan.case_reference,
                agency=plan.agency_id,
                manifest_sha256=plan.manifest_sha256,
            )
            zf.writestr("LEESMIJ.txt", readme)
            zf.writestr("manifest.json", plan.manifest)
            zf.writestr("audit-trail.jsonl", plan.audit_lines)
            for arcname, sha256 in plan.originals:
                info = zipfile.ZipInfo(arcname)
                info.compress_type = zipfile.ZIP_STORED  # photos do not compress; keep bytes
                with store.original(sha256).open("rb") as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise
    return path
