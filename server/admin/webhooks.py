"""``schouw client webhook set|clear|test``, ``client deliveries`` and ``client replay``."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import timedelta
from typing import Any

import httpx
import msgspec

from server.admin.common import CliError, connect, write
from server.audit.log import SYSTEM, append
from server.lib.clock import now_iso, utc_now
from server.lib.ids import is_uuid7, uuid7
from server.partners import outbox
from server.partners.clients import WebhookState, clear_webhook, set_webhook, webhook_state
from server.partners.webhooks import (
    SOURCE,
    TYPE_PREFIX,
    CloudEvent,
    WebhookUrlError,
    check_url,
    new_secret,
    sign,
)
from server.settings import Settings

DEFAULT_OVERLAP_HOURS = 24


def _client(conn: sqlite3.Connection, client_id: str) -> WebhookState:
    if not is_uuid7(client_id):
        raise CliError(f"{client_id!r} is not a client id (see: schouw client list)")
    state = webhook_state(conn, client_id)
    if state is None:
        raise CliError(f"no client {client_id} (see: schouw client list)")
    if state.revoked:
        raise CliError(f"client {client_id} is revoked")
    return state


def cmd_webhook_set(args: argparse.Namespace, settings: Settings) -> int:
    """Register (or move) the client's endpoint; print its signing secret when new."""
    try:
        url = check_url(args.url, allow_loopback_http=settings.webhook_allow_loopback_http)
    except WebhookUrlError as exc:
        raise CliError(str(exc)) from None
    conn = connect(settings)

    def apply(c: sqlite3.Connection) -> str | None:
        state = _client(c, args.client_id)
        if "notifications" not in state.scopes:
            raise CliError(
                f"client {args.client_id} lacks the 'notifications' scope; register a client "
                "with --scope notifications"
            )
        secret = new_secret() if state.secret is None or args.rotate_secret else None
        set_webhook(c, args.client_id, url, secret, timedelta(hours=args.overlap_hours))
        append(
            c,
            SYSTEM,
            "client.webhook.set",
            object_type="api_client",
            object_id=args.client_id,
            detail={"url": url, "new_secret": secret is not None},
        )
        return secret

    secret = write(conn, apply)
    print(f"endpoint of {args.client_id}: {url}")
    if secret is not None:
        print(f"signing secret: {secret}")
        if args.rotate_secret:
            print(f"The previous secret also signs for {args.overlap_hours} hours.")
        print("Store the secret now; the receiver verifies every notification with it.")
    return 0


def cmd_webhook_clear(args: argparse.Namespace, settings: Settings) -> int:
    """Remove the client's endpoint and secrets."""
    conn = connect(settings)

    def apply(c: sqlite3.Connection) -> None:
        _client(c, args.client_id)
        clear_webhook(c, args.client_id)
        append(
            c, SYSTEM, "client.webhook.clear", object_type="api_client", object_id=args.client_id
        )

    write(conn, apply)
    print(f"endpoint of {args.client_id} removed")
    return 0


def cmd_webhook_test(args: argparse.Namespace, settings: Settings) -> int:
    """Send one signed test event (type ``nl.schouw.partner.test``, no case) now."""
    conn = connect(settings)
    state = _client(conn, args.client_id)
    if state.url is None or state.secret is None:
        raise CliError(f"client {args.client_id} has no endpoint (schouw client webhook set)")
    event_id = uuid7()
    body = CloudEvent(
        specversion="1.0",
        id=event_id,
        source=SOURCE,
        type=TYPE_PREFIX + "test",
        time=now_iso(),
        subject="test",
        dataref="",
        sequence="0",
        sequencetype="Integer",
        schouweventtypes="test",
    )
    raw = msgspec.json.encode(body)
    headers = sign(event_id, raw, [state.secret], utc_now()).as_dict()
    try:
        resp = httpx.post(
            state.url, content=raw, headers=headers, timeout=10, follow_redirects=False
        )
    except httpx.HTTPError as exc:
        raise CliError(f"the endpoint did not answer: {exc}") from None
    print(f"sent test event {event_id} to {state.url}: HTTP {resp.status_code}")
    return 0 if 200 <= resp.status_code < 300 else 1


def cmd_deliveries(args: argparse.Namespace, settings: Settings) -> int:
    """List notifications (newest first) with their state and attempts."""
    conn = connect(settings)
    for r in outbox.listing(conn, args.client, args.state, args.limit):
        print(
            f"{r['id']}  {r['state']:<9} attempts={r['attempts']:<2} client={r['client_id']}"
            f"  case={r['case_id']}  {r['types']}  {r['last_error'] or ''}"
        )
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Queue dead-lettered notifications again."""
    conn = connect(settings)
    ids = list(args.delivery_id)
    if args.all_dead:
        ids += [r["id"] for r in outbox.listing(conn, args.client, "dead", 1_000_000)]
    if not ids:
        raise CliError("name delivery ids, or use --all-dead (see: schouw client deliveries)")

    def apply(c: sqlite3.Connection) -> int:
        count = outbox.replay(c, ids)
        append(c, SYSTEM, "client.deliveries.replay", detail={"count": count})
        return count

    count = write(conn, apply)
    print(f"queued {count} dead-lettered notifications again")
    return 0


def register(client: Any) -> None:
    """Add ``webhook``, ``deliveries`` and ``replay`` under ``schouw client``."""
    hook = client.add_parser(
        "webhook", help="the client's notification endpoint", description="Webhook endpoint."
    ).add_subparsers(dest="webhook_action", required=True, metavar="ACTION")
    p = hook.add_parser(
        "set",
        help="register the endpoint (HTTPS); prints the signing secret when new",
        description="Register the endpoint notifications go to (HTTPS only; redirects are "
        "not followed). Prints the Standard Webhooks signing secret the first time.",
    )
    p.add_argument("client_id")
    p.add_argument("url")
    p.add_argument("--rotate-secret", action="store_true", help="issue a new signing secret")
    p.add_argument(
        "--overlap-hours",
        type=int,
        default=DEFAULT_OVERLAP_HOURS,
        help=f"hours the previous secret also signs (default {DEFAULT_OVERLAP_HOURS})",
    )
    p.set_defaults(func=cmd_webhook_set)
    p = hook.add_parser("clear", help="remove the endpoint", description="Remove the endpoint.")
    p.add_argument("client_id")
    p.set_defaults(func=cmd_webhook_clear)
    p = hook.add_parser("test", help="send a signed test event", description="Send a test.")
    p.add_argument("client_id")
    p.set_defaults(func=cmd_webhook_test)
    p = client.add_parser(
        "deliveries", help="list notifications and their state", description="Notifications."
    )
    p.add_argument("--client", help="only this client id")
    p.add_argument("--state", choices=["pending", "delivered", "dead"])
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_deliveries)
    p = client.add_parser(
        "replay", help="queue dead-lettered notifications again", description="Replay."
    )
    p.add_argument("delivery_id", nargs="*", help="ids from 'client deliveries'")
    p.add_argument("--all-dead", action="store_true", help="every dead-lettered notification")
    p.add_argument("--client", help="with --all-dead: only this client id")
    p.set_defaults(func=cmd_replay)
