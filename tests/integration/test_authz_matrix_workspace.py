"""Authorization matrix of the workspace (``/regie``): every route x every kind of reader.

Readers, on one shared case of gemeente-groningen (its team lead is tara) and politie:

- ``anonymous``: no session cookie → sent to the login page (303; the event stream 204);
- ``inspector``: anna, a live session whose user no longer has a workspace role → sent to
  the field app (303 to ``/``);
- ``outsider``: nora, team lead of nvwa, not on the case → 404 for everything of the case;
- ``admin``: beheer, admin of gemeente-groningen without the team lead role: not on the case
  (404), refused team-lead-only actions (403), allowed the admin screens;
- ``other``: piet, team lead of politie on the case: sees it, acts for politie only (403
  for the case lead's and gemeente's actions);
- ``own``: tara, team lead of gemeente-groningen and the case's team lead.

Every state-changing request carries a valid CSRF token and a same-origin header, so the
matrix tests authorization, not CSRF. Forms are filled validly where the allowed answer
is a change (303), and left empty where the service would otherwise consume the object
(the allowed answer is then the form again with 422). The expectations are written by hand
from the rules (``docs/security.md``), not computed. Every 403/404 answered to a reader
with a session must be audited as ``request.refused``. Every ``/regie`` route must have a
row.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from tests import authz_rows
from tests.support import insert_user
from tests.sync_support import quick_session, seed_world
from tests.workspace_support import SAME_ORIGIN, csrf_of, session_cookie, use_cookie, ws_login

Client = AsyncTestClient[Litestar]
READERS = ("anonymous", "inspector", "outsider", "admin", "other", "own")
# Readers as users (the inspector's role is taken away after the login).
USERNAMES = {"inspector": "anna", "outsider": "nora", "admin": "beheer", "other": "piet"}
USERNAMES["own"] = "tara"
# Shorthands for the two answers nobody without a workspace session gets past.
GATE = {"anonymous": 303, "inspector": 303}


def row(outsider: int, admin: int, other: int, own: int, *, anonymous: int = 303) -> dict[str, int]:
    """The expected statuses of one route, in :data:`READERS` order."""
    return GATE | {
        "anonymous": anonymous,
        "outsider": outsider,
        "admin": admin,
        "other": other,
        "own": own,
    }


@dataclass(frozen=True)
class Row:
    """One route: how to call it, and what each reader gets."""

    method: str
    path: str  # exactly as in ``app.routes``
    expect: dict[str, int]
    form: dict[str, Any] = field(default_factory=dict)


SIGNAL = {
    "source": "anonymous",
    "description": "Matrix",
    "subject.address.postcode": "9711AB",
    "subject.address.huisnummer": "1",
}
CASE = "/regie/zaken/{case_id:str}"
CHECKLIST = CASE + "/checklists/{checklist_id:str}"

# Order matters where a row changes the world: the case is closed and the readers log out
# last, and within a row the case's own team lead goes last.
ROWS: list[Row] = [
    # Public: the static files and the login form; an empty password gets the form with 422.
    Row("GET", "/regie/static/{name:str}", dict.fromkeys(READERS, 200)),
    Row("GET", "/regie/login", dict.fromkeys(READERS, 200)),
    Row(
        "POST",
        "/regie/login",
        dict.fromkeys(READERS, 422),
        {"username": "tara", "password": ""},
    ),
    # Lists: every team lead and admin sees them (filtered to what they may see).
    Row("GET", "/regie", row(200, 200, 200, 200)),
    # The live stream never ends for a reader with a session, which the in-process client
    # cannot read; what each of those readers gets on it is checked per reader by
    # tests/integration/test_workspace_visibility.py (its first event).
    Row("GET", "/regie/live", {"anonymous": 204, "inspector": 303}),
    Row("GET", "/regie/zaken", row(200, 200, 200, 200)),
    Row("GET", "/regie/zaken.csv", row(200, 200, 200, 200)),
    Row("GET", "/regie/signalen", row(200, 200, 200, 200)),
    # Creating and triaging signals: team leads only (the admin is refused by the guard).
    Row("POST", "/regie/signalen", row(303, 403, 303, 303), SIGNAL),
    # A signal belongs to the agency that registered it (gemeente): 404 for the others.
    Row("GET", "/regie/signalen/{signal_id:str}", row(404, 200, 404, 200)),
    Row("POST", "/regie/signalen/{signal_id:str}/zaak", row(404, 403, 404, 422)),
    Row("POST", "/regie/signalen/{signal_id:str}/afwijzen", row(404, 403, 404, 422)),
    # Devices: a team lead sees and revokes the own agency's phones; users: admins only.
    Row("GET", "/regie/apparaten", row(200, 200, 200, 200)),
    Row("POST", "/regie/apparaten/{device_id:str}/intrekken", row(404, 303, 404, 409)),
    Row("POST", "/regie/gebruikers/{user_id:str}/uitschakelen", row(403, 303, 403, 403)),
    # The case file and its tabs: 404 for whoever is not on the case.
    Row("GET", CASE, row(404, 404, 200, 200)),
    Row("GET", "/regie/fotos/{photo_id:str}/{variant:str}", row(404, 404, 404, 404)),
    Row("GET", CHECKLIST + "/terug", row(404, 404, 403, 200)),
    Row("POST", CHECKLIST + "/terug", row(404, 404, 403, 422)),
    Row("GET", CHECKLIST + "/vrijgeven", row(404, 404, 403, 200)),
    Row("POST", CHECKLIST + "/vrijgeven", row(404, 404, 403, 422)),
    Row("GET", CASE + "/conflicten", row(404, 404, 200, 200)),
    Row("POST", CASE + "/conflicten/{conflict_id:str}", row(404, 404, 422, 422)),
    Row("GET", CASE + "/interventies", row(404, 404, 200, 200)),
    Row(
        "POST",
        CASE + "/interventies",
        row(404, 404, 303, 303),
        {"type": "proces-verbaal", "status": "lopend", "description": "Matrix"},
    ),
    Row(
        "POST",
        CASE + "/interventies/{intervention_id:str}",
        row(404, 404, 403, 303),
        {"status": "afgerond"},
    ),
    Row("GET", CASE + "/dubbelingen", row(404, 404, 200, 200)),
    Row("POST", CASE + "/dubbelingen", row(404, 404, 422, 422)),
    Row("POST", CASE + "/dubbelingen/{link_id:str}/ongedaan", row(404, 404, 404, 404)),
    Row("GET", CASE + "/rapport", row(404, 404, 200, 200)),
    Row("POST", CASE + "/bewijspakket", row(404, 404, 200, 200)),
    Row("GET", CASE + "/bewijspakket/{package_id:str}", row(404, 404, 404, 404)),
    Row("GET", CASE + "/planning", row(404, 404, 200, 200)),
    Row("POST", CASE + "/planning", row(404, 404, 422, 422)),
    Row("POST", CASE + "/planning/{inspection_id:str}/inspecteurs", row(404, 404, 303, 303)),
    Row(
        "POST",
        CASE + "/planning/overdragen",
        row(404, 404, 403, 422),
        {"reason": "Matrix"},
    ),
    Row("POST", CASE + "/status", row(404, 404, 422, 422), {"status": "gesloten"}),
    Row("GET", CASE + "/afsluiten", row(404, 404, 200, 200)),
    Row(
        "POST",
        CASE + "/afsluiten",
        row(404, 404, 403, 303),
        {"category": "geen-overtredingen", "text": "Matrix", "confirm": "ja"},
    ),
    # Logging out: the session ends; the answer is the login page.
    Row("POST", "/regie/logout", row(303, 303, 303, 303)),
]
authz_rows.cover(__name__, [(r.method, r.path) for r in ROWS])


def _seed_more(conn: sqlite3.Connection) -> dict[str, str]:
    return {
        "nora": insert_user(conn, "nora", "nvwa", ["teamlead"]),
        "beheer": insert_user(conn, "beheer", "gemeente-groningen", ["admin"]),
    }


async def _refusals(db: Database, user_id: str, after: int) -> int:
    row = await db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM audit_events WHERE id > ? AND actor_id = ?"
            " AND action = 'request.refused'",
            (after, user_id),
        ).fetchone()
    )
    return int(row[0])


async def _last_audit(db: Database) -> int:
    row = await db.read(
        lambda c: c.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()
    )
    return int(row[0])


async def test_every_workspace_route_and_reader(
    app: Litestar, client: Client, db: Database
) -> None:
    world = await seed_world(db)
    users = world.users | await db.write(_seed_more)
    gemeente = world.checklists["gemeente-groningen"]
    phone = await quick_session(db, users["anna"])
    # Sessions and CSRF tokens of every reader. anna logs in while she is a team lead and
    # loses the role afterwards: a live session of a user without a workspace role.
    await db.write(
        lambda c: c.execute("UPDATE users SET roles = ? WHERE username = 'anna'", ('["teamlead"]',))
    )
    sessions: dict[str, tuple[str, str]] = {}
    for reader, username in USERNAMES.items():
        client.cookies.clear()
        assert (await ws_login(client, username)).status_code == 303
        sessions[reader] = (session_cookie(client), await csrf_of(client))
    await db.write(
        lambda c: c.execute(
            "UPDATE users SET roles = ? WHERE username = 'anna'", ('["inspector"]',)
        )
    )
    # Objects the routes name: a signal, an intervention of gemeente.
    use_cookie(client, sessions["own"][0])
    csrf = sessions["own"][1]
    made = await client.post(
        "/regie/signalen",
        data=SIGNAL | {"_csrf": csrf},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    signal_id = made.headers["location"].rsplit("/", 1)[-1]
    added = await client.post(
        f"/regie/zaken/{world.case_id}/interventies",
        data={"type": "proces-verbaal", "status": "lopend", "_csrf": csrf},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    intervention_id = await db.read(
        lambda c: c.execute("SELECT id FROM interventions").fetchone()[0]
    )
    values = {
        "name": "regie.css",
        "case_id": world.case_id,
        "checklist_id": gemeente,
        "signal_id": signal_id,
        "device_id": phone["device_id"],
        "user_id": users["otto"],
        "photo_id": uuid7(),
        "variant": "thumb",
        "conflict_id": uuid7(),
        "intervention_id": intervention_id,
        "link_id": uuid7(),
        "package_id": uuid7(),
        "inspection_id": world.inspection_id,
    }
    wrong: list[str] = []
    for r in ROWS:
        url = re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], r.path)
        for reader in READERS:
            if reader not in r.expect:
                continue
            if reader == "anonymous":
                client.cookies.clear()
                csrf = ""
            else:
                use_cookie(client, sessions[reader][0])
                csrf = sessions[reader][1]
            last = await _last_audit(db)
            kwargs: dict[str, Any] = {"follow_redirects": False, "headers": dict(SAME_ORIGIN)}
            if r.method == "POST":
                kwargs["data"] = r.form | {"_csrf": csrf}
            resp = await client.request(r.method, url, **kwargs)
            expected = r.expect[reader]
            label = f"{r.method} {r.path} as {reader}"
            if resp.status_code != expected:
                wrong.append(f"{label}: {resp.status_code}, expected {expected}: {resp.text[:160]}")
                continue
            if reader in GATE and expected == 303:
                target = "/" if reader == "inspector" else "/regie/login"
                if not resp.headers["location"].startswith(target):
                    wrong.append(f"{label}: sent to {resp.headers['location']}, not {target}")
            refused = expected in (403, 404) and reader not in GATE
            if refused and await _refusals(db, users[USERNAMES[reader]], last) < 1:
                wrong.append(f"{label}: refused with {expected} but not audited")
    assert not wrong, "\n".join(wrong)
