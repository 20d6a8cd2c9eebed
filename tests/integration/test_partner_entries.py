"""The notification tail's per-case entries (decided in SQL per case and event type) are
exactly the change feed's events of the same rows, coalesced per case."""

from __future__ import annotations

import sqlite3

from server.cases import repository as repo
from server.db import Database
from server.partners.events import agency_entries, agency_events, coalesce, last_seq
from tests.partner_support import put_answer, release, submit
from tests.sync_support import seed_world

AGENCIES = ("gemeente-groningen", "politie", "nvwa")


async def test_entries_equal_coalesced_events_for_every_page(db: Database) -> None:
    world = await seed_world(db)

    def act(conn: sqlite3.Connection) -> None:
        put_answer(conn, world, "gemeente-groningen", "opmerking", "privé")  # private
        put_answer(conn, world, "gemeente-groningen", "open", "ja")
        put_answer(conn, world, "politie", "open", "nee")
        release(conn, world, "gemeente-groningen", ["open"])
        put_answer(conn, world, "gemeente-groningen", "open", "nee")
        submit(conn, world, "gemeente-groningen")
        repo.upsert_intervention(
            conn,
            intervention_id="iv-1",
            case_id=world.case_id,
            agency_id="politie",
            type="proces-verbaal",
            status="open",
            due_date=None,
            description="",
            created_by=world.users["piet"],
        )
        put_answer(conn, world, "politie", "opmerking", "ook privé")
        repo.set_case_status(conn, world.case_id, "closed")

    await db.write(act)

    def compare(conn: sqlite3.Connection) -> int:
        end = last_seq(conn)
        pages = 0
        for agency in AGENCIES:
            for after in range(end + 1):
                for upto in range(after, end + 1):
                    expected = coalesce(agency_events(conn, agency, after, upto))
                    assert agency_entries(conn, agency, after, upto) == expected, (
                        agency,
                        after,
                        upto,
                    )
                    pages += bool(expected)
        return pages

    assert await db.read(compare) > 0  # some pages had events to compare
