"""Periodic clean-up of expired uploads and of staging files nobody refers to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

from server.evidence import repository as repo
from server.evidence.uploads import UploadService
from server.lib.clock import now_iso

log = logging.getLogger("schouw.evidence")

SWEEP_INTERVAL = 300.0
ORPHAN_AGE = 3600.0


async def sweep(service: UploadService) -> int:
    """Delete expired uploads (rows, then bytes) and old orphan staging files; return count."""
    removed = 0
    busy: set[str] = set()  # a PATCH is writing to these: left to the next sweep
    while True:
        expired = await service.db.read(lambda c: repo.expired_uploads(c, now_iso()))
        batch = [upload for upload in expired if upload.id not in busy]
        if not batch:
            break
        for upload in batch:
            if await service.forget_expired(upload):
                removed += 1
            else:
                busy.add(upload.id)
    known = set(
        await service.db.read(lambda c: [r[0] for r in c.execute("SELECT id FROM uploads")])
    )
    cutoff = time.time() - ORPHAN_AGE
    with os.scandir(service.processor.staging) as entries:
        for entry in entries:
            stem = entry.name.removesuffix(".bin")
            if entry.is_file() and stem not in known and entry.stat().st_mtime < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                removed += 1
    return removed


async def run_forever(service: UploadService, interval: float = SWEEP_INTERVAL) -> None:
    """Sweep every ``interval`` seconds until cancelled."""
    while True:
        await asyncio.sleep(interval)
        try:
            count = await sweep(service)
        except Exception:
            log.exception("upload sweep failed")
        else:
            if count:
                log.info("removed %d expired or orphaned uploads", count)
