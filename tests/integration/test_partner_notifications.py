"""Notifications against a real local receiver: Standard Webhooks signatures verify with the
``standardwebhooks`` verifier, a receiver that is down gets the events once it is up, a
notification that keeps failing is dead-lettered and can be replayed, and a secret rotation
keeps deliveries verifiable."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from server.app import create_app
from server.db import Database
from server.partners import outbox
from server.partners.clients import set_webhook
from server.partners.webhooks import new_secret
from server.settings import Settings
from tests.notify_support import Receiver, wait_for
from tests.partner_support import add_client, put_answer, release
from tests.sync_support import seed_world

EVENT_KEYS = {
    "specversion",
    "id",
    "source",
    "type",
    "time",
    "subject",
    "dataref",
    "sequence",
    "sequencetype",
    "schouweventtypes",
}


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        webhook_allow_loopback_http=True,
        webhook_retry_base_ms=50,
        webhook_coalesce_ms=200,
        **extra,
    )


async def _outbox(db: Database) -> list[dict[str, Any]]:
    rows = await db.read(lambda c: outbox.listing(c, None, None, 1000))
    return [dict(r) for r in rows]


async def test_signed_events_reach_a_receiver_that_was_down(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, webhook_max_attempts=50))
    receiver = Receiver()
    async with AsyncTestClient(app=app):
        db: Database = app.state.db
        world = await seed_world(db)
        politie = await add_client(db, "politie", ["cases:read", "notifications"])
        nvwa = await add_client(db, "nvwa", ["notifications"])  # not on the case
        secret = new_secret()
        other_receiver = Receiver()
        await db.write(lambda c: set_webhook(c, politie, receiver.url, secret, timedelta(0)))
        await db.write(
            lambda c: set_webhook(c, nvwa, other_receiver.url, new_secret(), timedelta(0))
        )
        await other_receiver.start()
        # The receiver is down: the first attempts fail and are retried.
        await db.write(lambda c: put_answer(c, world, "politie", "geheim", "GEHEIM-WAARDE"))

        async def failed_twice() -> bool:
            rows = await _outbox(db)
            return any(r["attempts"] >= 2 and r["state"] == "pending" for r in rows)

        await wait_for(failed_twice, "two failed attempts")
        await receiver.start()
        try:

            async def delivered() -> bool:
                rows = await _outbox(db)
                return bool(rows) and all(r["state"] == "delivered" for r in rows)

            await wait_for(delivered, "delivery after the receiver came up")
            got = receiver.received
            assert got
            verifier = Webhook(secret)
            event = verifier.verify(got[-1].body, got[-1].headers)
            assert set(event) == EVENT_KEYS
            assert event["subject"] == world.case_id and event["specversion"] == "1.0"
            assert event["type"].startswith("nl.schouw.partner.")
            assert event["id"] == got[-1].headers["webhook-id"]
            assert got[-1].headers["content-type"] == "application/cloudevents+json"
            assert b"GEHEIM-WAARDE" not in got[-1].body  # no case content, ever
            assert other_receiver.received == []  # nvwa is not on the case
            # A tampered body does not verify.
            tampered = got[-1].body.replace(b"1.0", b"1.1")
            try:
                verifier.verify(tampered, got[-1].headers)
            except Exception as exc:
                assert "signature" in str(exc).lower()
            else:
                raise AssertionError("a tampered body verified")

            # Several changes of one case in quick succession fold into few notifications,
            # and every delivery carries an id of its own.
            before = len(receiver.received)

            def burst(conn: sqlite3.Connection) -> None:
                for n in range(5):
                    put_answer(conn, world, "politie", "aantal", n)
                release(conn, world, "gemeente-groningen", ["open"])

            await db.write(burst)
            await wait_for(delivered, "the burst delivered")

            async def caught_up() -> bool:
                # The cursor first: once it has passed the burst, its rows are in the outbox.
                newest = await db.read(
                    lambda c: c.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
                )
                if await db.read(outbox.cursor) < newest:
                    return False
                rows = await _outbox(db)
                return all(r["state"] == "delivered" for r in rows)

            await wait_for(caught_up, "the worker caught up")
            burst_events = [msgspec.json.decode(r.body) for r in receiver.received[before:]]
            assert 1 <= len(burst_events) <= 2
            types = {t for e in burst_events for t in e["schouweventtypes"].split()}
            assert types == {"case-updated", "findings-released"}
            ids = [r.headers["webhook-id"] for r in receiver.received]
            attempts_total = sum(r["attempts"] for r in await _outbox(db))
            assert len(ids) <= attempts_total
        finally:
            await receiver.stop()
            await other_receiver.stop()


async def test_dead_letter_replay_and_secret_rotation(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, webhook_max_attempts=3))
    receiver = Receiver(status=500)
    await receiver.start()
    try:
        async with AsyncTestClient(app=app):
            db: Database = app.state.db
            world = await seed_world(db)
            client = await add_client(db, "politie", ["notifications"])
            old = new_secret()
            await db.write(lambda c: set_webhook(c, client, receiver.url, old, timedelta(0)))
            await db.write(lambda c: put_answer(c, world, "politie", "aantal", 1))

            async def dead() -> bool:
                rows = await _outbox(db)
                return bool(rows) and rows[0]["state"] == "dead"

            await wait_for(dead, "dead letter after 3 attempts")
            (row,) = await _outbox(db)
            assert row["attempts"] == 3 and row["last_status"] == 500
            assert len(receiver.received) == 3
            assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # retries
            # Rotate the signing secret (the old one still signs for a day), fix the receiver,
            # replay: delivered, verifiable with either secret.
            new = new_secret()
            await db.write(lambda c: set_webhook(c, client, receiver.url, new, timedelta(days=1)))
            receiver.status = 204
            assert await db.write(lambda c: outbox.replay(c, [row["id"]])) == 1

            async def delivered() -> bool:
                rows = await _outbox(db)
                return bool(rows[0]["state"] == "delivered")

            await wait_for(delivered, "replayed delivery")
            last = receiver.received[-1]
            assert last.headers["webhook-id"] == row["id"]
            assert len(last.headers["webhook-signature"].split(" ")) == 2
            for secret in (old, new):
                assert Webhook(secret).verify(last.body, last.headers)["subject"] == world.case_id
    finally:
        await receiver.stop()
