"""``schouw agency add|list``."""

from __future__ import annotations

import argparse
import re
import sqlite3
from typing import Any

from server.admin.common import CliError, connect, write
from server.audit.log import SYSTEM, append
from server.auth import repository
from server.settings import Settings

# Kinds that checklist templates name in ``agency_kinds``.
AGENCY_KINDS = (
    "gemeente",
    "politie",
    "rijk",
    "veiligheidsregio",
    "omgevingsdienst",
    "netbeheerder",
    "uitvoeringsorganisatie",
)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def cmd_agency_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add an agency that users, cases and API clients can belong to."""
    slug = args.slug
    if not _SLUG.match(slug) or len(slug) > 64:
        raise CliError(
            f"{slug!r} is not a usable slug: lowercase letters, digits and single hyphens, "
            "e.g. gemeente-groningen"
        )
    name = args.name.strip()
    if not name:
        raise CliError("--name is empty")
    conn = connect(settings)

    def add(c: sqlite3.Connection) -> None:
        if repository.agency_exists(c, slug):
            raise CliError(f"agency {slug!r} already exists")
        repository.insert_agency(c, slug, name, args.kind)
        append(
            c,
            SYSTEM,
            "agency.add",
            object_type="agency",
            object_id=slug,
            detail={"name": name, "kind": args.kind},
        )

    write(conn, add)
    print(f"added agency {slug} ({args.kind}): {name}")
    return 0


def cmd_agency_list(args: argparse.Namespace, settings: Settings) -> int:
    """List agencies."""
    conn = connect(settings)
    for r in repository.list_agencies(conn):
        print(f"{r['id']:<28} {r['kind']:<24} {r['name']}")
    return 0


def register(sub: Any) -> None:
    """Add ``agency`` to the ``schouw`` parser."""
    agency = sub.add_parser(
        "agency", help="manage agencies", description="Agencies (organisations)."
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    p = agency.add_parser(
        "add",
        help="add an agency",
        description="Add an agency. Its kind decides which checklist templates apply to it.",
    )
    p.add_argument("slug", help="short id, e.g. gemeente-groningen")
    p.add_argument("--name", required=True, help="full name, e.g. 'Gemeente Groningen'")
    p.add_argument("--kind", required=True, choices=AGENCY_KINDS, help="kind of organisation")
    p.set_defaults(func=cmd_agency_add)
    p = agency.add_parser("list", help="list agencies", description="List agencies.")
    p.set_defaults(func=cmd_agency_list)
