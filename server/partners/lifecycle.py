"""Start and stop the partners domain's background work (the notification worker)."""

from __future__ import annotations

from litestar import Litestar

from server.partners.notifier import Notifier


async def start(app: Litestar) -> None:
    """Start the notification worker (refuses to start with a disallowed endpoint)."""
    notifier = Notifier(app.state.db, app.state.settings)
    await notifier.start()
    app.state.notifier = notifier


async def stop(app: Litestar) -> None:
    """Stop the notification worker; unsent notifications stay in the outbox."""
    notifier = getattr(app.state, "notifier", None)
    if notifier is not None:
        await notifier.stop()
