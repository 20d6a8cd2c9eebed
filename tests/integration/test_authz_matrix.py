"""The authorization matrix of the API: every route x every kind of caller -> expected status.

Driven by the app's route table: ``test_every_route_has_a_row`` fails for a route without a
row here or in another matrix module registered in ``tests/authz_rows.py`` (see there for
the areas still pending). The expectations below are written **by hand** from the security
model (architecture §5 as summarised in docs/security.md and docs/cases.md); nothing is
computed by ``server.cases.visibility``, the code under test.

The callers, against one shared case of gemeente-groningen (the case's agency, team lead
tara) and politie, with inspectors anna (gemeente) and bert (politie) assigned:

=======  ==========  =================  ===========
caller   role        agency             on the case
=======  ==========  =================  ===========
anna     inspector   own (gemeente)     yes
bert     inspector   other (politie)    yes
otto     inspector   own (gemeente)     no
tara     team lead   own (gemeente)     yes (the case's team lead)
piet     team lead   other (politie)    yes
nora     team lead   nvwa               no
beheer   admin       own (gemeente)     no
=======  ==========  =================  ===========

Checklist-, photo- and conflict-scoped rows act on gemeente's checklist. Every call gets a
fresh case and fresh sessions, so one caller's success never changes the next one's answer.
Every refusal (403, 404) to a logged-in caller must leave an audit event with that caller
as actor and result ``denied`` or ``not-found``.

**Adding a route:** add a :class:`Row` to :data:`ROWS` with a request builder and the
expected status per caller (use the shorthands below), or, for an area with its own matrix
file, register it in ``tests/authz_rows.py``.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth.tokens import issue_pair
from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests import authz_rows
from tests.evidence_support import noisy_jpeg
from tests.support import PASSWORD, insert_user, seed_agencies
from tests.sync_support import envelope, insert_case, publish_test_template, set_answer

Client = AsyncTestClient[Litestar]

USERS = {
    "anna": ("gemeente-groningen", ["inspector"]),
    "bert": ("politie", ["inspector"]),
    "otto": ("gemeente-groningen", ["inspector"]),
    "tara": ("gemeente-groningen", ["teamlead"]),
    "piet": ("politie", ["teamlead"]),
    "nora": ("nvwa", ["teamlead"]),
    "beheer": ("gemeente-groningen", ["admin"]),
}
CALLERS = tuple(USERS)
INSPECTORS = ("anna", "bert", "otto")
LEADS_ON = ("tara", "piet")
NOT_ON = ("otto", "nora", "beheer")


def statuses(default: int, **by_caller: int) -> dict[str, int]:
    """``default`` for every caller, except those named."""
    return {c: by_caller.get(c, default) for c in CALLERS}


ALL_OK = statuses(200)
ON_CASE_ONLY = statuses(404, anna=200, bert=200, tara=200, piet=200)


def team_leads(ok: int) -> dict[str, int]:
    """Role guard ``teamlead``: inspectors and the admin 403, every team lead ``ok``."""
    return statuses(403, tara=ok, piet=ok, nora=ok)


def case_lead_only(ok: int) -> dict[str, int]:
    """Only the case's team lead; other team leads on it 403; team leads not on it 404."""
    return statuses(403, tara=ok, nora=404)


def lead_of_gemeente(ok: int) -> dict[str, int]:
    """Team leads of gemeente on the case (the owning agency); the role guard first."""
    return statuses(403, tara=ok, nora=404)


def review_gemeente(ok: int) -> dict[str, int]:
    """No role guard: not on the case 404, on it but not gemeente's team lead 403."""
    return statuses(403, tara=ok, otto=404, nora=404, beheer=404)


def uploader_only(ok: int) -> dict[str, int]:
    """Photo bytes: only the assigned inspector of the owning agency; everyone else 404."""
    return statuses(404, anna=ok)


@dataclass
class Ctx:
    """The running app, its users and a fresh case per call."""

    client: Client
    db: Database
    ids: dict[str, str]
    case_id: str = ""
    inspection_id: str = ""
    checklist: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    async def session(self, who: str) -> dict[str, Any]:
        device_id = uuid7()
        user_id = self.ids[who]

        def fn(conn: sqlite3.Connection) -> dict[str, Any]:
            now = now_iso()
            conn.execute(
                "INSERT INTO devices (id, user_id, registered_at, last_seen_at)"
                " VALUES (?, ?, ?, ?)",
                (device_id, user_id, now, now),
            )
            pair = issue_pair(conn, user_id, device_id, 900, 3600)
            return {
                "device_id": device_id,
                "refresh_token": pair.refresh_token,
                "headers": {"Authorization": f"Bearer {pair.access_token}"},
            }

        out: dict[str, Any] = await self.db.write(fn)
        return out

    async def fresh_case(self) -> str:
        def fn(conn: sqlite3.Connection) -> tuple[str, str, str]:
            world = insert_case(
                conn,
                agencies=["gemeente-groningen", "politie"],
                inspectors=[self.ids["anna"], self.ids["bert"]],
                creator=self.ids["tara"],
                teamlead_id=self.ids["tara"],
                reference=f"RIT-M-{uuid7()[-8:]}",
            )
            return world.case_id, world.inspection_id, world.checklists["gemeente-groningen"]

        case_id, self.inspection_id, self.checklist = await self.db.write(fn)
        return case_id

    async def as_user(self, who: str, method: str, url: str, **kwargs: Any) -> Any:
        session = await self.session(who)
        headers = {**session["headers"], **kwargs.pop("headers", {})}
        resp = await self.client.request(method, url, headers=headers, **kwargs)
        assert resp.status_code < 300, (url, resp.text)
        return resp


Request = tuple[str, str, dict[str, Any]]
Builder = Callable[[Ctx, str, dict[str, Any]], Awaitable[Request]]


@dataclass(frozen=True)
class Row:
    """One route: how to call it as ``caller`` (with that caller's session) and what each
    caller gets. ``public``: called without a token (login, static files)."""

    method: str
    path: str
    build: Builder
    expect: dict[str, int]
    public: bool = False


async def _photo(ctx: Ctx, item_key: str = "opmerking") -> tuple[str, bytes]:
    """An expected photo of gemeente's checklist, attached by anna through a push."""
    data = noisy_jpeg(320, 240, seed=len(ctx.extra))
    photo_id = uuid7()
    anna = await ctx.session("anna")
    op = {
        "op": "attach_photo",
        "op_id": uuid7(),
        "seq": 1,
        "client_time": now_iso(),
        "photo_id": photo_id,
        "checklist_id": ctx.checklist,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "mime": "image/jpeg",
        "item_key": item_key,
    }
    resp = await ctx.client.post(
        "/api/v1/sync/push", json=envelope(anna["device_id"], [op]), headers=anna["headers"]
    )
    assert resp.json()["results"][0]["status"] == "applied", resp.text
    ctx.extra["n"] = len(ctx.extra) + 1
    return photo_id, data


def _tus_headers(photo_id: str, data: bytes) -> dict[str, str]:
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("photo_id", photo_id), ("sha256", hashlib.sha256(data).hexdigest()))
    )
    return {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": meta}


async def _upload(ctx: Ctx) -> str:
    photo_id, data = await _photo(ctx)
    resp = await ctx.as_user(
        "anna", "POST", "/api/v1/uploads", headers=_tus_headers(photo_id, data)
    )
    return str(resp.headers["location"]).rsplit("/", 1)[-1]


async def _form(photo_id: str, data: bytes) -> dict[str, Any]:
    return {
        "data": {"photo_id": photo_id, "sha256": hashlib.sha256(data).hexdigest()},
        "files": {"file": ("foto.jpg", data, "image/jpeg")},
    }


async def _conflict(ctx: Ctx) -> str:
    phone, tablet = await ctx.session("anna"), await ctx.session("anna")
    for session, value in ((phone, "horeca"), (tablet, "winkel")):
        resp = await ctx.client.post(
            "/api/v1/sync/push",
            json=envelope(session["device_id"], [set_answer(1, ctx.checklist, "soort", value)]),
            headers=session["headers"],
        )
    conflict_id: str = resp.json()["results"][0]["conflict_id"]
    return conflict_id


REASON = {"category": "signaal", "explanation": "Meldingen van overlast en geblindeerde ramen."}
SUBJECT = {"address": {"postcode": "9711 AB", "huisnummer": 12, "city": "Groningen"}}


def simple(method: str, url: str, body: Any = None) -> Builder:
    """A request that needs nothing but the fresh case (``{case}``, ``{checklist}``,
    ``{inspection}`` are filled in)."""

    async def build(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
        filled = url.format(case=ctx.case_id, checklist=ctx.checklist, inspection=ctx.inspection_id)
        return method, filled, {} if body is None else {"json": body}

    return build


async def _login(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    body = {"username": caller, "password": PASSWORD, "device_id": uuid7()}
    return "POST", "/api/v1/auth/login", {"json": body}


async def _refresh(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    body = {"refresh_token": session["refresh_token"], "device_id": session["device_id"]}
    return "POST", "/api/v1/auth/refresh", {"json": body}


async def _push(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    return "POST", "/api/v1/sync/push", {"json": envelope(session["device_id"], [])}


async def _dismiss(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    body = {"source": "resident", "description": "Melding van een bewoner.", "subject": SUBJECT}
    signal = (await ctx.as_user("tara", "POST", "/api/v1/signals", json=body)).json()
    return "POST", f"/api/v1/signals/{signal['id']}/dismiss", {"json": {"reason": "Geen grond."}}


async def _reassign(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    url = f"/api/v1/cases/{ctx.case_id}/inspections/{ctx.inspection_id}/inspectors"
    return "PUT", url, {"json": {"inspectors": [ctx.ids[u] for u in ("anna", "bert", "otto")]}}


async def _intervention(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    view = await ctx.as_user(
        "tara",
        "POST",
        f"/api/v1/cases/{ctx.case_id}/interventions",
        json={"agency": "gemeente-groningen", "type": "waarschuwing"},
    )
    intervention_id = view.json()["interventions"][0]["id"]
    url = f"/api/v1/cases/{ctx.case_id}/interventions/{intervention_id}"
    return "PATCH", url, {"json": {"status": "opgelegd"}}


async def _handover(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    url = f"/api/v1/cases/{ctx.case_id}/handover"
    return "POST", url, {"json": {"teamlead_id": ctx.ids["piet"]}}


async def _link(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    first = ctx.case_id
    other = await ctx.fresh_case()
    ctx.case_id = first
    url = f"/api/v1/cases/{first}/duplicate-links"
    return "POST", url, {"json": {"duplicate_of": other}}


async def _unlink(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    _, url, kwargs = await _link(ctx, caller, session)
    await ctx.as_user("tara", "POST", url, **kwargs)
    link = await ctx.db.read(
        lambda c: c.execute(
            "SELECT id FROM case_links WHERE case_id = ?", (ctx.case_id,)
        ).fetchone()
    )
    return "DELETE", f"{url}/{link[0]}", {}


async def _resolve(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    conflict_id = await _conflict(ctx)
    body = {"candidate": 0, "reason": "Zo staat het in het KvK-uittreksel."}
    return "POST", f"/api/v1/conflicts/{conflict_id}/resolve", {"json": body}


async def _return(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    await ctx.db.write(
        lambda c: c.execute(
            "UPDATE checklists SET status = 'submitted', submitted_at = ? WHERE id = ?",
            (now_iso(), ctx.checklist),
        )
    )
    url = f"/api/v1/checklists/{ctx.checklist}/return"
    return "POST", url, {"json": {"text": "Graag de opmerking aanvullen."}}


async def _tus_create(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    photo_id, data = await _photo(ctx)
    return "POST", "/api/v1/uploads", {"headers": _tus_headers(photo_id, data)}


async def _tus_head(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    upload_id = await _upload(ctx)
    return "HEAD", f"/api/v1/uploads/{upload_id}", {"headers": {"Tus-Resumable": "1.0.0"}}


async def _tus_patch(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    upload_id = await _upload(ctx)
    headers = {
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
    }
    return "PATCH", f"/api/v1/uploads/{upload_id}", {"headers": headers, "content": b"\xff\xd8"}


async def _tus_delete(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    upload_id = await _upload(ctx)
    return "DELETE", f"/api/v1/uploads/{upload_id}", {"headers": {"Tus-Resumable": "1.0.0"}}


async def _form_upload(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    photo_id, data = await _photo(ctx)
    return "POST", "/api/v1/photos", await _form(photo_id, data)


async def _download(ctx: Ctx, caller: str, session: dict[str, Any]) -> Request:
    photo_id, data = await _photo(ctx)  # on a private item of gemeente
    await ctx.as_user("anna", "POST", "/api/v1/photos", **await _form(photo_id, data))
    return "GET", f"/api/v1/photos/{photo_id}/thumb", {}


def static(url: str) -> Builder:
    return simple("GET", url)


ROWS: list[Row] = [
    # public: no token needed
    Row("GET", "/health", static("/health"), ALL_OK, public=True),
    Row("POST", "/api/v1/auth/login", _login, ALL_OK, public=True),
    Row("POST", "/api/v1/auth/refresh", _refresh, ALL_OK, public=True),
    Row("GET", "/api/v1/openapi.json", static("/api/v1/openapi.json"), ALL_OK, public=True),
    Row("GET", "/", static("/"), ALL_OK, public=True),
    Row("GET", "/index.html", static("/index.html"), ALL_OK, public=True),
    Row("GET", "/sw.js", static("/sw.js"), ALL_OK, public=True),
    Row("GET", "/manifest.webmanifest", static("/manifest.webmanifest"), ALL_OK, public=True),
    Row("GET", "/vendor/{name:str}", static("/vendor/tus.min.js"), ALL_OK, public=True),
    Row("GET", "/css/{name:str}", static("/css/app.css"), ALL_OK, public=True),
    Row("GET", "/js/{name:str}", static("/js/app.js"), ALL_OK, public=True),
    Row("GET", "/icons/{name:str}", static("/icons/icon-192.png"), ALL_OK, public=True),
    # any logged-in user
    Row("POST", "/api/v1/auth/logout", simple("POST", "/api/v1/auth/logout"), ALL_OK),
    Row("GET", "/api/v1/templates", static("/api/v1/templates"), ALL_OK),
    Row(
        "GET",
        "/api/v1/templates/{slug:str}/{version:int}",
        static("/api/v1/templates/sync-test/1"),
        ALL_OK,
    ),
    Row("GET", "/api/v1", static("/api/v1"), ALL_OK),  # the OpenAPI document, logged in
    Row("GET", "/api/v1/{path:str}", static("/api/v1/bestaat-niet"), statuses(404)),
    Row("POST", "/api/v1/sync/push", _push, ALL_OK),
    Row("GET", "/api/v1/sync/pull", static("/api/v1/sync/pull"), ALL_OK),
    Row("GET", "/api/v1/cases", static("/api/v1/cases"), ALL_OK),  # lists only own cases
    # team leads (role guard); signals are per agency
    Row(
        "POST",
        "/api/v1/signals",
        simple(
            "POST",
            "/api/v1/signals",
            {"source": "resident", "description": "Melding van een bewoner.", "subject": SUBJECT},
        ),
        team_leads(201),
    ),
    Row("GET", "/api/v1/signals", static("/api/v1/signals"), team_leads(200)),
    Row(
        "POST",
        "/api/v1/signals/{signal_id:str}/dismiss",
        _dismiss,
        statuses(403, tara=200, piet=404, nora=404),  # another agency's signal: 404
    ),
    Row(
        "POST",
        "/api/v1/cases",
        simple("POST", "/api/v1/cases", {"reason": REASON, "subject": SUBJECT}),
        team_leads(201),
    ),
    Row("GET", "/api/v1/conflicts", static("/api/v1/conflicts"), team_leads(200)),
    # the case
    Row("GET", "/api/v1/cases/{case_id:str}", simple("GET", "/api/v1/cases/{case}"), ON_CASE_ONLY),
    Row(
        "POST",
        "/api/v1/cases/{case_id:str}/status",
        simple("POST", "/api/v1/cases/{case}/status", {"status": "inspected"}),
        statuses(403, tara=200, piet=200, nora=404),
    ),
    Row(
        "POST",
        "/api/v1/cases/{case_id:str}/inspections",
        simple(
            "POST",
            "/api/v1/cases/{case}/inspections",
            {
                "date": "2026-05-09",
                "checklists": [{"agency": "gemeente-groningen", "template": "sync-test@1"}],
                "inspectors": [],
            },
        ),
        statuses(403, tara=201, piet=201, nora=404),
    ),
    Row(
        "PUT",
        "/api/v1/cases/{case_id:str}/inspections/{inspection_id:str}/inspectors",
        _reassign,  # adds otto, a gemeente inspector: only gemeente's team lead
        lead_of_gemeente(200),
    ),
    Row(
        "POST",
        "/api/v1/cases/{case_id:str}/interventions",
        simple(
            "POST",
            "/api/v1/cases/{case}/interventions",
            {"agency": "gemeente-groningen", "type": "waarschuwing"},
        ),
        lead_of_gemeente(201),
    ),
    Row(
        "PATCH",
        "/api/v1/cases/{case_id:str}/interventions/{intervention_id:str}",
        _intervention,
        lead_of_gemeente(200),
    ),
    Row(
        "POST",
        "/api/v1/cases/{case_id:str}/close",
        simple(
            "POST",
            "/api/v1/cases/{case}/close",
            {"category": "overig", "text": "Afgerond.", "confirm_open_interventions": True},
        ),
        case_lead_only(200),
    ),
    Row("POST", "/api/v1/cases/{case_id:str}/handover", _handover, case_lead_only(200)),
    Row(
        "POST",
        "/api/v1/cases/{case_id:str}/duplicate-links",
        _link,  # any team lead on both cases
        statuses(403, tara=201, piet=201, nora=404),
    ),
    Row(
        "DELETE",
        "/api/v1/cases/{case_id:str}/duplicate-links/{link_id:str}",
        _unlink,
        statuses(403, tara=200, piet=200, nora=404),
    ),
    Row(
        "GET",
        "/api/v1/cases/{case_id:str}/evidence-package",
        simple("GET", "/api/v1/cases/{case}/evidence-package"),  # each lead: own agency's
        statuses(403, tara=200, piet=200, nora=404),
    ),
    # gemeente's checklist: review by gemeente's team leads
    Row("POST", "/api/v1/conflicts/{conflict_id:str}/resolve", _resolve, review_gemeente(200)),
    Row(
        "POST",
        "/api/v1/checklists/{checklist_id:str}/comments",
        simple("POST", "/api/v1/checklists/{checklist}/comments", {"text": "Graag aanvullen."}),
        review_gemeente(201),
    ),
    Row(
        "POST",
        "/api/v1/checklists/{checklist_id:str}/releases",
        simple(
            "POST",
            "/api/v1/checklists/{checklist}/releases",
            {"item_keys": ["open"], "basis": "Convenant RIEC"},
        ),
        review_gemeente(201),
    ),
    Row("POST", "/api/v1/checklists/{checklist_id:str}/return", _return, review_gemeente(200)),
    # photo bytes: only the uploader's side; downloads through the projection
    Row("POST", "/api/v1/uploads", _tus_create, uploader_only(201)),
    Row("HEAD", "/api/v1/uploads/{upload_id:str}", _tus_head, uploader_only(200)),
    Row("PATCH", "/api/v1/uploads/{upload_id:str}", _tus_patch, uploader_only(204)),
    Row("DELETE", "/api/v1/uploads/{upload_id:str}", _tus_delete, uploader_only(204)),
    Row("POST", "/api/v1/photos", _form_upload, uploader_only(201)),
    Row(
        "GET",
        "/api/v1/photos/{photo_id:str}/{variant:str}",
        _download,  # a private item of gemeente: gemeente's inspector and team lead only
        statuses(404, anna=200, tara=200),
    ),
]
authz_rows.cover(__name__, [(r.method, r.path) for r in ROWS])


def _routes(app: Litestar) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method != "OPTIONS"
    }


def test_every_route_has_a_row(app: Litestar) -> None:
    import importlib

    for module in authz_rows.MATRIX_MODULES:
        importlib.import_module(module)
    routes = _routes(app)
    pending = {r for r in routes if r[1].startswith(tuple(authz_rows.PENDING))}
    missing = sorted(routes - pending - set(authz_rows.COVERED))
    assert not missing, f"routes without a row in an authorization matrix: {missing}"
    stale = sorted(set(authz_rows.COVERED) - routes)
    assert not stale, f"rows for routes that no longer exist: {stale}"
    assert len(ROWS) == len({(r.method, r.path) for r in ROWS}), "one row per route"


async def _seed(db: Database) -> dict[str, str]:
    def fn(conn: sqlite3.Connection) -> dict[str, str]:
        seed_agencies(conn)
        publish_test_template(conn)
        return {name: insert_user(conn, name, a, roles) for name, (a, roles) in USERS.items()}

    ids: dict[str, str] = await db.write(fn)
    return ids


async def _refusals(db: Database, user_id: str, after: int) -> int:
    row = await db.read(
        lambda c: c.execute(
            "SELECT count(*) FROM audit_events WHERE id > ? AND actor_id = ?"
            " AND result IN ('denied', 'not-found')",
            (after, user_id),
        ).fetchone()
    )
    return int(row[0])


@pytest.mark.slow
async def test_authorization_matrix(client: Client, db: Database) -> None:
    ids = await _seed(db)
    wrong: list[str] = []
    for row in ROWS:
        for caller in CALLERS:
            ctx = Ctx(client, db, ids)
            ctx.case_id = await ctx.fresh_case()
            session = await ctx.session(caller)
            method, url, kwargs = await row.build(ctx, caller, session)
            headers = dict(kwargs.pop("headers", {}))
            if not row.public:
                headers.update(session["headers"])
            (last,) = await db.read(
                lambda c: c.execute("SELECT coalesce(max(id), 0) FROM audit_events").fetchone()
            )
            resp = await client.request(method, url, headers=headers, **kwargs)
            expected = row.expect[caller]
            label = f"{row.method} {row.path} as {caller}"
            if resp.status_code != expected:
                wrong.append(f"{label}: {resp.status_code}, expected {expected}: {resp.text[:160]}")
            elif (
                expected in (403, 404)
                and not row.public
                and await _refusals(db, ids[caller], last) < 1
            ):
                wrong.append(f"{label}: refused with {expected} but not audited")
    assert not wrong, "\n".join(wrong)
