"""A server SIGKILLed with undelivered notifications delivers all of them after a restart:
none lost, duplicates only as retries of the same webhook-id."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from standardwebhooks.webhooks import Webhook

from server.admin.common import connect, write
from server.partners.clients import set_webhook
from server.partners.webhooks import new_secret
from server.settings import Settings
from tests.live_server import LiveServer
from tests.notify_support import Receiver, wait_for
from tests.partner_support import insert_client, put_answer
from tests.support import insert_user, seed_agencies
from tests.sync_support import World, insert_case, publish_test_template

pytestmark = pytest.mark.slow
ENV = {
    "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP": "1",
    "SCHOUW_WEBHOOK_RETRY_BASE_MS": "100",
    "SCHOUW_WEBHOOK_COALESCE_MS": "0",
    "SCHOUW_WEBHOOK_MAX_ATTEMPTS": "50",
}


def _query(db_path: Path, sql: str) -> list[Any]:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_undelivered_notifications_survive_a_kill(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    receiver = Receiver()
    secret = new_secret()
    conn = connect(settings)

    def seed(c: sqlite3.Connection) -> list[World]:
        seed_agencies(c)
        publish_test_template(c)
        tara = insert_user(c, "tara", "gemeente-groningen", ["teamlead"])
        worlds = []
        for _ in range(8):
            world = insert_case(c, agencies=["politie"], inspectors=[], creator=tara)
            world.users = {"tara": tara}
            worlds.append(world)
        client = insert_client(c, "politie", ["notifications"])
        set_webhook(c, client, receiver.url, secret, timedelta(0))
        return worlds

    worlds = write(conn, seed)
    db_path = settings.db_path

    def change(some: list[World]) -> None:
        def apply(c: sqlite3.Connection) -> None:
            for w in some:
                put_answer(c, w, "politie", "aantal", 7)

        write(conn, apply)

    server = await asyncio.to_thread(LiveServer(settings.data_dir, env=ENV).start)
    try:
        change(worlds[:4])

        async def queued_and_failing() -> bool:
            rows = _query(
                db_path,
                "SELECT COUNT(DISTINCT case_id) FROM notification_outbox WHERE attempts >= 1"
                " AND state = 'pending'",
            )
            return int(rows[0][0]) == 4

        await wait_for(queued_and_failing, "undelivered notifications for every case")
        change(worlds[4:])  # some of these may not be tailed before the kill
    finally:
        await asyncio.to_thread(server.kill)
    pending = _query(db_path, "SELECT COUNT(*) FROM notification_outbox WHERE state = 'pending'")
    assert pending[0][0] > 0
    conn.close()

    await receiver.start()
    restarted = await asyncio.to_thread(LiveServer(settings.data_dir, env=ENV).start)
    try:
        last = _query(db_path, "SELECT MAX(seq) FROM changes")[0][0]

        async def all_delivered() -> bool:
            (cursor,) = _query(db_path, "SELECT value FROM meta WHERE key = 'notify_seq'")[0]
            states = _query(db_path, "SELECT DISTINCT state FROM notification_outbox")
            return int(cursor) >= last and [s[0] for s in states] == ["delivered"]

        await wait_for(all_delivered, "every notification delivered after the restart")
    finally:
        await asyncio.to_thread(restarted.stop)
        await receiver.stop()
    verifier = Webhook(secret)
    events = [verifier.verify(r.body, r.headers) for r in receiver.received]
    assert {e["subject"] for e in events} == {w.case_id for w in worlds}  # none lost
    changed = {w.case_id for w in worlds}
    updated = {e["subject"] for e in events if "case-updated" in e["schouweventtypes"]}
    assert updated == changed
    rows = _query(db_path, "SELECT id FROM notification_outbox")
    stored = {r[0] for r in rows}
    assert {e["id"] for e in events} == stored  # duplicates only as the same id again
    assert all(isinstance(msgspec.json.decode(r.body), dict) for r in receiver.received)
