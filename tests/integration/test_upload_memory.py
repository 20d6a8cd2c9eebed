"""A tus PATCH holds none of its body in memory: each piece is on disk before the next is read.

The ASGI server hands a body over in pieces (uvicorn: 64-320 KiB). Sixteen uploads that each
gathered a MiB before writing held 16-26 MiB in the server at once; written piece by piece
they hold one piece each. These tests call the upload service with a body of pieces, as the
HTTP layer does, and look at the staging file between pieces and at Python's allocations.
"""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar

from server.auth.principal import Principal
from server.db import Database
from server.evidence.blobstore import WRITE_BYTES
from server.evidence.uploads import UploadService
from tests.evidence_support import sha256
from tests.integration.test_uploads import AGENCY, Client, create, setup

KIB = 1024


def _on_disk(path: Path) -> bytes:
    """What the staging file holds now (nothing before the first write)."""
    return path.read_bytes() if path.exists() else b""


async def _open_upload(
    client: Client, app: Litestar, db: Database, size: int
) -> tuple[UploadService, Principal, str, bytes]:
    """An open upload of ``size`` random bytes; the service, its owner, its id and the bytes."""
    data = os.urandom(size)
    headers, photo_id = await setup(client, db, data)
    resp = await create(client, headers, photo_id, len(data), sha256(data))
    assert resp.status_code == 201, resp.text
    upload_id = resp.headers["Location"].rsplit("/", 1)[1]
    user_id = await db.read(
        lambda c: c.execute("SELECT id FROM users WHERE username = 'ines'").fetchone()[0]
    )
    owner = Principal(user_id, "ines", "ines", AGENCY, frozenset({"inspector"}), None)
    service: UploadService = app.state.uploads
    return service, owner, upload_id, data


@pytest.mark.parametrize("piece", [256 * KIB, 16 * KIB])
async def test_each_piece_is_on_disk_before_the_next_is_read(
    client: Client, app: Litestar, db: Database, piece: int
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 2 * 1024 * KIB)
    staged: Path = service.processor.staging_path(upload_id)
    body_bytes = len(data) - piece  # one piece short: the upload stays open
    lags: list[int] = []  # bytes handed over but not yet in the file, whenever one is asked for

    async def body() -> AsyncIterator[bytes]:
        sent = 0
        while sent < body_bytes:
            lags.append(sent - len(_on_disk(staged)))
            yield data[sent : sent + piece]
            sent += piece

    upload = await service.append_chunk(
        owner, upload_id, offset=0, content_length=body_bytes, body=body(), checksum=None
    )
    assert upload.offset == body_bytes
    assert _on_disk(staged) == data[:body_bytes]
    assert len(lags) == body_bytes // piece
    if piece >= WRITE_BYTES:
        assert max(lags) == 0
    else:  # small pieces are gathered up to WRITE_BYTES, never more
        assert max(lags) < WRITE_BYTES


async def test_a_patch_allocates_about_one_piece_whatever_its_length(
    client: Client, app: Litestar, db: Database
) -> None:
    piece = 256 * KIB
    service, owner, upload_id, data = await _open_upload(client, app, db, 8 * 1024 * KIB)
    body_bytes = len(data) - piece

    async def body() -> AsyncIterator[bytes]:
        for start in range(0, body_bytes, piece):
            yield data[start : start + piece]  # a new bytes object, as from the ASGI server

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        upload = await service.append_chunk(
            owner, upload_id, offset=0, content_length=body_bytes, body=body(), checksum=None
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert upload.offset == body_bytes
    # The piece being written and the next one being made; a 7.75 MiB body, 256 KiB pieces.
    assert peak - before < 3 * piece


async def test_the_heap_is_trimmed_once_the_uploads_are_over(
    client: Client, app: Litestar, db: Database
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 512 * KIB)
    heap = service.processor.heap
    heap.quiet_seconds = 0

    async def body() -> AsyncIterator[bytes]:
        yield data[: 256 * KIB]

    heap.trimmed.clear()
    before = heap.trims
    await service.append_chunk(
        owner, upload_id, offset=0, content_length=256 * KIB, body=body(), checksum=None
    )
    await asyncio.wait_for(heap.trimmed.wait(), 10)
    assert heap.trims == before + 1
