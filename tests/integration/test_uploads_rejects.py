"""Bad input through tus: each answered with a clear problem+json, nothing left behind."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.evidence_support import (
    gif_bytes,
    huge_png,
    noisy_jpeg,
    photo_row,
    pixel_flood_jpeg,
    sha256,
)
from tests.integration.test_uploads import blob_files, blob_rows, create, patch, setup, staged

Client = AsyncTestClient[Litestar]

BAD = {
    "text-named-jpg": (b"Dit is een boodschappenlijst, geen foto.\n" * 50, "photo-format"),
    "truncated-jpeg": (noisy_jpeg(1200, 900)[:60_000], "photo-truncated"),
    "decompression-bomb": (pixel_flood_jpeg(), "photo-too-many-pixels"),
    "png-30000x30000": (huge_png(), "photo-too-many-pixels"),
    "gif": (gif_bytes(), "photo-format"),
}


@pytest.mark.parametrize("name", sorted(BAD))
async def test_bad_file_is_refused_and_nothing_kept(
    name: str, client: Client, app: Litestar, db: Database
) -> None:
    data, slug = BAD[name]
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    resp = await patch(client, url, headers, 0, data)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["type"] == f"/problems/{slug}"
    assert problem["status"] == 422 and len(problem["detail"]) > 20
    await app.state.photos.idle()
    photo = await db.read(lambda c: photo_row(c, photo_id))
    assert photo["state"] == "rejected"
    assert str(photo["reject_reason"]).startswith(slug)
    assert staged(app) == []
    assert blob_files(app) == []
    assert await blob_rows(db) == []


async def test_zero_byte_file_is_refused_at_creation(
    client: Client, app: Litestar, db: Database
) -> None:
    headers, photo_id = await setup(client, db, b"")
    resp = await create(client, headers, photo_id, 0, sha256(b""))
    assert resp.status_code == 422
    assert resp.json()["type"] == "/problems/photo-empty"
    assert staged(app) == [] and blob_files(app) == [] and await blob_rows(db) == []
    assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]) == 0
