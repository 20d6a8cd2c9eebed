"""Due notifications: those of a client whose endpoint was cleared do not hold up others."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from server.db import Database
from server.lib.clock import iso, utc_now
from server.lib.ids import uuid7
from server.partners import outbox
from server.partners.clients import clear_webhook, set_webhook
from server.partners.webhooks import new_secret
from tests.partner_support import add_client
from tests.sync_support import seed_world

URL = "https://partner.example/hook"


async def test_rows_of_a_cleared_endpoint_do_not_starve_others(db: Database) -> None:
    world = await seed_world(db)
    gone = await add_client(db, "politie", ["notifications"])
    live = await add_client(db, "politie", ["notifications"])
    early = iso(utc_now() - timedelta(minutes=5))
    later = iso(utc_now() - timedelta(minutes=1))

    def fn(conn: sqlite3.Connection) -> None:
        for client in (gone, live):
            set_webhook(conn, client, URL, new_secret(), timedelta(0))
        rows = [(uuid7(), gone, early) for _ in range(3)] + [(uuid7(), live, later)]
        conn.executemany(
            "INSERT INTO notification_outbox (id, client_id, case_id, types, seq, created_at,"
            " due_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            [(i, c, world.case_id, '["case-updated"]', at, at) for i, c, at in rows],
        )
        clear_webhook(conn, gone)

    await db.write(fn)
    due = await db.read(lambda c: outbox.due(c, 2))  # fewer than the cleared client's rows
    assert [d.client_id for d in due] == [live]
    assert due[0].url == URL
