"""The "no page shows what the projection hides" framework for the workspace.

A world with two agencies on one case; each agency's inspector writes **sentinels** through
real pushes into every hidden place (private and restricted answers, notes, photo place,
withdraw reasons, conflict candidates, amendment values and reasons, a rejected op's
payload, hence the op log) and its team lead adds a comment. Every workspace page is then
rendered as every kind of reader, and no page (HTML, CSV, ZIP, the live event stream) may
contain a sentinel the reader may not see: another agency's sentinels for a team lead on
the case, every sentinel for readers not on the case.

**Pages are enumerated from the route table.** Every ``GET`` route under ``/regie`` needs a
fixture in :data:`PAGES` (path → function returning the URLs to render for a reader) or a
reason in :data:`EXEMPT`; a new page without one fails ``test_every_page_has_a_fixture``.
A fixture receives a :class:`Visit` (the world's ids and the reader's logged-in browser)
and may post forms first (for pages that exist only after an action, like a package).
"""

from __future__ import annotations

import asyncio
import functools
import io
import re
import sqlite3
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.db import Database
from server.lib.clock import utc_now
from server.lib.ids import uuid7
from tests.support import PASSWORD, insert_user
from tests.sync_support import envelope, quick_session, seed_world

AGENCIES = ("gemeente-groningen", "politie")
INSPECTOR = {"gemeente-groningen": "anna", "politie": "bert"}
TEAMLEAD = {"gemeente-groningen": "tara", "politie": "piet"}
# Coordinates are sentinels too: their leading digits must never appear for outsiders.
GEO = {"gemeente-groningen": (53.918273, 6.817263), "politie": (52.736455, 5.645546)}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
# Reader → the agencies whose private data the reader may see.
READERS: dict[str, tuple[str, ...]] = {
    "tara": ("gemeente-groningen",),  # team lead of gemeente, the case's team lead
    "piet": ("politie",),  # team lead of politie, on the case
    "nora": (),  # team lead of nvwa: not on the case
    "beheer": (),  # admin of gemeente without the team lead role: not on the case
}


def sentinels(agency: str) -> list[str]:
    """Every sentinel one agency's people wrote somewhere hidden."""
    tag = "S" + agency[:3].upper()
    lat, lon = GEO[agency]
    return [
        f"{tag}ANSWER",
        f"{tag}RESTRICTED",
        f"{tag}NOTEITEM",
        f"{tag}NOTEFREE",
        f"{tag}WITHDRAW",
        f"{tag}CONFLICT",
        f"{tag}REJECTED",
        f"{tag}AMENDVAL",
        f"{tag}AMENDWHY",
        f"{tag}COMMENT",
        f"{lat:.4f}",
        f"{lon:.4f}",
    ]


def hidden_from(reader: str) -> list[str]:
    """The sentinels ``reader`` may not see."""
    return [s for agency in AGENCIES if agency not in READERS[reader] for s in sentinels(agency)]


@dataclass
class World:
    """Ids of everything seeded, for the fixtures."""

    case_id: str
    inspection_id: str
    checklists: dict[str, str]
    users: dict[str, str]
    photos: dict[str, list[str]] = field(default_factory=dict)
    devices: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)
    signal_id: str = ""


def _op(kind: str, seq: int, **fields: Any) -> dict[str, Any]:
    return {
        "op": kind,
        "op_id": uuid7(),
        "seq": seq,
        "client_time": "2026-05-04T09:12:03.120+02:00",
        **fields,
    }


def _user(name: str, agency: str, roles: list[str], conn: sqlite3.Connection) -> str:
    return insert_user(conn, name, agency, roles)


def _rev(checklist_id: str, item_key: str, conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT rev FROM answers WHERE checklist_id = ? AND item_key = ?", (checklist_id, item_key)
    ).fetchone()
    return int(row[0])


def seed(url: str, db: Database) -> World:
    """Seed the world through the running server (pushes and REST calls)."""
    base = asyncio.run(seed_world(db))
    for name, agency, roles in (
        ("nora", "nvwa", ["teamlead"]),
        ("beheer", "gemeente-groningen", ["admin"]),
    ):
        base.users[name] = asyncio.run(db.write(functools.partial(_user, name, agency, roles)))
    today = utc_now().date().isoformat()
    asyncio.run(
        db.write(lambda c: c.execute("UPDATE inspections SET scheduled_date = ?", (today,)))
    )
    world = World(base.case_id, base.inspection_id, base.checklists, base.users)
    with httpx.Client(base_url=url, timeout=30) as http:
        for agency in AGENCIES:
            checklist = world.checklists[agency]
            phone = asyncio.run(quick_session(db, world.users[INSPECTOR[agency]]))
            spare = asyncio.run(quick_session(db, world.users[INSPECTOR[agency]]))
            world.devices[agency] = [phone["device_id"], spare["device_id"]]
            tag = "S" + agency[:3].upper()
            lat, lon = GEO[agency]
            photos = [uuid7(), uuid7()]
            world.photos[agency] = photos
            ops = [
                _op(
                    "set_answer",
                    1,
                    checklist_id=checklist,
                    item_key="opmerking",
                    value=f"{tag}ANSWER",
                    base_rev=None,
                ),
                _op(
                    "set_answer",
                    2,
                    checklist_id=checklist,
                    item_key="geheim",
                    value=f"{tag}RESTRICTED",
                    base_rev=None,
                ),
                _op(
                    "add_note",
                    3,
                    note_id=uuid7(),
                    checklist_id=checklist,
                    item_key="opmerking",
                    text=f"{tag}NOTEITEM",
                ),
                _op("add_note", 4, note_id=uuid7(), checklist_id=checklist, text=f"{tag}NOTEFREE"),
                *[
                    _op(
                        "attach_photo",
                        5 + i,
                        photo_id=pid,
                        checklist_id=checklist,
                        item_key="opmerking",
                        sha256=f"{i + 1:064x}",
                        size=1000,
                        mime="image/jpeg",
                        captured_at="2026-05-04T09:12:03+02:00",
                        geo={"lat": lat, "lon": lon, "accuracy": 5.0},
                    )
                    for i, pid in enumerate(photos)
                ],
                _op("withdraw_photo", 7, photo_id=photos[1], reason=f"{tag}WITHDRAW"),
                _op(
                    "set_answer",
                    8,
                    checklist_id=checklist,
                    item_key="aantal",
                    value=f"{tag}REJECTED",
                    base_rev=None,
                ),
            ]
            resp = http.post(
                "/api/v1/sync/push",
                json=envelope(phone["device_id"], ops),
                headers=phone["headers"],
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["results"][-1]["status"] == "rejected"
            conflict = http.post(
                "/api/v1/sync/push",
                json=envelope(
                    spare["device_id"],
                    [
                        _op(
                            "set_answer",
                            1,
                            checklist_id=checklist,
                            item_key="opmerking",
                            value=f"{tag}CONFLICT",
                            base_rev=None,
                        )
                    ],
                ),
                headers=spare["headers"],
            )
            result = conflict.json()["results"][0]
            assert result["status"] == "conflict", result
            world.conflicts[agency] = result["conflict_id"]
            submit = http.post(
                "/api/v1/sync/push",
                json=envelope(
                    phone["device_id"], [_op("submit_checklist", 9, checklist_id=checklist)]
                ),
                headers=phone["headers"],
            )
            assert submit.json()["results"][0]["status"] == "applied", submit.text
            rev = asyncio.run(db.read(functools.partial(_rev, checklist, "geheim")))
            amend = http.post(
                "/api/v1/sync/push",
                json=envelope(
                    phone["device_id"],
                    [
                        _op(
                            "amend_answer",
                            10,
                            checklist_id=checklist,
                            item_key="geheim",
                            value=f"{tag}AMENDVAL",
                            reason=f"{tag}AMENDWHY",
                            base_rev=rev,
                        )
                    ],
                ),
                headers=phone["headers"],
            )
            assert amend.json()["results"][0]["status"] == "applied", amend.text
            lead = asyncio.run(quick_session(db, world.users[TEAMLEAD[agency]]))
            comment = http.post(
                f"/api/v1/checklists/{checklist}/comments",
                json={"text": f"{tag}COMMENT", "item_key": "opmerking"},
                headers=lead["headers"],
            )
            assert comment.status_code == 201, comment.text
        lead = asyncio.run(quick_session(db, world.users["tara"]))
        signal = http.post(
            "/api/v1/signals",
            json={
                "source": "resident",
                "description": "Gewone melding",
                "subject": {"business": {"name": "Bakkerij", "kvk": "12345678"}},
            },
            headers=lead["headers"],
        )
        assert signal.status_code == 201, signal.text
        world.signal_id = signal.json()["id"]
    return world


@dataclass
class Visit:
    """One reader's logged-in browser and the world, for the page fixtures."""

    world: World
    reader: str
    browser: httpx.Client

    def csrf(self) -> str:
        match = re.search(r'name="_csrf" value="([0-9a-f]+)"', self.browser.get("/regie/").text)
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """Post a workspace form as this reader."""
        return self.browser.post(
            path, data={"_csrf": self.csrf(), **(data or {})}, headers=SAME_ORIGIN
        )


def _case(v: Visit, *parts: str) -> list[str]:
    return ["/".join(["/regie/zaken", v.world.case_id, *parts])]


def _package(v: Visit) -> list[str]:
    built = v.post(f"/regie/zaken/{v.world.case_id}/bewijspakket")
    found = re.findall(r'href="(/regie/zaken/[^"]+/bewijspakket/[^"]+)"', built.text)
    return found or [f"/regie/zaken/{v.world.case_id}/bewijspakket/onbekend"]


def _checklists(v: Visit, page: str) -> list[str]:
    return [
        f"/regie/zaken/{v.world.case_id}/checklists/{cl}/{page}"
        for cl in v.world.checklists.values()
    ]


def _photos(v: Visit) -> list[str]:
    return [
        f"/regie/fotos/{pid}/{variant}"
        for pids in v.world.photos.values()
        for pid in pids
        for variant in ("thumb", "display", "original")
    ]


# GET route path (as in the route table) → the URLs to render for one reader.
PAGES: dict[str, Callable[[Visit], list[str]]] = {
    "/regie": lambda v: ["/regie/"],
    "/regie/zaken": lambda v: ["/regie/zaken", "/regie/zaken?q=RIT", "/regie/zaken?status=planned"],
    "/regie/zaken.csv": lambda v: ["/regie/zaken.csv"],
    "/regie/signalen": lambda v: ["/regie/signalen"],
    "/regie/signalen/{signal_id:str}": lambda v: [f"/regie/signalen/{v.world.signal_id}"],
    "/regie/apparaten": lambda v: ["/regie/apparaten"],
    "/regie/zaken/{case_id:str}": _case,
    "/regie/fotos/{photo_id:str}/{variant:str}": _photos,
    "/regie/zaken/{case_id:str}/checklists/{checklist_id:str}/terug": lambda v: _checklists(
        v, "terug"
    ),
    "/regie/zaken/{case_id:str}/checklists/{checklist_id:str}/vrijgeven": lambda v: _checklists(
        v, "vrijgeven"
    ),
    "/regie/zaken/{case_id:str}/conflicten": lambda v: _case(v, "conflicten"),
    "/regie/zaken/{case_id:str}/interventies": lambda v: _case(v, "interventies"),
    "/regie/zaken/{case_id:str}/afsluiten": lambda v: _case(v, "afsluiten"),
    "/regie/zaken/{case_id:str}/dubbelingen": lambda v: _case(v, "dubbelingen"),
    "/regie/zaken/{case_id:str}/rapport": lambda v: _case(v, "rapport"),
    "/regie/zaken/{case_id:str}/planning": lambda v: _case(v, "planning"),
    "/regie/zaken/{case_id:str}/bewijspakket/{package_id:str}": _package,
}
# GET routes that show no case data, with the reason.
EXEMPT: dict[str, str] = {
    "/regie/static/{name:str}": "our CSS and the pinned libraries: files from disk",
    "/regie/login": "the login form, before any session",
    "/regie/live": "checked separately: the live stream's first event, per reader",
}


def body_text(resp: httpx.Response) -> str:
    """What a response shows: text, or every member of a ZIP."""
    if resp.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(resp.content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()
            )
    return resp.content.decode("utf-8", errors="replace")


def login(url: str, reader: str) -> httpx.Client:
    """A browser logged in to the workspace as ``reader``."""
    browser = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    resp = browser.post(
        "/regie/login", data={"username": reader, "password": PASSWORD}, headers=SAME_ORIGIN
    )
    assert resp.status_code == 200 and resp.url.path == "/regie/", resp.text[:300]
    return browser


def first_live_event(browser: httpx.Client) -> str:
    """The live stream's first dashboard event."""
    with browser.stream("GET", "/regie/live") as resp:
        block: list[str] = []
        for line in resp.iter_lines():
            if line:
                block.append(line)
                continue
            if "event: overzicht" in block:
                return "\n".join(b[6:] for b in block if b.startswith("data: "))
            block = []
    raise AssertionError("the live stream ended without an event")


@dataclass
class Leak:
    """A hidden sentinel found where a reader could see it."""

    reader: str
    url: str
    sentinel: str


def sweep(
    url: str, world: World, pages: dict[str, Callable[[Visit], list[str]]]
) -> tuple[list[Leak], dict[str, set[str]]]:
    """Render every page as every reader; return the leaks and, per reader, the sentinels
    seen (to prove the pages show real content to those who may see it)."""
    leaks: list[Leak] = []
    seen: dict[str, set[str]] = {}
    for reader in READERS:
        hidden = hidden_from(reader)
        every = [s for agency in AGENCIES for s in sentinels(agency)]
        seen[reader] = set()
        browser = login(url, reader)
        try:
            visit = Visit(world, reader, browser)
            bodies: list[tuple[str, str]] = []
            for fixture in pages.values():
                for target in fixture(visit):
                    resp = browser.get(target)
                    assert resp.status_code < 500, (reader, target, resp.status_code)
                    bodies.append((target, body_text(resp)))
            bodies.append(("/regie/live", first_live_event(browser)))
            for target, text in bodies:
                for sentinel in every:
                    if sentinel in text:
                        seen[reader].add(sentinel)
                        if sentinel in hidden:
                            leaks.append(Leak(reader, target, sentinel))
        finally:
            browser.close()
    return leaks, seen
