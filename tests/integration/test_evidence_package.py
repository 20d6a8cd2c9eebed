"""The evidence package: own agency's originals, a manifest, the audit excerpt, audited."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from tests.evidence_support import noisy_jpeg, sha256
from tests.support import insert_user
from tests.sync_support import push, quick_session, seed_world

Client = AsyncTestClient[Litestar]


def _attach(seq: int, checklist_id: str, photo_id: str, data: bytes) -> dict[str, Any]:
    return {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:20:00.000+02:00",
        "photo_id": photo_id,
        "checklist_id": checklist_id,
        "item_key": "foto",
        "sha256": sha256(data),
        "size": len(data),
        "mime": "image/jpeg",
        "captured_at": "2026-05-04T09:19:58.000+02:00",
        "geo": {"lat": 53.2194, "lon": 6.5665, "accuracy": 8.0},
    }


async def test_package_holds_own_originals_manifest_and_audit_trail(
    client: Client, db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    bert = await quick_session(db, world.users["bert"])
    tara = await quick_session(db, world.users["tara"])
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    own, police = noisy_jpeg(800, 600, seed=1), noisy_jpeg(800, 600, seed=2)
    own_id, police_id = uuid7(), uuid7()
    await push(client, anna, [_attach(1, gem, own_id, own)])
    await push(client, bert, [_attach(1, pol, police_id, police)])
    for session, photo_id, data in ((anna, own_id, own), (bert, police_id, police)):
        up = await client.post(
            "/api/v1/photos",
            headers=session["headers"],
            data={"photo_id": photo_id, "sha256": sha256(data)},
            files={"file": ("foto.jpg", data, "image/jpeg")},
        )
        assert up.status_code == 201, up.text

    folder = client.app.state.settings.data_dir / "packages"
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "bewijspakket-vergeten.zip"  # left by a download that never happened
    stale.write_bytes(b"oud")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    url = f"/api/v1/cases/{world.case_id}/evidence-package"
    resp = await client.get(url, headers=tara["headers"])
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(resp.content))
    names = set(zf.namelist())
    assert names == {
        "LEESMIJ.txt",
        "manifest.json",
        "audit-trail.jsonl",
        f"originelen/{own_id}.jpg",
    }  # never the police photo
    assert zf.read(f"originelen/{own_id}.jpg") == own
    manifest_bytes = zf.read("manifest.json")
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    assert resp.headers["x-manifest-sha256"] == digest
    assert digest in zf.read("LEESMIJ.txt").decode()
    manifest = msgspec.json.decode(manifest_bytes)
    (photo,) = manifest["photos"]
    assert photo["sha256"] == sha256(own) and photo["size"] == len(own)
    assert photo["capture_time"]["device"] == "2026-05-04T09:19:58.000+02:00"
    assert photo["capture_time"]["exif"]  # noisy_jpeg carries EXIF time and GPS
    assert photo["capture_place"]["device"]["lat"] == 53.2194
    assert photo["capture_place"]["exif"] is not None
    assert photo["uploaded_by"] == "anna" and photo["device"] == anna["device_id"]
    assert photo["verified_at"] and photo["item_label"] == "Foto"
    trail = zf.read("audit-trail.jsonl")
    assert hashlib.sha256(trail).hexdigest() == manifest["audit_trail"]["sha256"]
    events = [msgspec.json.decode(line) for line in trail.splitlines()]
    assert {"photo.verify", "photo.upload"} <= {e["action"] for e in events}
    assert all(len(e["hash"]) == 64 and len(e["prev_hash"]) == 64 for e in events)
    assert police_id not in trail.decode()
    recorded = await db.read(
        lambda c: c.execute(
            "SELECT detail FROM audit_events WHERE action = 'evidence.package'"
        ).fetchone()[0]
    )
    assert msgspec.json.decode(recorded)["manifest_sha256"] == digest
    # the temporary file is gone once sent, and so is the stale one
    assert list(folder.iterdir()) == []


async def test_package_refusals(client: Client, db: Database) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    otto = await quick_session(db, world.users["otto"])
    url = f"/api/v1/cases/{world.case_id}/evidence-package"
    assert (await client.get(url, headers=anna["headers"])).status_code == 403  # inspector
    assert (await client.get(url, headers=otto["headers"])).status_code == 403
    nvwa_lead = await db.write(lambda c: insert_user(c, "nadia", "nvwa", ["teamlead"]))
    nadia = await quick_session(db, nvwa_lead)
    missing = await client.get(url, headers=nadia["headers"])
    assert missing.status_code == 404  # not on the case: as if it did not exist
    count = await db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'evidence.package'"
        ).fetchone()[0]
    )
    assert count == 0
