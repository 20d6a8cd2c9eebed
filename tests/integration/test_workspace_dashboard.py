"""Overzicht: inspections with their phones' sync state from ``client_state``, conflicts,
duplicates, rejected ops, the live event stream, and a query count independent of size."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import utc_now
from server.settings import Settings
from tests.support import PASSWORD
from tests.sync_support import envelope, quick_session, seed_world, set_answer
from tests.workspace_support import SAME_ORIGIN, ws_login


async def _today(db: Database) -> None:
    today = utc_now().date().isoformat()
    await db.write(lambda c: c.execute("UPDATE inspections SET scheduled_date = ?", (today,)))


async def test_dashboard_shows_each_phone_with_its_unsent_work(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    await _today(db)
    anna = await quick_session(db, world.users["anna"])
    checklist = world.checklists["gemeente-groningen"]
    body = envelope(anna["device_id"], [set_answer(1, checklist, "opmerking", "x")])
    body["client_state"] = {"outbox": 4, "photos_pending": 1, "reported_at": "2026-05-04T09:00Z"}
    resp = await client.post("/api/v1/sync/push", json=body, headers=anna["headers"])
    assert resp.status_code == 200
    await ws_login(client, "tara")
    page = await client.get("/regie/")
    assert page.status_code == 200
    html = page.text
    assert "RIT-TEST-" in html and "Vandaag" in html
    assert f'data-device="{anna["device_id"]}"' in html
    assert "4 wijzigingen, 1 foto's niet verstuurd" in html
    assert 'data-unsent="4"' in html
    assert "bert" in html and "Nog geen apparaat aangemeld" in html
    # A stale report (older than 15 minutes) is shown greyed as outdated.
    await db.write(
        lambda c: c.execute("UPDATE device_states SET received_at = '2026-01-01T00:00:00.000Z'")
    )
    assert "verouderd" in (await client.get("/regie/")).text


async def test_rejected_ops_show_who_and_why_but_never_the_payload(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    checklist = world.checklists["gemeente-groningen"]
    bad = set_answer(1, checklist, "aantal", "GEHEIM-PAYLOAD-WAARDE")
    resp = await client.post(
        "/api/v1/sync/push", json=envelope(anna["device_id"], [bad]), headers=anna["headers"]
    )
    assert resp.json()["results"][0]["status"] == "rejected"
    await ws_login(client, "tara")
    html = (await client.get("/regie/")).text
    assert "Afgewezen wijzigingen uit het veld" in html
    assert "set_answer" in html and "anna" in html
    assert "GEHEIM-PAYLOAD-WAARDE" not in html
    # The politie team lead does not see the gemeente inspector's rejected ops.
    await ws_login(client, "piet")
    assert "set_answer" not in (await client.get("/regie/")).text


def test_live_stream_sends_the_new_state_after_a_push(settings: Settings) -> None:
    """Against a real uvicorn server: the stream sends the re-rendered dashboard when a
    phone pushes, and listening does not count as activity."""
    import threading

    import httpx

    from tests.evidence_support import live_server

    with live_server(settings) as server:
        db: Database = server.app.state.db
        world = asyncio.run(seed_world(db))
        asyncio.run(_today(db))
        anna = asyncio.run(quick_session(db, world.users["anna"]))
        checklist = world.checklists["gemeente-groningen"]
        events: list[str] = []
        done = threading.Event()
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as browser:
            login = browser.post(
                "/regie/login",
                data={"username": "tara", "password": PASSWORD},
                headers=SAME_ORIGIN,
            )
            assert login.status_code == 200 and "Overzicht" in login.text

            def listen() -> None:
                with browser.stream("GET", "/regie/live") as resp:
                    assert resp.headers["content-type"].startswith("text/event-stream")
                    block: list[str] = []
                    for line in resp.iter_lines():
                        if line:
                            block.append(line)
                            continue
                        if "event: overzicht" in block:
                            events.append("\n".join(b[6:] for b in block if b[:6] == "data: "))
                            if 'data-unsent="2"' in events[-1]:
                                done.set()
                                return
                        block = []

            thread = threading.Thread(target=listen, daemon=True)
            thread.start()
            deadline = time.monotonic() + 20
            while not events and time.monotonic() < deadline:
                time.sleep(0.05)
            assert events and 'data-unsent="2"' not in events[0]
            body = envelope(anna["device_id"], [set_answer(1, checklist, "opmerking", "y")])
            body["client_state"] = {"outbox": 2}
            with httpx.Client(base_url=server.url, timeout=30) as phone:
                resp = phone.post("/api/v1/sync/push", json=body, headers=anna["headers"])
            assert resp.status_code == 200
            assert done.wait(20), events
            thread.join(timeout=1)
        rows = asyncio.run(
            db.read(
                lambda c: c.execute(
                    "SELECT last_active_at, created_at FROM workspace_sessions"
                ).fetchall()
            )
        )
        assert rows[0][0] == rows[0][1]  # the stream is not activity


def test_live_stream_renders_at_most_once_per_tick_while_phones_keep_pushing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Busy phones change the activity mark at every read; the stream must still wait a tick
    between renders (it used to re-render in a loop, competing with the pushes)."""
    import itertools

    import httpx

    from server.workspace import overview
    from tests.evidence_support import live_server

    counter = itertools.count()
    monkeypatch.setattr(overview, "activity_mark", lambda _conn: (next(counter),))
    monkeypatch.setattr(overview, "TICK_SECONDS", 0.25)
    with live_server(settings) as server:
        db: Database = server.app.state.db
        asyncio.run(seed_world(db))
        renders = 0
        with httpx.Client(base_url=server.url, timeout=30, follow_redirects=True) as browser:
            login = browser.post(
                "/regie/login",
                data={"username": "tara", "password": PASSWORD},
                headers=SAME_ORIGIN,
            )
            assert login.status_code == 200
            with browser.stream("GET", "/regie/live") as resp:
                started = time.monotonic()
                for line in resp.iter_lines():
                    if line == "event: overzicht":
                        renders += 1
                    if time.monotonic() - started > 1.5:
                        break
        # 1.5 s at one render per 0.25 s tick is at most 7; the old loop rendered hundreds.
        assert 1 <= renders <= 8, renders


async def test_live_stream_without_session_is_204(client: AsyncTestClient[Litestar]) -> None:
    resp = await client.get("/regie/live", follow_redirects=False)
    assert resp.status_code == 204


def _seed_many(conn: sqlite3.Connection, users: dict[str, str], n: int) -> None:
    from tests.sync_support import insert_case

    for _ in range(n):
        world = insert_case(
            conn,
            agencies=["gemeente-groningen", "politie"],
            inspectors=[users["anna"], users["bert"]],
            creator=users["tara"],
            teamlead_id=users["tara"],
        )
        conn.execute(
            "UPDATE inspections SET scheduled_date = ? WHERE id = ?",
            (utc_now().date().isoformat(), world.inspection_id),
        )
        for agency, checklist_id in world.checklists.items():
            conn.execute(
                "INSERT INTO photos (id, checklist_id, agency_id, sha256, size, mime, state,"
                " author_id, op_id, created_at, rev) VALUES (?, ?, ?, ?, 1, 'image/jpeg',"
                " 'expected', ?, ?, '2026-05-04T09:00:00Z', 1)",
                (
                    checklist_id + "p",
                    checklist_id,
                    agency,
                    "0" * 64,
                    users["anna"],
                    checklist_id + "o",
                ),
            )
        conn.execute(
            "INSERT INTO conflicts (id, checklist_id, case_id, item_key, candidates,"
            " created_at, rev) VALUES (?, ?, ?, 'opmerking', '[]', '2026-05-04T09:00Z', 1)",
            (world.case_id + "c", world.checklists["gemeente-groningen"], world.case_id),
        )


async def test_dashboard_query_count_is_the_same_at_n_and_10n(
    client: AsyncTestClient[Litestar], db: Database, app: Litestar
) -> None:
    from server.auth.principal import Principal
    from server.db.database import open_sync
    from server.workspace.dashboard import build_dashboard

    world = await seed_world(db)
    for name in ("anna", "bert"):
        await quick_session(db, world.users[name])
    tara = Principal(
        user_id=world.users["tara"],
        username="tara",
        name="tara",
        agency_id="gemeente-groningen",
        roles=frozenset({"teamlead"}),
        device_id=None,
    )

    def count(n: int) -> tuple[int, Any]:
        conn = open_sync(app.state.settings.db_path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            _seed_many(conn, world.users, n)
            conn.execute("COMMIT")
            statements: list[str] = []
            conn.set_trace_callback(statements.append)
            board = build_dashboard(conn, tara, utc_now())
            conn.set_trace_callback(None)
            return len(statements), board
        finally:
            conn.close()

    small, board_n = await asyncio.to_thread(count, 3)
    large, board_10n = await asyncio.to_thread(count, 27)  # 3 + 27 = 10 * 3
    assert board_n.inspections and board_10n.conflicts_total == 30
    assert sum(board_10n.counts.values()) == 31
    assert small == large
