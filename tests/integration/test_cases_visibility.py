"""The case view through the projection: other agencies see metadata and released items only."""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import add_user, login

Client = AsyncTestClient[Litestar]

REASON = {"category": "indicatoren", "explanation": "Geblindeerde ramen en veel bezoek 's nachts."}
SUBJECT = {"address": {"postcode": "9744 AA", "huisnummer": 5, "city": "Groningen"}}


def _answer(conn: sqlite3.Connection, checklist_id: str, key: str, value: Any, author: str) -> None:
    rev = record_change(conn, "answer", f"{checklist_id}/{key}", checklist_id=checklist_id)
    conn.execute(
        "INSERT INTO answers (checklist_id, item_key, value, rev, op_id, author_id, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (checklist_id, key, msgspec.json.encode(value).decode(), rev, uuid7(), author, now_iso()),
    )


def _note(conn: sqlite3.Connection, checklist_id: str, key: str | None, author: str) -> None:
    rev = record_change(conn, "note", checklist_id, checklist_id=checklist_id)
    conn.execute(
        "INSERT INTO notes (id, checklist_id, item_key, text, author_id, op_id, created_at, rev)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (uuid7(), checklist_id, key, f"notitie bij {key}", author, uuid7(), now_iso(), rev),
    )


def _release(conn: sqlite3.Connection, checklist_id: str, keys: list[str], author: str) -> None:
    release_id = uuid7()
    rev = record_change(conn, "release", release_id, checklist_id=checklist_id)
    conn.execute(
        "INSERT INTO releases (id, checklist_id, item_keys, basis, author_id, op_id, created_at,"
        " rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            release_id,
            checklist_id,
            msgspec.json.encode(keys).decode(),
            "Convenant RIEC Noord-Nederland",
            author,
            uuid7(),
            now_iso(),
            rev,
        ),
    )
    for key in keys:
        conn.execute(
            "INSERT INTO released_items (checklist_id, item_key, release_id) VALUES (?, ?, ?)",
            (checklist_id, key, release_id),
        )


def _checklist(view: dict[str, Any], agency: str) -> dict[str, Any]:
    for inspection in view["inspections"]:
        for checklist in inspection["checklists"]:
            if checklist["agency_id"] == agency:
                out: dict[str, Any] = checklist
                return out
    raise AssertionError(f"no checklist of {agency}")


async def test_other_agency_sees_metadata_and_released_shareable_items_only(
    client: Client, db: Database
) -> None:
    ids = {
        "tl-gem": await add_user(db, "tl-gem", "gemeente-groningen", ["teamlead"]),
        "ins-gem": await add_user(db, "ins-gem", "gemeente-groningen", ["inspector"]),
        "ins-pol": await add_user(db, "ins-pol", "politie", ["inspector"]),
        "tl-pol": await add_user(db, "tl-pol", "politie", ["teamlead"]),
        "ins-nla": await add_user(db, "ins-nla", "nla", ["inspector"]),
    }
    h = {name: (await login(client, name))["headers"] for name in ids}
    case = (
        await client.post(
            "/api/v1/cases", json={"reason": REASON, "subject": SUBJECT}, headers=h["tl-gem"]
        )
    ).json()
    plan = {
        "date": "2026-05-04",
        "checklists": [
            {"agency": "gemeente-groningen", "template": "gemeente-apv-alcoholwet@1"},
            {"agency": "politie", "template": "politie-ondermijning@1"},
        ],
        "inspectors": [ids["ins-gem"]],
    }
    planned = await client.post(
        f"/api/v1/cases/{case['id']}/inspections", json=plan, headers=h["tl-gem"]
    )
    assert planned.status_code == 201, planned.text
    planned = await client.put(  # politie's team lead assigns the politie inspector
        f"/api/v1/cases/{case['id']}/inspections/{planned.json()['inspections'][0]['id']}"
        "/inspectors",
        json={"inspectors": [ids["ins-gem"], ids["ins-pol"]]},
        headers=h["tl-pol"],
    )
    assert planned.status_code == 200, planned.text
    police = _checklist(planned.json(), "politie")["id"]
    gemeente = _checklist(planned.json(), "gemeente-groningen")["id"]

    def fill(conn: sqlite3.Connection) -> None:
        _answer(conn, police, "pol-drugs", "lijst-2", ids["ins-pol"])  # restricted
        _answer(conn, police, "pol-afscherming", ["afgeplakte-ramen"], ids["ins-pol"])  # shareable
        _answer(
            conn, police, "pol-advies-burgemeester", "13b-opiumwet", ids["ins-pol"]
        )  # shareable
        _note(conn, police, "pol-drugs", ids["ins-pol"])
        _note(conn, police, "pol-afscherming", ids["ins-pol"])
        _note(conn, police, None, ids["ins-pol"])
        _answer(conn, gemeente, "gem-leidinggevende-svh", "no", ids["ins-gem"])  # private
        _answer(conn, gemeente, "gem-exploitatievergunning", "yes", ids["ins-gem"])  # shareable

    await db.write(fill)

    async def view(who: str) -> dict[str, Any]:
        resp = await client.get(f"/api/v1/cases/{case['id']}", headers=h[who])
        assert resp.status_code == 200, resp.text
        out: dict[str, Any] = resp.json()
        return out

    # the gemeente inspector sees police metadata but no police content before a release
    seen = _checklist(await view("ins-gem"), "politie")
    assert seen["answers"] == {} and seen["notes"] == [] and not seen["full_access"]
    assert seen["progress"]["answered"] == 3 and seen["open_conflicts"] == 0
    own = _checklist(await view("ins-gem"), "gemeente-groningen")
    assert set(own["answers"]) == {"gem-leidinggevende-svh", "gem-exploitatievergunning"}

    # the police see all of their own checklist, nothing of the gemeente's unreleased items
    police_view = await view("tl-pol")
    assert set(_checklist(police_view, "politie")["answers"]) == {
        "pol-drugs",
        "pol-afscherming",
        "pol-advies-burgemeester",
    }
    assert len(_checklist(police_view, "politie")["notes"]) == 3
    assert _checklist(police_view, "gemeente-groningen")["answers"] == {}

    # the police release one shareable item; a restricted item in the release stays hidden
    await db.write(lambda c: _release(c, police, ["pol-afscherming", "pol-drugs"], ids["tl-pol"]))
    seen = _checklist(await view("ins-gem"), "politie")
    assert set(seen["answers"]) == {"pol-afscherming"}
    assert seen["answers"]["pol-afscherming"]["value"] == ["afgeplakte-ramen"]
    assert [n["item_key"] for n in seen["notes"]] == ["pol-afscherming"]
    assert set(_checklist(await view("tl-gem"), "politie")["answers"]) == {"pol-afscherming"}

    # someone of an agency that is not on the case gets 404, not 403
    outsider = await client.get(f"/api/v1/cases/{case['id']}", headers=h["ins-nla"])
    assert outsider.status_code == 404
