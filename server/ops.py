"""``schouw`` subcommands of this module (being built)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add this module's subcommands to the ``schouw`` parser."""
    _ = sub
