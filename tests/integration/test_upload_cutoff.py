"""tus PATCH bodies cut off, too long or sent twice at once (review of the piece-by-piece
writes): the durable offset always equals what the staging file holds, and nothing of a
refused or unverifiable body stays counted."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests
from litestar import Litestar

from server.auth.principal import Principal
from server.db import Database
from server.evidence.blobstore import WRITE_BYTES
from server.evidence.errors import ChecksumMismatch, StreamInterrupted
from server.evidence.uploads import Checksum, UploadService
from server.lib.errors import Conflict, PayloadTooLarge
from server.settings import Settings
from tests.evidence_support import live_server, sha256
from tests.integration.test_upload_memory import _open_upload
from tests.integration.test_uploads import AGENCY, Client, create, setup
from tests.integration.test_uploads_tuspy import _create, _seed

KIB = 1024


def _pieces(data: bytes, piece: int, *, cut_after: int | None = None) -> AsyncIterator[bytes]:
    async def body() -> AsyncIterator[bytes]:
        for n, start in enumerate(range(0, len(data), piece)):
            if cut_after is not None and n == cut_after:
                raise StreamInterrupted
            yield data[start : start + piece]
            await asyncio.sleep(0)

    return body()


async def _durable(db: Database, upload_id: str) -> int:
    return int(
        await db.read(
            lambda c: c.execute("SELECT offset FROM uploads WHERE id = ?", (upload_id,)).fetchone()[
                0
            ]
        )
    )


async def _open_upload_as(
    client: Client, app: Litestar, db: Database, username: str, size: int
) -> tuple[UploadService, Principal, str, bytes]:
    """An open upload of ``size`` random bytes by a new inspector ``username``."""
    data = os.urandom(size)
    headers, photo_id = await setup(client, db, data, username)
    resp = await create(client, headers, photo_id, len(data), sha256(data))
    assert resp.status_code == 201, resp.text
    upload_id = resp.headers["Location"].rsplit("/", 1)[1]
    user_id = await db.read(
        lambda c: c.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()[0]
    )
    owner = Principal(user_id, username, username, AGENCY, frozenset({"inspector"}), None)
    return app.state.uploads, owner, upload_id, data


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


@pytest.mark.parametrize("piece", [100 * KIB, 5 * KIB, WRITE_BYTES])
async def test_cut_off_without_checksum_counts_exactly_what_is_on_disk(
    client: Client, app: Litestar, db: Database, piece: int
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 1024 * KIB)
    staged = service.processor.staging_path(upload_id)
    first = await service.append_chunk(
        owner,
        upload_id,
        offset=0,
        content_length=None,
        body=_pieces(data[: 600 * KIB], piece, cut_after=3),
        checksum=None,
    )
    assert first.offset == 3 * piece
    assert await _durable(db, upload_id) == first.offset == _size(staged)
    assert staged.read_bytes() == data[: first.offset]
    # Resumed from there (to one byte short of the end: random bytes are no photo).
    more = await service.append_chunk(
        owner,
        upload_id,
        offset=first.offset,
        content_length=None,
        body=_pieces(data[first.offset : -1], piece),
        checksum=None,
    )
    assert more.offset == len(data) - 1 == await _durable(db, upload_id)
    assert staged.read_bytes() == data[:-1]


async def test_cut_off_with_checksum_keeps_nothing_of_the_chunk(
    client: Client, app: Litestar, db: Database
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 1024 * KIB)
    staged = service.processor.staging_path(upload_id)
    await service.append_chunk(
        owner,
        upload_id,
        offset=0,
        content_length=None,
        body=_pieces(data[: 200 * KIB], 100 * KIB),
        checksum=None,
    )
    chunk = data[200 * KIB : 700 * KIB]
    digest = Checksum("sha256", hashlib.sha256(chunk).digest())
    cut = await service.append_chunk(
        owner,
        upload_id,
        offset=200 * KIB,
        content_length=len(chunk),
        body=_pieces(chunk, 100 * KIB, cut_after=4),
        checksum=digest,
    )
    assert cut.offset == 200 * KIB
    assert await _durable(db, upload_id) == 200 * KIB == _size(staged)
    # A wrong checksum after several pieces were written: the same.
    with pytest.raises(ChecksumMismatch):
        await service.append_chunk(
            owner,
            upload_id,
            offset=200 * KIB,
            content_length=len(chunk),
            body=_pieces(chunk[:-1] + b"\x00", 100 * KIB),
            checksum=digest,
        )
    assert await _durable(db, upload_id) == 200 * KIB == _size(staged)


async def test_too_long_body_without_length_keeps_nothing(
    client: Client, app: Litestar, db: Database
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 512 * KIB)
    staged = service.processor.staging_path(upload_id)
    with pytest.raises(PayloadTooLarge):
        await service.append_chunk(
            owner,
            upload_id,
            offset=0,
            content_length=None,
            body=_pieces(data + os.urandom(10), 100 * KIB),
            checksum=None,
        )
    assert await _durable(db, upload_id) == 0 == _size(staged)


async def test_a_second_patch_while_one_runs_is_refused_and_changes_nothing(
    client: Client, app: Litestar, db: Database
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 1024 * KIB)
    staged = service.processor.staging_path(upload_id)
    gate = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield data[: 100 * KIB]
        await gate.wait()
        yield data[100 * KIB : 300 * KIB]

    first = asyncio.create_task(
        service.append_chunk(
            owner, upload_id, offset=0, content_length=None, body=slow(), checksum=None
        )
    )
    await asyncio.sleep(0.05)
    with pytest.raises(Conflict):
        await service.append_chunk(
            owner,
            upload_id,
            offset=0,
            content_length=None,
            body=_pieces(data[: 50 * KIB], 10 * KIB),
            checksum=None,
        )
    gate.set()
    upload = await first
    assert upload.offset == 300 * KIB == await _durable(db, upload_id) == _size(staged)
    assert staged.read_bytes() == data[: 300 * KIB]


def test_chunked_patch_over_the_patch_limit_counts_nothing(settings: Settings) -> None:
    """A PATCH without Content-Length that runs past the route's body limit (uvicorn, a real
    socket): 413, nothing counted and nothing of it left in the staging file."""
    size = 18 * 1024 * KIB
    data = os.urandom(size)
    with live_server(settings) as server:
        auth, photo_id = _seed(server, data)
        tus = {**auth, "Tus-Resumable": "1.0.0"}
        url = _create(server, auth, photo_id, data)
        staged = server.app.state.photos.staging_path(url.rsplit("/", 1)[1])

        def chunked() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
            for start in range(0, 17 * 1024 * KIB, 256 * KIB):
                yield data[start : start + 256 * KIB]

        octets = {**tus, "Content-Type": "application/offset+octet-stream"}
        with contextlib.suppress(requests.ConnectionError):  # the server may stop reading
            refused = requests.patch(
                url, data=chunked(), headers={**octets, "Upload-Offset": "0"}, timeout=60
            )
            assert refused.status_code == 413, refused.text
        head = requests.head(url, headers=tus, timeout=30)
        assert head.headers["Upload-Offset"] == "0"
        # Nothing of the refused body stays on disk past the durable offset.
        assert _size(staged) == 0
        first = requests.patch(
            url, data=data[: 100 * KIB], headers={**octets, "Upload-Offset": "0"}, timeout=60
        )
        assert first.status_code == 204, first.text
        assert staged.read_bytes() == data[: 100 * KIB]


async def test_trims_between_and_during_patches_change_no_bytes(
    client: Client, app: Litestar, db: Database
) -> None:
    """malloc_trim in its thread while other PATCHes write: every upload's bytes intact."""
    opened = [await _open_upload_as(client, app, db, f"ines{n}", 768 * KIB) for n in range(6)]
    service = opened[0][0]
    heap = service.processor.heap
    heap.quiet_seconds = 0
    before = heap.trims

    async def rounds(n: int) -> None:
        _, owner, upload_id, data = opened[n]
        offset = 0
        for step in range(5):
            size = 100 * KIB + n * 7 + step
            await service.append_chunk(
                owner,
                upload_id,
                offset=offset,
                content_length=None,
                body=_pieces(data[offset : offset + size], 16 * KIB + n),
                checksum=None,
            )
            offset += size
            await asyncio.sleep(0.001 * n)  # ends apart: trims start while others run
        staged = service.processor.staging_path(upload_id)
        assert staged.read_bytes() == data[:offset]
        assert await _durable(db, upload_id) == offset

    await asyncio.gather(*(rounds(n) for n in range(6)))
    await asyncio.sleep(0.2)
    assert heap.trims > before
