"""tus 1.0.0 uploads through the real app: offsets, checksums, completion and clean-up."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from email.utils import parsedate_to_datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.evidence.janitor import sweep
from tests.evidence_support import (
    insert_photo,
    noisy_jpeg,
    photo_row,
    seed_photo,
    sha256,
)
from tests.support import add_user, login

AGENCY = "gemeente-groningen"
TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}
Client = AsyncTestClient[Litestar]


def meta(photo_id: str, digest: str) -> str:
    """Upload-Metadata for a photo."""
    enc = [base64.b64encode(v.encode()).decode() for v in (photo_id, digest)]
    return f"photo_id {enc[0]},sha256 {enc[1]}"


async def setup(
    client: Client, db: Database, data: bytes, username: str = "ines", **kwargs: Any
) -> tuple[dict[str, str], str]:
    """An inspector with one expected photo of ``data``; returns tus headers and photo id."""
    await add_user(db, username, AGENCY, ["inspector"])
    _, photo_id = await seed_photo(db, username, AGENCY, data, **kwargs)
    auth = await login(client, username)
    return {**auth["headers"], **TUS}, photo_id


async def create(
    client: Client, headers: dict[str, str], photo_id: str, length: int, digest: str
) -> Any:
    """POST a tus creation request."""
    return await client.post(
        "/api/v1/uploads",
        headers={
            **headers,
            "Upload-Length": str(length),
            "Upload-Metadata": meta(photo_id, digest),
        },
    )


async def patch(
    client: Client, url: str, headers: dict[str, str], offset: int, chunk: bytes, **extra: str
) -> Any:
    """PATCH one chunk at ``offset``."""
    return await client.patch(
        url, content=chunk, headers={**headers, **OCTETS, "Upload-Offset": str(offset), **extra}
    )


def checksum(alg: str, chunk: bytes) -> str:
    """An Upload-Checksum header value."""
    return f"{alg} {base64.b64encode(hashlib.new(alg, chunk).digest()).decode()}"


def staged(app: Litestar) -> list[str]:
    """Names of files in the upload staging directory."""
    return sorted(p.name for p in app.state.settings.upload_dir.iterdir())


def blob_files(app: Litestar) -> list[str]:
    """Every file in the blob store."""
    root = app.state.settings.blob_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def blob_rows(db: Database) -> list[tuple[str, str]]:
    """(agency, sha256) of every blobs row."""
    rows = await db.read(lambda c: c.execute("SELECT agency_id, sha256 FROM blobs").fetchall())
    return [(r[0], r[1]) for r in rows]


async def test_options_advertises_the_server(client: Client, app: Litestar) -> None:
    resp = await client.options("/api/v1/uploads")
    assert resp.status_code == 204
    assert resp.headers["Tus-Version"] == "1.0.0"
    assert resp.headers["Tus-Resumable"] == "1.0.0"
    assert set(resp.headers["Tus-Extension"].split(",")) == {
        "creation",
        "checksum",
        "expiration",
        "termination",
    }
    assert resp.headers["Tus-Max-Size"] == str(app.state.settings.upload_max_size)
    assert set(resp.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha1", "sha256"}


async def test_chunked_upload_verifies_the_photo(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(1600, 1200)
    headers, photo_id = await setup(client, db, data)
    resp = await create(client, headers, photo_id, len(data), sha256(data))
    assert resp.status_code == 201, resp.text
    url = resp.headers["Location"]
    assert url.startswith("/api/v1/uploads/")
    assert parsedate_to_datetime(resp.headers["Upload-Expires"]).tzinfo is not None
    head = await client.head(url, headers=headers)
    assert head.status_code == 200
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("0", str(len(data)))
    assert head.headers["Cache-Control"] == "no-store"

    cut = len(data) // 3
    first = await patch(
        client, url, headers, 0, data[:cut], **{"Upload-Checksum": checksum("sha256", data[:cut])}
    )
    assert first.status_code == 204, first.text
    assert first.headers["Upload-Offset"] == str(cut)
    assert (await db.read(lambda c: photo_row(c, photo_id)))["state"] == "uploading"
    head = await client.head(url, headers=headers)
    assert head.headers["Upload-Offset"] == str(cut)

    last = await patch(
        client, url, headers, cut, data[cut:], **{"Upload-Checksum": checksum("sha1", data[cut:])}
    )
    assert last.status_code == 204, last.text
    assert last.headers["Upload-Offset"] == str(len(data))
    await app.state.photos.idle()

    photo = await db.read(lambda c: photo_row(c, photo_id))
    assert photo["state"] == "verified"
    assert (photo["width"], photo["height"]) == (1200, 1600)  # EXIF orientation 6
    assert photo["exif_time"] == "2026-05-04T09:12:03+02:00"
    assert '"lat":53.21' in str(photo["exif_geo"])
    store = app.state.photos.store
    assert store.original(sha256(data)).read_bytes() == data
    assert store.complete(sha256(data))
    assert await blob_rows(db) == [(AGENCY, sha256(data))]
    assert staged(app) == []
    states = await db.read(
        lambda c: c.execute(
            "SELECT COUNT(*) FROM changes WHERE kind = 'photo' AND entity_id = ?", (photo_id,)
        ).fetchone()[0]
    )
    assert states == 4  # expected, uploading, received, verified: each a change-feed row
    assert app.state.photos.bytes_received == len(data)


async def test_wrong_offset_is_409(client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    resp = await patch(client, url, headers, 100, data[100:200])
    assert resp.status_code == 409
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["type"] == "/problems/upload-offset-mismatch"
    assert resp.headers["Upload-Offset"] == "0"


async def test_numbers_in_tus_headers_are_ascii_digits_only(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)

    def raw(**extra: bytes) -> list[tuple[bytes, bytes]]:
        """Header bytes as sent: a header value need not be ASCII on the wire."""
        out = [(k.encode(), v.encode()) for k, v in headers.items()]
        return out + [(k.replace("_", "-").encode(), v) for k, v in extra.items()]

    metadata = meta(photo_id, sha256(data)).encode()
    for length in ("²".encode(), "٣٠٠".encode(), b"-1", b"99999999999999999999999"):
        resp = await client.post(
            "/api/v1/uploads", headers=raw(Upload_Length=length, Upload_Metadata=metadata)
        )
        assert resp.status_code == 400, (length, resp.text)
        assert resp.json()["type"] == "/problems/tus-header"
    assert staged(app) == []
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    for offset in ("¹".encode(), "\uff10".encode(), b"99999999999999999999999"):
        resp = await client.patch(
            url,
            content=data,
            headers=raw(Content_Type=OCTETS["Content-Type"].encode(), Upload_Offset=offset),
        )
        assert resp.status_code == 400, (offset, resp.text)
        assert resp.json()["type"] == "/problems/tus-header"
    head = await client.head(url, headers=headers)
    assert head.headers["Upload-Offset"] == "0"
    done = await patch(client, url, headers, 0, data)
    assert done.status_code == 204, done.text


async def test_tus_version_is_required(client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    bare = {k: v for k, v in headers.items() if k != "Tus-Resumable"}
    resp = await client.post(
        "/api/v1/uploads",
        headers={
            **bare,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta(photo_id, sha256(data)),
        },
    )
    assert resp.status_code == 412
    assert resp.headers["Tus-Version"] == "1.0.0"
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    old = await patch(client, url, {**bare, "Tus-Resumable": "0.2.2"}, 0, data)
    assert old.status_code == 412
    assert old.json()["type"] == "/problems/tus-version"


async def test_patch_needs_offset_octet_stream(client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    resp = await client.patch(
        url, content=data, headers={**headers, "Upload-Offset": "0", "Content-Type": "image/jpeg"}
    )
    assert resp.status_code == 415


async def test_bad_chunk_checksum_is_460_and_the_chunk_discarded(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(800, 600)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    bad = await patch(
        client, url, headers, 0, data[:5000], **{"Upload-Checksum": checksum("sha1", b"other")}
    )
    assert bad.status_code == 460
    assert bad.json()["type"] == "/problems/checksum-mismatch"
    assert (await client.head(url, headers=headers)).headers["Upload-Offset"] == "0"
    upload_id = url.rsplit("/", 1)[1]
    assert app.state.photos.staging_path(upload_id).stat().st_size == 0
    unknown = await patch(client, url, headers, 0, data[:5000], **{"Upload-Checksum": "md5 AAAA"})
    assert unknown.status_code == 400
    good = await patch(
        client, url, headers, 0, data[:5000], **{"Upload-Checksum": checksum("sha1", data[:5000])}
    )
    assert good.status_code == 204
    assert good.headers["Upload-Offset"] == "5000"


async def test_wrong_whole_file_hash_is_discarded_and_explained(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(800, 600)
    claimed = sha256(b"what the phone hashed")
    headers, photo_id = await setup(client, db, data, digest=claimed)
    url = (await create(client, headers, photo_id, len(data), claimed)).headers["Location"]
    resp = await patch(client, url, headers, 0, data)
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["type"] == "/problems/photo-hash-mismatch"
    assert "sha256" in problem["detail"]
    photo = await db.read(lambda c: photo_row(c, photo_id))
    assert photo["state"] == "rejected"
    assert str(photo["reject_reason"]).startswith("photo-hash-mismatch")
    assert staged(app) == [] and blob_files(app) == [] and await blob_rows(db) == []
    assert (await client.head(url, headers=headers)).status_code == 410


async def test_expired_upload_is_gone_and_swept(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(800, 600)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    assert (await patch(client, url, headers, 0, data[:1000])).status_code == 204
    upload_id = url.rsplit("/", 1)[1]
    await db.write(
        lambda c: c.execute(
            "UPDATE uploads SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", (upload_id,)
        )
    )
    assert (await client.head(url, headers=headers)).status_code == 410
    resp = await patch(client, url, headers, 1000, data[1000:2000])
    assert resp.status_code == 410
    assert resp.json()["type"] == "/problems/upload-expired"
    assert await sweep(app.state.uploads) == 1
    assert (await client.head(url, headers=headers)).status_code == 404
    assert staged(app) == []
    assert (await db.read(lambda c: photo_row(c, photo_id)))["state"] == "expected"


async def test_delete_terminates_the_upload(client: Client, app: Litestar, db: Database) -> None:
    data = noisy_jpeg(800, 600)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    assert (await patch(client, url, headers, 0, data[:1000])).status_code == 204
    resp = await client.delete(url, headers=headers)
    assert resp.status_code == 204
    assert (await client.head(url, headers=headers)).status_code == 404
    assert staged(app) == []
    assert (await db.read(lambda c: photo_row(c, photo_id)))["state"] == "expected"


async def test_blob_the_agency_holds_completes_without_bytes(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(800, 600)
    headers, first = await setup(client, db, data)
    url = (await create(client, headers, first, len(data), sha256(data))).headers["Location"]
    assert (await patch(client, url, headers, 0, data)).status_code == 204
    await app.state.photos.idle()
    received = app.state.photos.bytes_received

    def second_photo(conn: sqlite3.Connection) -> str:
        checklist = conn.execute(
            "SELECT checklist_id FROM photos WHERE id = ?", (first,)
        ).fetchone()[0]
        world = _world_of(conn, checklist)
        return insert_photo(conn, world, data)

    second = await db.write(second_photo)
    resp = await create(client, headers, second, len(data), sha256(data))
    assert resp.status_code == 201
    assert resp.headers["Upload-Offset"] == str(len(data))
    assert (await client.head(resp.headers["Location"], headers=headers)).headers[
        "Upload-Offset"
    ] == str(len(data))
    again = await patch(client, resp.headers["Location"], headers, 0, b"")
    assert again.status_code == 204 and again.headers["Upload-Offset"] == str(len(data))
    photo = await db.read(lambda c: photo_row(c, second))
    assert photo["state"] == "verified"
    assert photo["exif_time"] == "2026-05-04T09:12:03+02:00"
    assert app.state.photos.bytes_received == received
    assert staged(app) == []


def _world_of(conn: sqlite3.Connection, checklist_id: str) -> Any:
    from tests.evidence_support import World

    row = conn.execute(
        "SELECT c.case_id, c.inspection_id, c.agency_id, ii.user_id FROM checklists c"
        " JOIN inspection_inspectors ii ON ii.inspection_id = c.inspection_id WHERE c.id = ?",
        (checklist_id,),
    ).fetchone()
    return World(row[0], row[1], checklist_id, row[2], row[3])


async def test_dedup_never_crosses_agencies(client: Client, app: Litestar, db: Database) -> None:
    data = noisy_jpeg(800, 600)
    headers, ours = await setup(client, db, data)
    url = (await create(client, headers, ours, len(data), sha256(data))).headers["Location"]
    assert (await patch(client, url, headers, 0, data)).status_code == 204
    await app.state.photos.idle()

    await add_user(db, "pieter", "politie", ["inspector"])
    _, theirs = await seed_photo(db, "pieter", "politie", data)
    other = {**(await login(client, "pieter"))["headers"], **TUS}
    resp = await create(client, other, theirs, len(data), sha256(data))
    assert resp.status_code == 201
    assert resp.headers["Upload-Offset"] == "0"  # the police must send every byte
    assert (await db.read(lambda c: photo_row(c, theirs)))["state"] == "expected"
    assert (await patch(client, resp.headers["Location"], other, 0, data)).status_code == 204
    await app.state.photos.idle()
    assert (await db.read(lambda c: photo_row(c, theirs)))["state"] == "verified"
    assert sorted(await blob_rows(db)) == [(AGENCY, sha256(data)), ("politie", sha256(data))]


async def test_only_the_uploader_may_touch_an_upload(client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    await add_user(db, "otto", AGENCY, ["inspector"])
    other = {**(await login(client, "otto"))["headers"], **TUS}
    assert (await client.head(url, headers=other)).status_code == 404
    assert (await patch(client, url, other, 0, data)).status_code == 404
    assert (await client.delete(url, headers=other)).status_code == 404
    assert (await client.head(url, headers=headers)).headers["Upload-Offset"] == "0"


async def test_creation_needs_a_photo_the_caller_may_attach(client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    await add_user(db, "otto", AGENCY, ["inspector"])  # same agency, not on the inspection
    await add_user(db, "pieter", "politie", ["inspector"])
    for name in ("otto", "pieter"):
        other = {**(await login(client, name))["headers"], **TUS}
        resp = await create(client, other, photo_id, len(data), sha256(data))
        assert resp.status_code == 404
        assert resp.json()["type"] == "/problems/upload-not-found"
    from server.lib.ids import uuid7

    assert (await create(client, headers, uuid7(), len(data), sha256(data))).status_code == 404
    wrong = await create(client, headers, photo_id, len(data), sha256(b"x"))
    assert wrong.status_code == 422 and wrong.json()["type"] == "/problems/sha256-mismatch"
    size = await create(client, headers, photo_id, len(data) + 1, sha256(data))
    assert size.status_code == 422 and size.json()["type"] == "/problems/size-mismatch"
    junk = await client.post(
        "/api/v1/uploads",
        headers={**headers, "Upload-Length": "10", "Upload-Metadata": "photo_id !!!"},
    )
    assert junk.status_code == 400


async def test_larger_than_max_size_is_413(client: Client, app: Litestar, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    too_big = app.state.settings.upload_max_size + 1
    resp = await create(client, headers, photo_id, too_big, sha256(data))
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert staged(app) == []
    assert await db.read(lambda c: c.execute("SELECT COUNT(*) FROM uploads").fetchone()[0]) == 0


async def test_body_beyond_upload_length_is_413(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(400, 300)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    resp = await patch(client, url, headers, 0, data + b"extra")
    assert resp.status_code == 413
    assert (await client.head(url, headers=headers)).headers["Upload-Offset"] == "0"


async def test_resume_after_crash_uses_the_durable_offset(
    client: Client, app: Litestar, db: Database
) -> None:
    data = noisy_jpeg(1200, 900)
    headers, photo_id = await setup(client, db, data)
    url = (await create(client, headers, photo_id, len(data), sha256(data))).headers["Location"]
    cut = 20_000
    assert (await patch(client, url, headers, 0, data[:cut])).status_code == 204
    # A crash mid-PATCH leaves bytes on disk that were never acknowledged.
    path = app.state.photos.staging_path(url.rsplit("/", 1)[1])
    with path.open("ab") as fh:
        fh.write(b"\x00garbage from a request that never finished" * 100)
    head = await client.head(url, headers=headers)
    assert head.headers["Upload-Offset"] == str(cut)
    assert (await patch(client, url, headers, cut, data[cut:])).status_code == 204
    await app.state.photos.idle()
    assert app.state.photos.store.original(sha256(data)).read_bytes() == data


async def test_processing_interrupted_by_a_stop_resumes_at_start(settings: Any) -> None:
    from server.app import create_app
    from server.evidence import repository as repo

    data = noisy_jpeg(1200, 900)
    first = create_app(settings)
    async with AsyncTestClient(app=first) as c1:
        db: Database = first.state.db
        headers, photo_id = await setup(c1, db, data)
        user_id = await db.read(
            lambda c: c.execute("SELECT id FROM users WHERE username = 'ines'").fetchone()[0]
        )
        # The state a stop leaves behind: all bytes staged, the photo received, not processed.
        upload = repo.Upload(
            id="a" * 32,
            photo_id=photo_id,
            sha256=sha256(data),
            length=len(data),
            offset=len(data),
            agency_id=AGENCY,
            user_id=user_id,
            device_id=None,
            state="processing",
            error=None,
            expires_at="2099-01-01T00:00:00.000Z",
        )

        def fn(conn: sqlite3.Connection) -> None:
            repo.insert_upload(conn, upload, {})
            repo.set_photo_state(conn, photo_id, "received")

        await db.write(fn)
        first.state.photos.staging_path(upload.id).write_bytes(data)

    second = create_app(settings)
    async with AsyncTestClient(app=second) as c2:
        await second.state.photos.idle()
        photo = await second.state.db.read(lambda c: photo_row(c, photo_id))
        assert photo["state"] == "verified"
        assert second.state.photos.store.original(sha256(data)).read_bytes() == data
        resp = await c2.get(f"/api/v1/photos/{photo_id}/thumb", headers=headers)
        assert resp.status_code == 200


async def test_sweep_removes_old_orphan_staging_files_only(client: Client, app: Litestar) -> None:
    import os
    import time

    from server.evidence.janitor import ORPHAN_AGE

    staging = app.state.settings.upload_dir
    old, fresh = staging / ("b" * 32 + ".bin"), staging / ("c" * 32 + ".bin")
    old.write_bytes(b"left by a crash")
    fresh.write_bytes(b"being created right now")
    past = time.time() - ORPHAN_AGE - 60
    os.utime(old, (past, past))
    assert await sweep(app.state.uploads) == 1
    assert staged(app) == [fresh.name]
