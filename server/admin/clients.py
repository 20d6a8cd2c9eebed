"""``schouw client add|revoke|rotate|list``: partner API clients."""

from __future__ import annotations

import argparse
import secrets
import sqlite3
from datetime import timedelta
from typing import Any

import msgspec

from server.admin import webhooks
from server.admin.common import CliError, connect, unknown_agency, write
from server.audit.log import SYSTEM, append
from server.auth import repository
from server.auth.passwords import hash_password
from server.lib.ids import is_uuid7, uuid7
from server.partners.clients import SCOPES, end_client_tokens, load_secrets, rotate_secret
from server.settings import Settings

DEFAULT_SCOPES = ("signals:write",)
DEFAULT_OVERLAP_DAYS = 7


def cmd_client_add(args: argparse.Namespace, settings: Settings) -> int:
    """Register a partner API client; print its id and a secret shown only this once."""
    name = args.name.strip()
    if not name:
        raise CliError("the client name is empty")
    scopes = sorted(set(args.scope or DEFAULT_SCOPES))
    conn = connect(settings)
    if not repository.agency_exists(conn, args.agency):
        raise unknown_agency(conn, args.agency)
    client_id = uuid7()
    secret = secrets.token_urlsafe(32)

    def add(c: sqlite3.Connection) -> None:
        repository.insert_client(
            c,
            client_id,
            name=name,
            agency_id=args.agency,
            secret_hash=hash_password(secret),
            scopes=scopes,
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

    def revoke(c: sqlite3.Connection) -> tuple[bool, int]:
        changed = repository.revoke_client(c, args.client_id)
        if changed is None:
            raise CliError(f"no client {args.client_id} (see: schouw client list)")
        ended = end_client_tokens(c, args.client_id)
        if changed:
            append(
                c,
                SYSTEM,
                "client.revoke",
                object_type="api_client",
                object_id=args.client_id,
                detail={"tokens_ended": ended},
            )
        return changed, ended

    changed, ended = write(conn, revoke)
    if changed:
        print(f"revoked {args.client_id}; ended {ended} access tokens")
    else:
        print(f"{args.client_id} was already revoked")
    return 0


def cmd_client_rotate(args: argparse.Namespace, settings: Settings) -> int:
    """Issue a new secret; the old one keeps working for the overlap."""
    if not is_uuid7(args.client_id):
        raise CliError(f"{args.client_id!r} is not a client id (see: schouw client list)")
    if not 0 <= args.overlap_days <= 90:
        raise CliError("--overlap-days must be between 0 and 90")
    conn = connect(settings)
    secret = secrets.token_urlsafe(32)
    new_hash = hash_password(secret)

    def rotate(c: sqlite3.Connection) -> str:
        client = load_secrets(c, args.client_id)
        if client is None:
            raise CliError(f"no client {args.client_id} (see: schouw client list)")
        if client.revoked:
            raise CliError(f"client {args.client_id} is revoked; register a new client instead")
        until = rotate_secret(c, args.client_id, new_hash, timedelta(days=args.overlap_days))
        append(
            c,
            SYSTEM,
            "client.rotate",
            object_type="api_client",
            object_id=args.client_id,
            detail={"previous_secret_until": until},
        )
        return until

    until = write(conn, rotate)
    print(f"new secret: {secret}")
    print(f"The previous secret keeps working until {until}; deploy the new one before then.")
    print("Store the secret now; it is not shown again (only its hash is kept).")
    return 0


def cmd_client_list(args: argparse.Namespace, settings: Settings) -> int:
    """List partner API clients (never their secrets)."""
    conn = connect(settings)
    for r in repository.list_clients(conn):
        state = "ingetrokken" if r["revoked_at"] else "actief"
        scopes = ",".join(msgspec.json.decode(r["scopes"]))
        print(f"{r['id']}  {r['agency_id']:<22} {state:<12} {scopes:<26} {r['name']}")
    return 0


def register(sub: Any) -> None:
    """Add ``client`` to the ``schouw`` parser."""
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
    p = client.add_parser(
        "rotate",
        help="issue a new secret; the old one works for an overlap",
        description="Issue a new secret for a client (printed once). The previous secret "
        "keeps working for the overlap, so the partner can deploy the new one without downtime.",
    )
    p.add_argument("client_id", help="the id printed by 'client add' or 'client list'")
    p.add_argument(
        "--overlap-days",
        type=int,
        default=DEFAULT_OVERLAP_DAYS,
        help=f"days the previous secret keeps working (default {DEFAULT_OVERLAP_DAYS})",
    )
    p.set_defaults(func=cmd_client_rotate)
    p = client.add_parser("list", help="list clients", description="List clients.")
    p.set_defaults(func=cmd_client_list)
    webhooks.register(client)
