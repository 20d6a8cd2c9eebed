"""End to end: attach_photo in a push, bytes through tus, the verified state through pull."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.evidence_support import noisy_jpeg, sha256
from tests.integration.test_uploads import TUS, create, patch
from tests.support import login
from tests.sync_support import pull_all, push, seed_world

Client = AsyncTestClient[Litestar]


def attach(seq: int, checklist_id: str, data: bytes) -> dict[str, Any]:
    """An attach_photo op for ``data``."""
    return {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": now_iso(),
        "photo_id": uuid7(),
        "checklist_id": checklist_id,
        "item_key": "foto",
        "sha256": sha256(data),
        "size": len(data),
        "mime": "image/jpeg",
    }


async def test_push_upload_pull_shows_verified(client: Client, app: Litestar, db: Database) -> None:
    world = await seed_world(db)
    anna = await login(client, "anna")
    checklist = world.checklists["gemeente-groningen"]
    data = noisy_jpeg(1200, 900)
    op = attach(1, checklist, data)
    body = (await push(client, anna, [op])).json()
    assert body["results"][0]["status"] == "applied"
    assert body["missing_blobs"] == [sha256(data)]

    headers = {**anna["headers"], **TUS}
    url = (await create(client, headers, op["photo_id"], len(data), sha256(data))).headers[
        "Location"
    ]
    assert (await patch(client, url, headers, 0, data)).status_code == 204
    await app.state.photos.idle()

    records, _ = await pull_all(client, anna)
    photos = [r for r in records if r["kind"] == "photo" and r["id"] == op["photo_id"]]
    assert len(photos) == 1
    assert photos[0]["data"]["state"] == "verified"

    # The same bytes attached again: the agency holds them, so nothing is missing.
    again = attach(2, checklist, data)
    body = (await push(client, anna, [again])).json()
    assert body["missing_blobs"] == []
    assert (
        await client.get(f"/api/v1/photos/{again['photo_id']}/thumb", headers=anna["headers"])
    ).status_code == 200
    # …and it carries the capture time and location read from the original's EXIF.
    exif = await db.read(
        lambda c: c.execute(
            "SELECT id, state, exif_time, exif_geo FROM photos WHERE id IN (?, ?)",
            (op["photo_id"], again["photo_id"]),
        ).fetchall()
    )
    by_id = {row["id"]: row for row in exif}
    assert by_id[op["photo_id"]]["exif_geo"] is not None
    assert by_id[again["photo_id"]]["state"] == "verified"
    assert by_id[again["photo_id"]]["exif_time"] == by_id[op["photo_id"]]["exif_time"]
    assert by_id[again["photo_id"]]["exif_geo"] == by_id[op["photo_id"]]["exif_geo"]
