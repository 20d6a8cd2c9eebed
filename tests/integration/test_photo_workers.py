"""Photo worker processes through the real app: a photo that breaks its worker is rejected."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from server.app import create_app
from server.db import Database
from server.settings import Settings
from tests.evidence_support import noisy_jpeg, photo_row, seed_photo, sha256
from tests.integration.test_uploads import TUS, blob_files, create, patch, staged
from tests.support import add_user, login

AGENCY = "gemeente-groningen"
Client = AsyncTestClient[Litestar]


def _flat_rgba_png(side: int) -> bytes:
    """A small file that decodes to side x side x 4 bytes (within the pixel limit)."""
    out = io.BytesIO()
    Image.new("RGBA", (side, side), (40, 90, 160, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def app(tmp_path: Path) -> Litestar:
    """One worker with the smallest address space allowed (128 MiB)."""
    return create_app(
        Settings(data_dir=tmp_path / "data", photo_workers=1, photo_worker_memory=128)
    )


async def _upload(client: Client, headers: dict[str, str], photo_id: str, data: bytes) -> None:
    resp = await create(client, headers, photo_id, len(data), sha256(data))
    assert resp.status_code == 201, resp.text
    resp = await patch(client, resp.headers["Location"], headers, 0, data)
    assert resp.status_code == 204, resp.text


async def test_photo_beyond_the_worker_memory_limit_is_rejected_and_the_next_one_verified(
    client: Client, app: Litestar, db: Database
) -> None:
    await add_user(db, "ines", AGENCY, ["inspector"])
    headers = {**(await login(client, "ines"))["headers"], **TUS}
    heavy = _flat_rgba_png(5000)  # 25 MP: passes the checks, needs > 128 MiB to decode
    _, heavy_id = await seed_photo(db, "ines", AGENCY, heavy)
    await _upload(client, headers, heavy_id, heavy)
    await app.state.photos.idle()

    photo = await db.read(lambda c: photo_row(c, heavy_id))
    assert photo["state"] == "rejected"
    assert str(photo["reject_reason"]).startswith("photo-unprocessable: ")

    def audit(conn: sqlite3.Connection) -> list[tuple[str, str]]:
        rows = conn.execute(
            "SELECT action, result FROM audit_events WHERE object_id = ? ORDER BY id", (heavy_id,)
        )
        return [(row[0], row[1]) for row in rows]

    assert ("photo.verify", "rejected") in await db.read(audit)
    assert app.state.photos.pool.lost == 2  # the first attempt and the one retry
    assert staged(app) == [] and blob_files(app) == []

    assert (await client.get("/health")).status_code == 200
    good = noisy_jpeg(800, 600)
    _, good_id = await seed_photo(db, "ines", AGENCY, good)
    await _upload(client, headers, good_id, good)
    await app.state.photos.idle()
    assert (await db.read(lambda c: photo_row(c, good_id)))["state"] == "verified"
    assert app.state.photos.store.complete(sha256(good))
