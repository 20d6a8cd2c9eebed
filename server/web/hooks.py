"""Start-up and shut-down work of the domains, run inside the app's lifespan."""

from __future__ import annotations

from litestar import Litestar

from server.checklists.library import publish_library
from server.db.lock import LockBusy, lock_data_dir
from server.evidence.lifecycle import start as start_evidence
from server.evidence.lifecycle import stop as stop_evidence
from server.partners.lifecycle import start as start_partners
from server.partners.lifecycle import stop as stop_partners


async def startup(app: Litestar) -> None:
    """Prepare domain resources after the database is open."""
    try:  # shared: keeps `schouw restore` from replacing files under a running server
        app.state.data_dir_lock = lock_data_dir(app.state.settings.data_dir, exclusive=False)
    except LockBusy:
        raise RuntimeError("a restore is running on this data directory; start later") from None
    try:
        await publish_library(app.state.db)
        await start_evidence(app)
        try:
            await start_partners(app)
        except BaseException:
            await stop_evidence(app)
            raise
    except BaseException:
        app.state.data_dir_lock.release()
        raise


async def shutdown(app: Litestar) -> None:
    """Release domain resources before the database closes."""
    await stop_partners(app)
    await stop_evidence(app)
    lock = getattr(app.state, "data_dir_lock", None)
    if lock is not None:
        lock.release()
