"""Run the real app for browser tests, counting the tus PATCH bytes the server receives.

``python -m tests.browser.serve`` reads the usual ``SCHOUW_*`` variables. Every PATCH to
``/api/v1/uploads/…`` appends "<path> <bytes received>" to ``<data dir>/patch-bytes.log`` so a
test can prove that a resumed upload did not send bytes the server already had.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import uvicorn

from server.app import create_app
from server.settings import load_settings

Scope = dict[str, Any]
Message = dict[str, Any]


class PatchCounter:
    """ASGI wrapper: count request body bytes of tus PATCH requests."""

    def __init__(self, app: Any, log: Path) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        counting = (
            scope["type"] == "http"
            and scope["method"] == "PATCH"
            and str(scope["path"]).startswith("/api/v1/uploads/")
        )
        if not counting:
            await self.app(scope, receive, send)
            return
        total = 0

        async def counted_receive() -> Message:
            nonlocal total
            message: Message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
            return message

        try:
            await self.app(scope, counted_receive, send)
        finally:
            with self.log.open("a") as fh:
                fh.write(f"{scope['path']} {total}\n")


def main() -> None:
    """Serve on SCHOUW_HOST:SCHOUW_PORT until terminated."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = PatchCounter(create_app(settings), settings.data_dir / "patch-bytes.log")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
