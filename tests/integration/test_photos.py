"""Photo downloads through the visibility projection, and the streamed multipart upload."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from typing import Any

import pytest
from litestar import Litestar, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody
from litestar.testing import AsyncTestClient
from PIL import Image

from server.db import Database
from server.db.feed import record_change
from server.evidence import form
from server.evidence.blobstore import write_pieces
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.evidence_support import (
    World,
    gif_bytes,
    insert_photo,
    noisy_jpeg,
    photo_row,
    seed_case,
    sha256,
)
from tests.support import add_user, login

AGENCY = "gemeente-groningen"
Client = AsyncTestClient[Litestar]


async def world_with_photos(db: Database, data: bytes) -> tuple[World, str, str]:
    """A case of the municipality with the police taking part; two photos of ``data``-like
    bytes: one on a shareable item, one without an item (private to the municipality)."""
    for name, agency, roles in (
        ("ines", AGENCY, ["inspector"]),
        ("tara", AGENCY, ["teamlead"]),
        ("paul", "politie", ["teamlead"]),
        ("olga", "politie", ["inspector"]),
    ):
        await add_user(db, name, agency, roles)

    def fn(conn: sqlite3.Connection) -> tuple[World, str, str]:
        world = seed_case(conn, "ines", AGENCY, ("politie",))
        shared = insert_photo(conn, world, data)
        private = insert_photo(conn, world, data[:-2] + b"\xff\xd9", item_key=None)
        return world, shared, private

    return await db.write(fn)


async def form_upload(client: Client, headers: dict[str, str], photo_id: str, data: bytes) -> Any:
    """POST /api/v1/photos as multipart/form-data, fields first."""
    return await client.post(
        "/api/v1/photos",
        headers=headers,
        data={"photo_id": photo_id, "sha256": sha256(data)},
        files={"file": ("foto.jpg", data, "image/jpeg")},
    )


async def test_multipart_upload_stores_and_verifies(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(1600, 1200)
    _, shared, _ = await world_with_photos(db, data)
    ines = (await login(client, "ines"))["headers"]
    resp = await form_upload(client, ines, shared, data)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        "photo_id": shared,
        "sha256": sha256(data),
        "state": "verified",
        "size": len(data),
    }
    assert app.state.photos.store.original(sha256(data)).read_bytes() == data
    assert app.state.photos.bytes_received == len(data)
    photo = await db.read(lambda c: photo_row(c, shared))
    assert photo["state"] == "verified" and photo["exif_time"] is not None


async def test_multipart_upload_writes_and_hashes_off_the_event_loop(
    client: Client, app: Litestar, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's bytes are written and hashed in a thread, every byte once: the event loop
    goes on serving other requests while a large form upload streams in."""
    data = noisy_jpeg(1600, 1200)
    _, shared, _ = await world_with_photos(db, data)
    ines = (await login(client, "ines"))["headers"]
    writes: list[tuple[bool, int]] = []  # (on an event loop, bytes) per write

    def recording(fd: int, pieces: list[bytes], hasher: Any) -> None:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        writes.append((on_loop, sum(len(p) for p in pieces)))
        write_pieces(fd, pieces, hasher)

    monkeypatch.setattr(form, "write_pieces", recording)
    resp = await form_upload(client, ines, shared, data)
    assert resp.status_code == 201, resp.text
    assert resp.json()["state"] == "verified"
    assert writes and not any(on_loop for on_loop, _ in writes)
    assert sum(size for _, size in writes) == len(data)


async def test_multipart_bad_inputs_leave_nothing(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(800, 600)
    world, shared, _ = await world_with_photos(db, data)
    ines = (await login(client, "ines"))["headers"]
    gif = gif_bytes()
    gif_photo = await db.write(lambda c: insert_photo(c, world, gif))
    resp = await form_upload(client, ines, gif_photo, gif)
    assert resp.status_code == 422 and resp.json()["type"] == "/problems/photo-format"

    file_first = await client.post(
        "/api/v1/photos",
        headers={**ines, "Content-Type": "multipart/form-data; boundary=XyZ"},
        content=(
            b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + data + b"\r\n--XyZ\r\n"
            b'Content-Disposition: form-data; name="photo_id"\r\n\r\n'
            + shared.encode()
            + b"\r\n--XyZ--\r\n"
        ),
    )
    assert file_first.status_code == 400
    assert file_first.json()["type"] == "/problems/photo-form"

    olga = (await login(client, "olga"))["headers"]  # police: may not attach this photo
    assert (await form_upload(client, olga, shared, data)).status_code == 404

    not_form = await client.post("/api/v1/photos", headers=ines, content=data)
    assert not_form.status_code == 400

    staging = app.state.settings.upload_dir
    assert list(staging.iterdir()) == []
    assert not any(p.is_file() for p in app.state.settings.blob_dir.rglob("*"))
    assert (await db.read(lambda c: photo_row(c, shared)))["state"] == "expected"


async def test_litestar_own_multipart_still_works_beside_python_multipart() -> None:
    import multipart
    import python_multipart

    # python-multipart ships a `multipart` shim; Litestar needs the other package's parser.
    assert hasattr(multipart, "PushMultipartParser")
    assert hasattr(python_multipart, "MultipartParser")

    @post("/echo", signature_namespace={"UploadFile": UploadFile, "MultipartBody": MultipartBody})
    async def echo(data: MultipartBody[UploadFile]) -> dict[str, Any]:
        content = await data.read()
        return {"name": data.filename, "size": len(content)}

    async with AsyncTestClient(app=Litestar([echo])) as plain:
        resp = await plain.post("/echo", files={"data": ("x.bin", b"\x00" * 3_000_000)})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"name": "x.bin", "size": 3_000_000}


async def test_downloads_follow_the_visibility_projection(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(1600, 1200)
    world, shared, private = await world_with_photos(db, data)
    ines = (await login(client, "ines"))["headers"]
    private_bytes = data[:-2] + b"\xff\xd9"
    for photo_id, blob in ((shared, data), (private, private_bytes)):
        assert (await form_upload(client, ines, photo_id, blob)).status_code == 201

    users = {name: (await login(client, name))["headers"] for name in ("tara", "paul", "olga")}
    await add_user(db, "nina", "nvwa", ["teamlead"])  # not on the case at all
    users["nina"] = (await login(client, "nina"))["headers"]

    async def status(who: dict[str, str], photo_id: str, variant: str) -> int:
        return (await client.get(f"/api/v1/photos/{photo_id}/{variant}", headers=who)).status_code

    for variant in ("thumb", "display", "original"):
        assert await status(ines, shared, variant) == 200
        assert await status(users["tara"], private, variant) == 200  # team lead of the owner
        assert await status(users["paul"], shared, variant) == 404  # shareable, not released
        assert await status(users["paul"], private, variant) == 404
        assert await status(users["nina"], shared, variant) == 404
    assert await status(ines, shared, "raw") == 404
    assert await status(ines, uuid7(), "thumb") == 404

    def release(conn: sqlite3.Connection) -> None:
        tara = conn.execute("SELECT id FROM users WHERE username = 'tara'").fetchone()[0]
        release_id = uuid7()
        conn.execute(
            "INSERT INTO releases (id, checklist_id, item_keys, basis, author_id, op_id,"
            " created_at, rev) VALUES (?, ?, '[\"foto-gevel\"]', 'convenant', ?, ?, ?, ?)",
            (
                release_id,
                world.checklist_id,
                tara,
                uuid7(),
                now_iso(),
                record_change(conn, "release", release_id, case_id=world.case_id),
            ),
        )
        conn.execute(
            "INSERT INTO released_items (checklist_id, item_key, release_id) VALUES (?, ?, ?)",
            (world.checklist_id, "foto-gevel", release_id),
        )

    await db.write(release)
    assert await status(users["paul"], shared, "display") == 200
    assert await status(users["olga"], shared, "thumb") == 404  # not on the case: no inspection
    assert await status(users["paul"], private, "display") == 404  # no item: owner only

    audit = await db.read(
        lambda c: c.execute(
            "SELECT action, result, COUNT(*) FROM audit_events WHERE object_type = 'photo'"
            " AND action LIKE 'photo.view%' GROUP BY action, result"
        ).fetchall()
    )
    counts = {(r[0], r[1]): r[2] for r in audit}
    assert counts[("photo.view_original", "ok")] == 2
    assert counts[("photo.view_original", "denied")] == 3
    assert counts[("photo.view", "ok")] == 5


async def test_download_caching_and_content(client: Client, app: Litestar, db: Database) -> None:
    data = noisy_jpeg(1600, 1200)
    _, shared, _ = await world_with_photos(db, data)
    ines = (await login(client, "ines"))["headers"]
    url = f"/api/v1/photos/{shared}"
    assert (await client.get(f"{url}/thumb", headers=ines)).json()["type"] == (
        "/problems/photo-not-available"
    )
    assert (await form_upload(client, ines, shared, data)).status_code == 201

    original = await client.get(f"{url}/original", headers=ines)
    assert original.status_code == 200
    assert original.content == data
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert original.headers["ETag"] == f'"{sha256(data)}-original"'
    assert original.headers["content-disposition"].startswith("attachment")

    thumb = await client.get(f"{url}/thumb", headers=ines)
    img = Image.open(io.BytesIO(thumb.content))
    assert max(img.size) == 320 and img.height > img.width
    assert len(img.getexif()) == 0 and b"SchouwTest" not in thumb.content
    display = await client.get(f"{url}/display", headers=ines)
    shown = Image.open(io.BytesIO(display.content))
    assert max(shown.size) >= 1200 and len(shown.getexif()) == 0
    # Metadata lives in the segments before the first scan; the compressed image data after
    # it may hold any byte sequence, "GPS" included.
    header = display.content[: display.content.index(b"\xff\xda")]
    assert b"Exif" not in header and b"GPS" not in header

    again = await client.get(
        f"{url}/thumb", headers={**ines, "If-None-Match": thumb.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    other = await client.get(f"{url}/thumb", headers={**ines, "If-None-Match": '"nope"'})
    assert other.status_code == 200


async def test_multipart_larger_than_the_limit_is_413(tmp_path: Any) -> None:
    from server.app import create_app
    from server.settings import Settings

    data = noisy_jpeg(1600, 1200)
    settings = Settings(data_dir=tmp_path / "data", upload_max_size=len(data) // 2)
    app = create_app(settings)
    async with AsyncTestClient(app=app) as small:
        db: Database = app.state.db
        _, shared, _ = await world_with_photos(db, data)
        ines = (await login(small, "ines"))["headers"]
        resp = await form_upload(small, ines, shared, data)
        assert resp.status_code == 413
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert list(settings.upload_dir.iterdir()) == []
        assert (await db.read(lambda c: photo_row(c, shared)))["state"] == "expected"
