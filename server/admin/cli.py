"""``schouw``: serve, init, demo, user, device, client, backup, restore, audit."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Sequence

from server.admin import agencies, audit, backup, clients, demo, serve, users
from server.admin.common import CliError
from server.settings import SettingsError, load_settings

# The command groups in the order ``schouw --help`` lists them.
GROUPS = (serve, users, audit, demo, agencies, clients, backup)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="schouw", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(sub)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand without a description its one-line help as description."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                child = action.choices[choice.dest]
                if child.description is None and choice.help:
                    child.description = choice.help[0].upper() + choice.help[1:] + "."
                _describe(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``schouw`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return int(args.func(args, settings))
    except SettingsError as exc:
        print(f"schouw: configuration error: {exc}", file=sys.stderr)
        return 2
    except CliError as exc:
        print(f"schouw: {exc}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as exc:
        print(
            f"schouw: database error: {exc}. Check that SCHOUW_DATA_DIR is writable and the disk "
            "is not full; if the database is busy, try again.",
            file=sys.stderr,
        )
        return 1
    except RuntimeError as exc:  # e.g. a database newer than this program
        print(f"schouw: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("schouw: interrupted", file=sys.stderr)
        return 130
