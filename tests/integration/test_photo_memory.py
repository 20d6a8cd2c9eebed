"""Memory: 16 concurrent 8 MB uploads, processing included, on a real uvicorn process."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from server.checklists.library import publish_library
from server.db import Database
from server.lib.ids import uuid7
from tests.evidence_support import (
    insert_photo,
    phone_jpeg_8mb,
    reset_peak,
    seed_case,
    sha256,
    status_kib,
    variant,
)
from tests.integration.test_uploads import meta
from tests.live_server import LiveServer
from tests.support import PASSWORD, insert_user, seed_agencies

AGENCY = "gemeente-groningen"
UPLOADS = 16
CHUNK = 4 * 1024 * 1024
LIMIT_MIB = 128


async def _seed(data_dir: Path, files: list[bytes]) -> list[str]:
    db = await Database.open(data_dir / "schouw.db")
    try:
        await publish_library(db)

        def fn(conn: sqlite3.Connection) -> list[str]:
            seed_agencies(conn)
            insert_user(conn, "ines", AGENCY, ["inspector"])
            world = seed_case(conn, "ines", AGENCY)
            return [insert_photo(conn, world, data) for data in files]

        return await db.write(fn)
    finally:
        await db.close()


async def _upload(session: aiohttp.ClientSession, base: str, photo_id: str, data: bytes) -> None:
    headers = {"Tus-Resumable": "1.0.0"}
    async with session.post(
        f"{base}/api/v1/uploads",
        headers={
            **headers,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta(photo_id, sha256(data)),
        },
    ) as resp:
        assert resp.status == 201, await resp.text()
        url = base + resp.headers["Location"]
    offset = 0
    while offset < len(data):
        chunk = data[offset : offset + CHUNK]
        async with session.patch(
            url,
            data=io.BytesIO(chunk),
            headers={
                **headers,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
        ) as resp:
            assert resp.status == 204, await resp.text()
            offset = int(resp.headers["Upload-Offset"])


async def _verified(session: aiohttp.ClientSession, base: str, photo_id: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        async with session.get(f"{base}/api/v1/photos/{photo_id}/thumb") as resp:
            await resp.read()
            if resp.status == 200:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"photo {photo_id} was not verified in time")


@pytest.mark.slow
async def test_sixteen_concurrent_uploads_stay_under_128_mib(tmp_path: Path) -> None:
    base_jpeg = phone_jpeg_8mb()
    files = [variant(base_jpeg, n) for n in range(UPLOADS + 1)]
    data_dir = tmp_path / "data"
    photo_ids = await _seed(data_dir, files)
    server = LiveServer(data_dir, env={"SCHOUW_PHOTO_WORKERS": "2"})
    await asyncio.to_thread(server.start)
    base = server.url
    pid = server.pid
    try:
        async with (
            aiohttp.ClientSession() as anon,
            anon.post(
                f"{base}/api/v1/auth/login",
                json={"username": "ines", "password": PASSWORD, "device_id": uuid7()},
            ) as resp,
        ):
            token = (await resp.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=auth) as session:
            idle_rss = status_kib(pid, "VmRSS")
            # One photo first, so the baseline includes a warmed-up worker pool and decoder.
            await _upload(session, base, photo_ids[0], files[0])
            await _verified(session, base, photo_ids[0])
            baseline = status_kib(pid, "VmRSS")
            reset_peak(pid)
            await asyncio.gather(
                *(
                    _upload(session, base, pid, data)
                    for pid, data in zip(photo_ids[1:], files[1:], strict=True)
                )
            )
            await asyncio.gather(*(_verified(session, base, pid) for pid in photo_ids[1:]))
            peak = status_kib(pid, "VmHWM")
        growth_mib = (peak - baseline) / 1024
        print(
            f"\nserver RSS: idle {idle_rss / 1024:.0f} MiB, after one photo"
            f" {baseline / 1024:.0f} MiB, peak during {UPLOADS} uploads"
            f" {peak / 1024:.0f} MiB (+{growth_mib:.0f} MiB)"
        )
        assert growth_mib < LIMIT_MIB
        assert (peak - idle_rss) / 1024 < LIMIT_MIB
        store = data_dir / "blobs"
        for data in files:
            digest = sha256(data)
            assert (store / digest[:2] / digest[2:4] / digest).read_bytes() == data
    finally:
        await asyncio.to_thread(server.stop)
