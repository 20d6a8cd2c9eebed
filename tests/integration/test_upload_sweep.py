"""The sweep of expired uploads leaves an upload alone while a PATCH is writing to it.

A PATCH that began before its upload expired may still be receiving when the sweep runs:
removing the row and the staging file under it would lose bytes the phone is about to be
told are stored. The sweep skips such an upload (the PATCH's end renews the expiry), and a
PATCH that arrives while an upload is being removed is told to wait.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable

from litestar import Litestar

from server.db import Database
from server.evidence.janitor import sweep
from tests.integration.test_upload_memory import _open_upload
from tests.integration.test_uploads import Client

KIB = 1024


def _expire(upload_id: str) -> Callable[[sqlite3.Connection], None]:
    def fn(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE uploads SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?",
            (upload_id,),
        )

    return fn


async def test_an_upload_a_patch_is_writing_to_is_not_swept(
    client: Client, app: Litestar, db: Database
) -> None:
    service, owner, upload_id, data = await _open_upload(client, app, db, 512 * KIB)
    half = len(data) // 2
    first_piece_read = asyncio.Event()
    go_on = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield data[: half // 2]
        first_piece_read.set()
        await go_on.wait()
        yield data[half // 2 : half]

    patch = asyncio.create_task(
        service.append_chunk(
            owner, upload_id, offset=0, content_length=half, body=body(), checksum=None
        )
    )
    await first_piece_read.wait()
    await db.write(_expire(upload_id))  # it expires while the PATCH is receiving
    assert await sweep(service) == 0
    go_on.set()
    upload = await patch
    assert upload.offset == half
    assert service.processor.staging_path(upload_id).read_bytes() == data[:half]
    # The PATCH renewed the expiry: the next sweep keeps it too, and the upload goes on.
    assert await sweep(service) == 0
    assert (await service.get(owner, upload_id)).offset == half


async def test_an_expired_upload_nobody_writes_to_is_swept(
    client: Client, app: Litestar, db: Database
) -> None:
    service, _, upload_id, _ = await _open_upload(client, app, db, 64 * KIB)
    await db.write(_expire(upload_id))
    assert await sweep(service) == 1
    assert not service.processor.staging_path(upload_id).exists()
