"""Further ``schouw`` subcommands, registered by their own modules."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add demo (server.demo) and operations (server.ops) subcommands."""
    from server.demo import register as register_demo
    from server.ops import register as register_ops

    register_demo(sub)
    register_ops(sub)
