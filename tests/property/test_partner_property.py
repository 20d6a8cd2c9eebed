"""Property: what a partner client sees (case summary, change-feed events, notifications) is
exactly what the visibility rule allows, in random worlds with sentinel values.

The oracle below restates the rule ("partner client of X" rows of the architecture) without
using the projection; the checks run against real SQLite files. The last test bypasses the
projection in the case view and shows the property then fails.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.cases import repository as repo
from server.cases.visibility import partner_reader
from server.db.database import open_sync
from server.db.migrate import migrate
from server.partners import outbox
from server.partners.clients import set_webhook
from server.partners.events import events_for, read_changes
from server.partners.summary import case_summary
from server.partners.webhooks import new_secret
from tests.partner_support import insert_client, put_answer, release
from tests.support import AGENCIES, insert_user, seed_agencies
from tests.sync_support import TEST_TEMPLATE, insert_case, publish_test_template

pytestmark = pytest.mark.slow
SENSITIVITY = {
    item["key"]: item.get("sensitivity", "private")
    for item in TEST_TEMPLATE["sections"][0]["items"]
    if item["type"] != "photo"
}
AGENCY_IDS = [a[0] for a in AGENCIES]
SHAREABLE = sorted(k for k, s in SENSITIVITY.items() if s == "shareable")
PERSON = "PERSON-SENTINEL"


@dataclass(frozen=True)
class World:
    """A case, who takes part, what each agency answered and released, interventions."""

    agencies: tuple[str, ...]
    answered: dict[str, frozenset[str]]
    released: dict[str, frozenset[str]]
    interventions: tuple[str, ...]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    agencies = tuple(
        draw(st.lists(st.sampled_from(AGENCY_IDS), min_size=1, max_size=4, unique=True))
    )
    keys = sorted(SENSITIVITY)
    answered = {a: frozenset(draw(st.lists(st.sampled_from(keys), unique=True))) for a in agencies}
    released = {
        a: frozenset(draw(st.lists(st.sampled_from(SHAREABLE), unique=True))) for a in agencies
    }
    interventions = tuple(draw(st.lists(st.sampled_from(agencies), max_size=3)))
    return World(agencies, answered, released, interventions)


def sentinel(agency: str, key: str) -> str:
    return f"SENTINEL-{agency}-{key}"


def oracle_item(reader: str, world: World, owner: str, key: str) -> bool:
    """The rule, restated: own agency all; others released shareable items; else nothing."""
    if reader not in world.agencies:
        return False
    if reader == owner:
        return True
    return SENSITIVITY[key] == "shareable" and key in world.released[owner]


def build(conn: sqlite3.Connection, world: World) -> tuple[str, dict[str, str]]:
    """Insert the world; return the case id and each agency's subscribed client id."""
    seed_agencies(conn)
    publish_test_template(conn)
    lead = insert_user(conn, "lead", world.agencies[0], ["teamlead"], name=PERSON)
    inspector = insert_user(conn, "ins", world.agencies[0], ["inspector"], name=PERSON + "-2")
    clients = {a: insert_client(conn, a, ["cases:read", "notifications"]) for a in AGENCY_IDS}
    for agency, client_id in clients.items():
        set_webhook(conn, client_id, f"https://{agency}.example/hook", new_secret(), timedelta(0))
    case = insert_case(
        conn, agencies=list(world.agencies), inspectors=[inspector], creator=lead, teamlead_id=lead
    )
    case.users = {"lead": lead}
    for agency in world.agencies:
        for key in sorted(world.answered[agency]):
            put_answer(conn, case, agency, key, sentinel(agency, key))
        if world.released[agency]:
            release(conn, case, agency, sorted(world.released[agency]))
    for n, agency in enumerate(world.interventions):
        repo.upsert_intervention(
            conn,
            intervention_id=f"iv-{n}",
            case_id=case.case_id,
            agency_id=agency,
            type="waarschuwing",
            status="open",
            due_date=None,
            description=f"DESCRIPTION-{agency}-{n}",
            created_by=lead,
        )
    return case.case_id, clients


def check(conn: sqlite3.Connection, world: World, case_id: str, clients: dict[str, str]) -> None:
    """Every reader's summary, feed events and notifications against the oracle."""
    changes, _ = read_changes(conn, 0, 100_000)
    readers = [partner_reader(a) for a in AGENCY_IDS]
    per_reader = events_for(conn, changes, readers)
    outbox.fill(conn, coalesce_ms=0, batch=100_000)
    for reader, events in zip(AGENCY_IDS, per_reader, strict=True):
        summary = case_summary(conn, reader, case_id)
        on_case = reader in world.agencies
        assert (summary is not None) == on_case, reader
        # Feed: an event for every answer change the reader may see, and for no other.
        answer_events = {
            (e.seq) for e in events if any(c.seq == e.seq and c.kind == "answer" for c in changes)
        }
        expected = {
            c.seq
            for c in changes
            if c.kind == "answer"
            and oracle_item(reader, world, _owner(conn, c.checklist_id), c.entity_id.split("/")[1])
        }
        assert answer_events == expected, reader
        assert all(e.case_id == case_id for e in events)
        assert bool(events) == on_case
        # Notifications: only for readers on the case, naming only the case.
        rows = outbox.listing(conn, clients[reader], None, 1000)
        assert bool(rows) == on_case, reader
        assert all(r["case_id"] == case_id for r in rows)
        if summary is None:
            continue
        text = msgspec.json.encode(summary).decode()
        assert PERSON not in text  # no person names
        users = [r[0] for r in conn.execute("SELECT id FROM users")]
        assert not any(user_id in text for user_id in users)  # nor person ids
        seen = {
            (c.agency, i.key): i.value
            for v in summary.visits
            for c in v.checklists
            for i in c.items
        }
        allowed = {
            (owner, key): sentinel(owner, key)
            for owner in world.agencies
            for key in world.answered[owner]
            if oracle_item(reader, world, owner, key)
        }
        assert seen == allowed, reader  # nothing hidden shows, nothing allowed is missing
        for owner, key in itertools.product(world.agencies, SENSITIVITY):
            if not oracle_item(reader, world, owner, key):
                assert sentinel(owner, key) not in text
        for n, agency in enumerate(world.interventions):
            assert (f"DESCRIPTION-{agency}-{n}" in text) == (agency == reader)


def _owner(conn: sqlite3.Connection, checklist_id: str | None) -> str:
    row = conn.execute("SELECT agency_id FROM checklists WHERE id = ?", (checklist_id,)).fetchone()
    return str(row[0])


def run_world(world: World) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = open_sync(Path(tmp) / "schouw.db")
        try:
            migrate(conn)
            conn.execute("BEGIN IMMEDIATE")
            case_id, clients = build(conn, world)
            conn.execute("COMMIT")
            check(conn, world, case_id, clients)
        finally:
            conn.close()


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(world=worlds())
def test_partners_see_exactly_what_the_rule_allows(world: World) -> None:
    run_world(world)


SHOWCASE = World(
    agencies=("gemeente-groningen", "politie"),
    answered={
        "gemeente-groningen": frozenset({"open", "opmerking"}),
        "politie": frozenset({"geheim", "aantal"}),
    },
    released={"gemeente-groningen": frozenset({"open"}), "politie": frozenset()},
    interventions=("politie",),
)


def test_the_property_fails_when_the_projection_is_bypassed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_world(SHOWCASE)  # holds with the projection in place
    import server.cases.view as view

    monkeypatch.setattr(view, "visible_items", lambda _r, _c, _cl, values, _s: dict(values))
    with pytest.raises(AssertionError):
        run_world(SHOWCASE)
