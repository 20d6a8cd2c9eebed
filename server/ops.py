"""``schouw agency add|list``, ``client add|revoke|list``, ``backup`` and ``restore``."""

from __future__ import annotations

import argparse
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from server.audit.log import SYSTEM, append
from server.auth.passwords import hash_password
from server.cli import CliError, connect, write
from server.lib.clock import now_iso
from server.lib.ids import is_uuid7, uuid7
from server.ops_backup import backup_to, restore_from
from server.settings import Settings

# The partner API is not built yet; these are the permissions a client can be given for it.
SCOPES = ("signals:write", "cases:read")
DEFAULT_SCOPES = ("signals:write",)
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


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


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
        if c.execute("SELECT 1 FROM agencies WHERE id = ?", (slug,)).fetchone():
            raise CliError(f"agency {slug!r} already exists")
        c.execute("INSERT INTO agencies (id, name, kind) VALUES (?, ?, ?)", (slug, name, args.kind))
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
    for r in conn.execute("SELECT id, kind, name FROM agencies ORDER BY id"):
        print(f"{r['id']:<28} {r['kind']:<24} {r['name']}")
    return 0


def cmd_client_add(args: argparse.Namespace, settings: Settings) -> int:
    """Register a partner API client; print its id and a secret shown only this once."""
    name = args.name.strip()
    if not name:
        raise CliError("the client name is empty")
    scopes = sorted(set(args.scope or DEFAULT_SCOPES))
    conn = connect(settings)
    if conn.execute("SELECT 1 FROM agencies WHERE id = ?", (args.agency,)).fetchone() is None:
        known = ", ".join(r[0] for r in conn.execute("SELECT id FROM agencies ORDER BY id"))
        raise CliError(f"unknown agency {args.agency!r}; known agencies: {known or '(none)'}")
    client_id = uuid7()
    secret = secrets.token_urlsafe(32)

    def add(c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO api_clients (id, name, agency_id, secret_hash, scopes, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                client_id,
                name,
                args.agency,
                hash_password(secret),
                msgspec.json.encode(scopes).decode(),
                now_iso(),
            ),
        )
        append(
            c,
            SYSTEM,
            "client.add",
            object_type="api_client",
            object_id=client_id,
            detail={"name": name, "agency": args.agency, "scopes": scopes},
        )

    write(conn, add)
    print(f"client id: {client_id}")
    print(f"secret:    {secret}")
    print("Store the secret now; it is not shown again (only its hash is kept).")
    return 0


def cmd_client_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Revoke a partner API client; its secret stops working."""
    if not is_uuid7(args.client_id):
        raise CliError(f"{args.client_id!r} is not a client id (see: schouw client list)")
    conn = connect(settings)

    def revoke(c: sqlite3.Connection) -> bool:
        row = c.execute(
            "SELECT revoked_at FROM api_clients WHERE id = ?", (args.client_id,)
        ).fetchone()
        if row is None:
            raise CliError(f"no client {args.client_id} (see: schouw client list)")
        if row[0] is not None:
            return False
        c.execute("UPDATE api_clients SET revoked_at = ? WHERE id = ?", (now_iso(), args.client_id))
        append(c, SYSTEM, "client.revoke", object_type="api_client", object_id=args.client_id)
        return True

    changed = write(conn, revoke)
    print(f"revoked {args.client_id}" if changed else f"{args.client_id} was already revoked")
    return 0


def cmd_client_list(args: argparse.Namespace, settings: Settings) -> int:
    """List partner API clients (never their secrets)."""
    conn = connect(settings)
    for r in conn.execute(
        "SELECT id, name, agency_id, scopes, created_at, revoked_at FROM api_clients"
        " ORDER BY agency_id, created_at"
    ):
        state = "ingetrokken" if r["revoked_at"] else "actief"
        scopes = ",".join(msgspec.json.decode(r["scopes"]))
        print(f"{r['id']}  {r['agency_id']:<22} {state:<12} {scopes:<26} {r['name']}")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up database and blobs into one file; safe while the server runs."""
    info = backup_to(settings, Path(args.file), overwrite=args.force)
    print(
        f"backup written to {info.path} ({_human(info.size)}; epoch {info.epoch}, "
        f"schema {info.schema_version}, {info.blobs} blob files, {_human(info.blob_bytes)})"
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup into the data directory (server stopped); gives a new epoch."""
    info = restore_from(settings, Path(args.file), epoch_above=args.epoch_above)
    print(
        f"restored {info.path} (made {info.backup_created_at}) into {settings.data_dir}; "
        f"epoch {info.backup_epoch} -> {info.new_epoch}, {info.blobs} blob files"
    )
    if info.set_aside:
        print(f"the replaced data was moved to {info.set_aside}; delete it once you are sure")
    print("Devices will re-send the work they still hold when they next sync.")
    return 0


def register(sub: Any) -> None:
    """Add ``agency``, ``client``, ``backup`` and ``restore`` to the ``schouw`` parser."""
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

    client = sub.add_parser(
        "client", help="manage partner API clients", description="Partner API clients."
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    p = client.add_parser(
        "add",
        help="register a client; prints its id and secret once",
        description="Register a partner API client of one agency. Prints the client id and a "
        "generated secret ONCE; only an argon2 hash of the secret is stored.",
    )
    p.add_argument("name", help="a name that says which system this is")
    p.add_argument("--agency", required=True, help="agency slug, e.g. gemeente-groningen")
    p.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        help=f"repeat for several (default: {', '.join(DEFAULT_SCOPES)})",
    )
    p.set_defaults(func=cmd_client_add)
    p = client.add_parser("revoke", help="revoke a client", description="Revoke a client.")
    p.add_argument("client_id", help="the id printed by 'client add' or 'client list'")
    p.set_defaults(func=cmd_client_revoke)
    p = client.add_parser("list", help="list clients", description="List clients.")
    p.set_defaults(func=cmd_client_list)

    p = sub.add_parser(
        "backup",
        help="back up database and blobs into one file (server may run)",
        description="Write the database (SQLite online backup, integrity-checked) and the "
        "photo blobs into one archive with a sha256 manifest. Safe while the server runs.",
    )
    p.add_argument("file", help="archive to write, e.g. schouw-2026-11-28.tar")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="restore a backup (stop the server first)",
        description="Verify a backup archive and replace the data directory's database and "
        "blobs with it. The server must be stopped. The replaced data is moved aside, and "
        "the database gets a new epoch so devices re-send the work they still hold.",
    )
    p.add_argument("file", help="archive written by 'schouw backup'")
    p.add_argument(
        "--epoch-above",
        type=int,
        default=0,
        metavar="N",
        help="make the new epoch larger than N; when restoring into an empty data directory, "
        "give the epoch the old server last showed (GET /health), so no epoch is reused",
    )
    p.set_defaults(func=cmd_restore)
