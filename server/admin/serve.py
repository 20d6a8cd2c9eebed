"""``schouw serve`` and ``schouw init``."""

from __future__ import annotations

import argparse
from typing import Any

from server.admin.common import connect, write
from server.checklists.library import load_dir, publish
from server.settings import Settings


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve API and PWA with uvicorn."""
    # Imported here, not at the top: the other commands start without loading the web stack.
    import uvicorn

    from server.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Schouw draait op http://{host}:{port}  (stoppen: Ctrl-C)", flush=True)
    print(f"Werkplek voor teamleiders: http://{host}:{port}/regie/", flush=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=args.log_level,
        access_log=args.access_log,
        proxy_headers=False,
        server_header=False,  # no "Server: uvicorn": the stack is nobody's business
    )
    return 0


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create the data directory and database and publish the template library."""
    conn = connect(settings)
    added = write(conn, lambda c: publish(c, load_dir()))
    print(f"Database ready at {settings.db_path} ({len(added)} templates published)")
    return 0


def register(sub: Any) -> None:
    """Add ``serve`` and ``init`` to the ``schouw`` parser."""
    p = sub.add_parser("serve", help="serve API and PWA")
    p.add_argument("--host", help="address to bind (default SCHOUW_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default SCHOUW_PORT or 8000)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("init", help="create the database and publish the template library")
    p.set_defaults(func=cmd_init)
