"""Start and stop the evidence domain: photo worker pool, upload service, expiry sweeper."""

from __future__ import annotations

import asyncio
import contextlib

from litestar import Litestar

from server.evidence.janitor import run_forever
from server.evidence.processor import PhotoProcessor
from server.evidence.uploads import UploadService


async def start(app: Litestar) -> None:
    """Start the photo workers and the upload service, resume unfinished work and the sweeper."""
    settings = app.state.settings
    processor = PhotoProcessor(app.state.db, settings)
    app.state.photos = processor
    app.state.uploads = UploadService(
        app.state.db, processor, settings.upload_max_size, settings.upload_expiry
    )
    await processor.start()
    await processor.recover()
    app.state.upload_sweeper = asyncio.create_task(
        run_forever(app.state.uploads), name="schouw-upload-sweeper"
    )


async def stop(app: Litestar) -> None:
    """Stop the sweeper and let queued photo jobs finish."""
    sweeper = getattr(app.state, "upload_sweeper", None)
    if sweeper is not None:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
    processor = getattr(app.state, "photos", None)
    if processor is not None:
        await processor.close()
