"""Memory of one photo job in a real worker process: what a 12 MP phone JPEG costs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PIL import _imaging as pillow_core

from server.evidence import imaging, worker
from server.evidence.pool import WorkerPool
from server.evidence.worker import Job, WorkerLimits
from tests import worker_jobs
from tests.evidence_support import phone_jpeg_8mb, reset_peak, sha256, status_kib

MIB = 1024 * 1024


async def test_a_rotated_12_mp_photo_holds_at_most_two_decoded_images(tmp_path: Path) -> None:
    data = phone_jpeg_8mb()  # 4032 x 3024, EXIF orientation 6: the copies must be rotated
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    pool = WorkerPool(1, WorkerLimits(1024 * MIB, 20, 50))
    try:
        info = await pool.run(worker.run_check, 20, path, sha256(data), len(data), 50_000_000)
        [pid] = await pool.pids()  # a fresh worker: this is its first photo
        reset_peak(pid)
        before = status_kib(pid, "VmRSS")
        job = Job("u", "p", "a", sha256(data), len(data), info)
        width, height, _, _ = await pool.run(worker.run_derive, 20, tmp_path / "blobs", path, job)
        growth = (status_kib(pid, "VmHWM") - before) * 1024
    finally:
        await pool.close()
    assert (width, height) == (3024, 4032)
    # The half-scale decode (2016 x 1512, 4 bytes a pixel) and its rotated copy, plus the
    # encoders and Python's own allocations (a full-scale decode alone would be 46 MiB).
    decoded = 2016 * 1512 * 4
    assert growth < 2 * decoded + 4 * MIB, f"{growth / MIB:.1f} MiB"


def _live_image_blocks() -> int:
    stats = pillow_core.get_stats()
    return int(stats["allocated_blocks"] + stats["reused_blocks"] - stats["freed_blocks"])


def test_the_decoded_image_is_freed_before_the_copies_are_encoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(phone_jpeg_8mb())  # orientation 6: decoded, then rotated
    info = imaging.inspect_image(path, path.stat().st_size, 50_000_000)
    assert pillow_core.get_blocks_max() == 0  # no block cache: a freed image is gone
    live: list[int] = []
    encode = imaging._encode

    def counting(img: Image.Image, quality: int) -> bytes:
        live.append(_live_image_blocks())
        return encode(img, quality)

    monkeypatch.setattr(imaging, "_encode", counting)
    before = _live_image_blocks()
    derived = imaging.make_derivatives(path, info)
    assert (derived.width, derived.height) == (3024, 4032)
    # Display, then thumbnail: each made from the one image alive (a 12 MB image is one
    # block of Pillow's 16 MiB); the decoded image did not outlive its rotation.
    assert [n - before for n in live] == [1, 1]
    assert _live_image_blocks() == before


async def test_workers_start_with_the_image_plugins_loaded() -> None:
    pool = WorkerPool(1, WorkerLimits(256 * MIB, 2, 50))
    try:
        for module in ("PIL.JpegImagePlugin", "PIL.PngImagePlugin", "PIL.WebPImagePlugin"):
            assert await pool.run(worker_jobs.imported, module), module
    finally:
        await pool.close()


async def test_a_worker_gives_its_memory_back_when_no_job_waits() -> None:
    pool = WorkerPool(1, WorkerLimits(256 * MIB, 2, 50))
    try:
        idle = await pool.run(worker_jobs.rss_kib)
        await pool.run(worker_jobs.churn, 24 * MIB)  # freed inside the worker's heap
        # The trim the pool sent when the worker fell idle ran before this call.
        after = await pool.run(worker_jobs.rss_kib)
    finally:
        await pool.close()
    assert (after - idle) * 1024 < 4 * MIB
