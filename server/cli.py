"""``schouw``: serve, init, demo, user, device, client, backup, restore, audit."""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from server.audit.log import SYSTEM, append, verify
from server.auth.passwords import hash_password, password_problem
from server.auth.principal import ROLES
from server.auth.tokens import end_user_tokens
from server.db.database import open_sync
from server.db.migrate import migrate
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.settings import Settings, SettingsError, load_settings


class CliError(Exception):
    """A command failed for a reason the operator can fix; the message says how."""


def connect(settings: Settings) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the database of the data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = open_sync(settings.db_path)
    migrate(conn)
    return conn


def write(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve API and PWA with uvicorn."""
    import uvicorn

    from server.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Schouw draait op http://{host}:{port}  (stoppen: Ctrl-C)", flush=True)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level=args.log_level,
        access_log=args.access_log,
        proxy_headers=False,
    )
    return 0


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    """Create the data directory and database and publish the template library."""
    from server.checklists.library import load_dir, publish

    conn = connect(settings)
    added = write(conn, lambda c: publish(c, load_dir()))
    print(f"Database ready at {settings.db_path} ({len(added)} templates published)")
    return 0


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
    if conn.execute("SELECT 1 FROM agencies WHERE id = ?", (args.agency,)).fetchone() is None:
        known = ", ".join(r[0] for r in conn.execute("SELECT id FROM agencies ORDER BY id"))
        raise CliError(f"unknown agency {args.agency!r}; known agencies: {known or '(none)'}")
    password = _read_password(args)
    problem = password_problem(password)
    if problem:
        raise CliError(problem)
    user_id = uuid7()

    def add(c: sqlite3.Connection) -> None:
        if c.execute("SELECT 1 FROM users WHERE username = ?", (args.username,)).fetchone():
            raise CliError(f"user {args.username!r} already exists")
        c.execute(
            "INSERT INTO users (id, username, name, agency_id, roles, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                args.username,
                args.name or args.username,
                args.agency,
                msgspec.json.encode(roles).decode(),
                hash_password(password),
                now_iso(),
            ),
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
        row = c.execute("SELECT id FROM users WHERE username = ?", (args.username,)).fetchone()
        if row is None:
            raise CliError(f"no user {args.username!r}")
        c.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now_iso(), row[0]))
        ended = end_user_tokens(c, row[0])
        append(c, SYSTEM, "user.disable", object_type="user", object_id=row[0])
        return ended

    ended = write(conn, disable)
    print(f"disabled {args.username}; ended {ended} tokens")
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    """List users."""
    conn = connect(settings)
    rows = conn.execute(
        "SELECT username, name, agency_id, roles, disabled_at FROM users"
        " ORDER BY agency_id, username"
    ).fetchall()
    for r in rows:
        state = "uitgeschakeld" if r["disabled_at"] else "actief"
        roles = ",".join(msgspec.json.decode(r["roles"]))
        print(f"{r['username']:<24} {r['agency_id']:<22} {roles:<26} {state:<14} {r['name']}")
    return 0


def cmd_device_list(args: argparse.Namespace, settings: Settings) -> int:
    """List devices with their user and state."""
    conn = connect(settings)
    query = (
        "SELECT d.id, u.username, d.label, d.last_seen_at, d.revoked_at, d.last_seq"
        " FROM devices d JOIN users u ON u.id = d.user_id"
    )
    params: tuple[str, ...] = ()
    if args.user:
        query += " WHERE u.username = ?"
        params = (args.user,)
    for r in conn.execute(query + " ORDER BY u.username, d.registered_at", params):
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
        row = c.execute("SELECT revoked_at FROM devices WHERE id = ?", (args.device_id,)).fetchone()
        if row is None:
            raise CliError(f"no device {args.device_id}")
        if row[0] is None:
            c.execute("UPDATE devices SET revoked_at = ? WHERE id = ?", (now_iso(), args.device_id))
        append(c, SYSTEM, "device.revoke", object_type="device", object_id=args.device_id)

    write(conn, revoke)
    print(f"revoked {args.device_id}; its next call is told to wipe local data")
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="schouw", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="serve API and PWA")
    p.add_argument("--host", help="address to bind (default SCHOUW_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default SCHOUW_PORT or 8000)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("init", help="create the database and publish the template library")
    p.set_defaults(func=cmd_init)

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

    audit = sub.add_parser("audit", help="audit log").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = audit.add_parser("verify", help="verify the hash chain")
    p.set_defaults(func=cmd_audit_verify)

    from server.cli_extra import register

    register(sub)
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


if __name__ == "__main__":
    # Run through the imported module so ``python -m server.cli`` and the console script share
    # one CliError class (subcommand modules import it from ``server.cli``).
    from server.cli import main as _main

    raise SystemExit(_main())
