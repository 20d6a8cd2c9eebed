"""Sync test helpers: a seeded case world, op builders and push/pull calls."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import msgspec

from server.auth.principal import Principal
from server.checklists.library import publish
from server.checklists.model import template_decoder
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import insert_user, seed_agencies

TEST_TEMPLATE: dict[str, Any] = {
    "slug": "sync-test",
    "version": 1,
    "title": "Synchronisatietest",
    "agency_kinds": ["*"],
    "legal_basis": "Testgrondslag",
    "sections": [
        {
            "key": "alles",
            "title": "Alle typen",
            "items": [
                {"key": "open", "type": "yes_no_na", "label": "Open?", "sensitivity": "shareable"},
                {
                    "key": "aantal",
                    "type": "number",
                    "label": "Aantal",
                    "min": 0,
                    "max": 100,
                    "sensitivity": "shareable",
                },
                {"key": "opmerking", "type": "text", "label": "Opmerking"},
                {
                    "key": "soort",
                    "type": "choice",
                    "label": "Soort",
                    "sensitivity": "shareable",
                    "options": [
                        {"key": "horeca", "label": "Horeca"},
                        {"key": "winkel", "label": "Winkel"},
                    ],
                },
                {
                    "key": "gebreken",
                    "type": "multi_choice",
                    "label": "Gebreken",
                    "options": [
                        {"key": "brand", "label": "Brand"},
                        {"key": "gas", "label": "Gas"},
                        {"key": "water", "label": "Water"},
                    ],
                },
                {"key": "datum", "type": "date", "label": "Datum"},
                {"key": "tijd", "type": "time", "label": "Tijd"},
                {
                    "key": "geheim",
                    "type": "text",
                    "label": "Politie-info",
                    "sensitivity": "restricted",
                },
                {"key": "foto", "type": "photo", "label": "Foto", "sensitivity": "shareable"},
            ],
        }
    ],
}
TEMPLATE_REF = "sync-test@1"
ITEMS = ("open", "aantal", "opmerking", "soort", "gebreken", "datum", "tijd", "geheim")


@dataclass
class World:
    """A case with two agencies (gemeente, politie), one inspection and a checklist each."""

    case_id: str
    inspection_id: str
    checklists: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)


def principal_of(
    world: World, username: str, role: str = "inspector", device_id: str | None = None
) -> Principal:
    """The caller a route would build for ``username`` of gemeente-groningen in ``world``
    (for tests that call the push or pull units directly)."""
    return Principal(
        user_id=world.users[username],
        username=username,
        name=username,
        agency_id="gemeente-groningen",
        roles=frozenset({role}),
        device_id=device_id,
    )


def publish_test_template(conn: sqlite3.Connection) -> None:
    """Publish :data:`TEST_TEMPLATE` (every item type and sensitivity)."""
    publish(conn, [template_decoder.decode(msgspec.json.encode(TEST_TEMPLATE))])


def insert_case(
    conn: sqlite3.Connection,
    *,
    agencies: list[str],
    inspectors: list[str],
    creator: str,
    teamlead_id: str | None = None,
    reference: str | None = None,
) -> World:
    """Insert a case, participation, one inspection and a checklist per agency; grant rows."""
    case_id, inspection_id = uuid7(), uuid7()
    now = now_iso()
    rev = record_change(conn, "case", case_id, case_id=case_id)
    conn.execute(
        "INSERT INTO cases (id, reference, postcode, huisnummer, business_name, kvk, reason,"
        " status, teamlead_id, created_by, created_at, rev) VALUES (?, ?, '9711AB', 12,"
        " 'Testbedrijf', '12345678', ?, 'planned', ?, ?, ?, ?)",
        (
            case_id,
            reference or f"RIT-TEST-{case_id[-6:]}",
            '{"category": "steekproef", "explanation": "Steekproef voor de test."}',
            teamlead_id,
            creator,
            now,
            rev,
        ),
    )
    conn.executemany(
        "INSERT INTO case_agencies (case_id, agency_id) VALUES (?, ?)",
        [(case_id, a) for a in agencies],
    )
    rev = record_change(conn, "inspection", inspection_id, case_id=case_id)
    conn.execute(
        "INSERT INTO inspections (id, case_id, scheduled_date, created_by, created_at, rev)"
        " VALUES (?, ?, '2026-05-04', ?, ?, ?)",
        (inspection_id, case_id, creator, now, rev),
    )
    conn.executemany(
        "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
        [(inspection_id, u) for u in inspectors],
    )
    checklists: dict[str, str] = {}
    for agency in agencies:
        checklist_id = uuid7()
        rev = record_change(
            conn, "checklist", checklist_id, case_id=case_id, checklist_id=checklist_id
        )
        conn.execute(
            "INSERT INTO checklists (id, inspection_id, case_id, agency_id, template_slug,"
            " template_version, created_at, rev) VALUES (?, ?, ?, ?, 'sync-test', 1, ?, ?)",
            (checklist_id, inspection_id, case_id, agency, now, rev),
        )
        checklists[agency] = checklist_id
    for user in inspectors:
        record_change(conn, "grant", case_id, case_id=case_id, user_id=user)
    return World(case_id, inspection_id, checklists)


async def seed_world(db: Database) -> World:
    """Users anna (gemeente inspector), bert (politie inspector), tara (gemeente team lead),
    piet (politie team lead), otto (gemeente inspector, not assigned); one shared case."""

    def fn(conn: sqlite3.Connection) -> World:
        seed_agencies(conn)
        publish_test_template(conn)
        users = {
            "anna": insert_user(conn, "anna", "gemeente-groningen", ["inspector"]),
            "bert": insert_user(conn, "bert", "politie", ["inspector"]),
            "tara": insert_user(conn, "tara", "gemeente-groningen", ["teamlead"]),
            "piet": insert_user(conn, "piet", "politie", ["teamlead"]),
            "otto": insert_user(conn, "otto", "gemeente-groningen", ["inspector"]),
        }
        world = insert_case(
            conn,
            agencies=["gemeente-groningen", "politie"],
            inspectors=[users["anna"], users["bert"]],
            creator=users["tara"],
            teamlead_id=users["tara"],
        )
        world.users = users
        return world

    return await db.write(fn)


def set_answer(
    seq: int, checklist_id: str, item_key: str, value: Any, base_rev: int | None = None
) -> dict[str, Any]:
    """A ``set_answer`` op."""
    return {
        "op": "set_answer",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:12:03.120+02:00",
        "checklist_id": checklist_id,
        "item_key": item_key,
        "value": value,
        "base_rev": base_rev,
    }


def add_note(seq: int, checklist_id: str, text: str, item_key: str | None = None) -> dict[str, Any]:
    """An ``add_note`` op."""
    op: dict[str, Any] = {
        "op": "add_note",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:13:00.000+02:00",
        "note_id": uuid7(),
        "checklist_id": checklist_id,
        "text": text,
    }
    if item_key is not None:
        op["item_key"] = item_key
    return op


def envelope(device_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    """A push body."""
    return {"device_id": device_id, "schema_version": 1, "ops": ops}


async def push(client: Any, session: dict[str, Any], ops: list[dict[str, Any]]) -> Any:
    """POST a push for a logged-in session; returns the response."""
    return await client.post(
        "/api/v1/sync/push", json=envelope(session["device_id"], ops), headers=session["headers"]
    )


async def pull_all(
    client: Any, session: dict[str, Any], cursor: str | None = None, limit: int = 500
) -> tuple[list[dict[str, Any]], str]:
    """Pull every page; return all records and the final cursor."""
    records: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        resp = await client.get("/api/v1/sync/pull", params=params, headers=session["headers"])
        assert resp.status_code == 200, resp.text
        body = resp.json()
        records += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return records, cursor or ""


def dump_state(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every domain table's rows (for identical-state comparisons)."""
    tables = [
        "cases",
        "inspections",
        "checklists",
        "answers",
        "notes",
        "photos",
        "conflicts",
        "ops",
        "changes",
    ]
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in tables:
        out[table] = [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
    return out


async def quick_session(db: Database, user_id: str) -> dict[str, Any]:
    """A registered device with tokens, without the (deliberately slow) password check."""
    from server.auth.tokens import issue_pair

    device_id = uuid7()

    def fn(conn: sqlite3.Connection) -> str:
        now = now_iso()
        conn.execute(
            "INSERT INTO devices (id, user_id, registered_at, last_seen_at) VALUES (?, ?, ?, ?)",
            (device_id, user_id, now, now),
        )
        return issue_pair(conn, user_id, device_id, 900, 3600).access_token

    token = await db.write(fn)
    return {"device_id": device_id, "headers": {"Authorization": f"Bearer {token}"}}
