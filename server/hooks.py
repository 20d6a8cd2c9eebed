"""Start-up and shut-down work of the domains, run inside the app's lifespan."""

from __future__ import annotations

from litestar import Litestar


async def startup(app: Litestar) -> None:
    """Prepare domain resources after the database is open."""
    from server.checklists.library import publish_library

    await publish_library(app.state.db)


async def shutdown(app: Litestar) -> None:
    """Release domain resources before the database closes."""
    return None
