"""``schouw user add|disable|list`` and ``schouw device list|revoke``."""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from typing import Any

import msgspec

from server.admin.common import CliError, connect, unknown_agency, write
from server.audit.log import SYSTEM, append
from server.auth import repository
from server.auth.passwords import hash_password, password_problem
from server.auth.principal import ROLES
from server.auth.tokens import end_user_tokens
from server.lib.ids import uuid7
from server.settings import Settings


def _read_password(args: argparse.Namespace) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Wachtwoord: ")
        if getpass.getpass("Nogmaals: ") != first:
            raise CliError("the two passwords differ")
        return first
    line = sys.stdin.readline().rstrip("\n")
    if not line:
        raise CliError("no password on standard input (give it as the first line)")
    return line


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add a user; the password comes from standard input or a prompt."""
    roles = sorted(set(args.role or []))
    if not roles:
        raise CliError("give at least one --role (inspector, teamlead, admin)")
    conn = connect(settings)
    if not repository.agency_exists(conn, args.agency):
        raise unknown_agency(conn, args.agency)
    password = _read_password(args)
    problem = password_problem(password)
    if problem:
        raise CliError(problem)
    user_id = uuid7()

    def add(c: sqlite3.Connection) -> None:
        if repository.user_id_by_username(c, args.username) is not None:
            raise CliError(f"user {args.username!r} already exists")
        repository.insert_user(
            c,
            user_id,
            username=args.username,
            name=args.name or args.username,
            agency_id=args.agency,
            roles=roles,
            password_hash=hash_password(password),
        )
        append(
            c,
            SYSTEM,
            "user.add",
            object_type="user",
            object_id=user_id,
            detail={"username": args.username, "agency": args.agency, "roles": roles},
        )

    write(conn, add)
    print(f"added {args.username} ({args.agency}; {', '.join(roles)})")
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Disable a user and end their tokens at once."""
    conn = connect(settings)

    def disable(c: sqlite3.Connection) -> int:
        user_id = repository.user_id_by_username(c, args.username)
        if user_id is None:
            raise CliError(f"no user {args.username!r}")
        repository.disable_user(c, user_id)
        ended = end_user_tokens(c, user_id)
        append(c, SYSTEM, "user.disable", object_type="user", object_id=user_id)
        return ended

    ended = write(conn, disable)
    print(f"disabled {args.username}; ended {ended} tokens")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    """List users."""
    conn = connect(settings)
    for r in repository.list_users(conn):
        state = "uitgeschakeld" if r["disabled_at"] else "actief"
        roles = ",".join(msgspec.json.decode(r["roles"]))
        print(f"{r['username']:<24} {r['agency_id']:<22} {roles:<26} {state:<14} {r['name']}")
    return 0


def cmd_device_list(args: argparse.Namespace, settings: Settings) -> int:
    """List devices with their user and state."""
    conn = connect(settings)
    for r in repository.list_devices(conn, args.user):
        state = "ingetrokken" if r["revoked_at"] else "actief"
        print(
            f"{r['id']}  {r['username']:<20} {state:<12} seq={r['last_seq']:<6} "
            f"gezien={r['last_seen_at']}  {r['label']}"
        )
    return 0


def cmd_device_revoke(args: argparse.Namespace, settings: Settings) -> int:
    """Revoke a device: its tokens stop working and it is told to wipe itself."""
    conn = connect(settings)

    def revoke(c: sqlite3.Connection) -> None:
        if repository.revoke_device(c, args.device_id) is None:
            raise CliError(f"no device {args.device_id}")
        append(c, SYSTEM, "device.revoke", object_type="device", object_id=args.device_id)

    write(conn, revoke)
    print(f"revoked {args.device_id}; its next call is told to wipe local data")
    return 0


def register(sub: Any) -> None:
    """Add ``user`` and ``device`` to the ``schouw`` parser."""
    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = user.add_parser("add", help="add a user (password from stdin or a prompt)")
    p.add_argument("username")
    p.add_argument("--agency", required=True, help="agency slug, e.g. gemeente-groningen")
    p.add_argument("--role", action="append", choices=ROLES, help="repeat for several roles")
    p.add_argument("--name", help="full name shown in the app")
    p.set_defaults(func=cmd_user_add)
    p = user.add_parser("disable", help="disable a user and end their tokens")
    p.add_argument("username")
    p.set_defaults(func=cmd_user_disable)
    p = user.add_parser("list", help="list users")
    p.set_defaults(func=cmd_user_list)

    device = sub.add_parser("device", help="manage devices").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = device.add_parser("list", help="list devices")
    p.add_argument("--user", help="only this username")
    p.set_defaults(func=cmd_device_list)
    p = device.add_parser("revoke", help="revoke a lost or stolen device")
    p.add_argument("device_id")
    p.set_defaults(func=cmd_device_revoke)
