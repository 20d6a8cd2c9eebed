"""``schouw audit verify``."""

from __future__ import annotations

import argparse
from typing import Any

from server.admin.common import connect
from server.audit.log import verify
from server.settings import Settings


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify the audit hash chain; exit 1 naming the first broken event."""
    conn = connect(settings)
    result = verify(conn)
    if result.ok:
        print(f"audit chain intact: {result.events} events")
        return 0
    print(
        f"audit chain BROKEN at event {result.broken_at}: {result.reason} "
        f"({result.events} events before it are intact)"
    )
    return 1


def register(sub: Any) -> None:
    """Add ``audit`` to the ``schouw`` parser."""
    audit = sub.add_parser("audit", help="audit log").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = audit.add_parser("verify", help="verify the hash chain")
    p.set_defaults(func=cmd_audit_verify)
