"""Partner photo downloads (projection, ETag, audit) and partner signals (idempotent)."""

from __future__ import annotations

import sqlite3

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.evidence_support import insert_photo, noisy_jpeg, seed_case, sha256
from tests.partner_support import ROOT, add_client, audit_rows, bearer
from tests.support import add_user, login

Client = AsyncTestClient[Litestar]
AGENCY = "gemeente-groningen"


async def test_photos_follow_the_projection(client: Client, db: Database) -> None:
    data = noisy_jpeg(800, 600)
    await add_user(db, "ines", AGENCY, ["inspector"])

    def fn(conn: sqlite3.Connection) -> tuple[str, str, str]:
        world = seed_case(conn, "ines", AGENCY, ("politie",))
        conn.execute(
            "UPDATE cases SET reason = ?",
            ('{"category": "steekproef", "explanation": "Steekproef voor de test."}',),
        )
        shared = insert_photo(conn, world, data)
        private = insert_photo(conn, world, data[:-2] + b"\xff\xd9", item_key=None)
        return world.case_id, shared, private

    case_id, shared, private = await db.write(fn)
    ines = (await login(client, "ines"))["headers"]
    for photo_id, blob in ((shared, data), (private, data[:-2] + b"\xff\xd9")):
        resp = await client.post(
            "/api/v1/photos",
            headers=ines,
            data={"photo_id": photo_id, "sha256": sha256(blob)},
            files={"file": ("foto.jpg", blob, "image/jpeg")},
        )
        assert resp.status_code == 201, resp.text
    own = await bearer(client, await add_client(db, AGENCY, ["photos:read", "cases:read"]))
    other = await bearer(client, await add_client(db, "politie", ["photos:read"]))
    no_scope = await bearer(client, await add_client(db, AGENCY, ["cases:read"]))

    async def get(who: dict[str, str], photo_id: str, variant: str, case: str = case_id) -> int:
        url = f"{ROOT}/cases/{case}/photos/{photo_id}/{variant}"
        return (await client.get(url, headers=who)).status_code

    for variant in ("thumb", "display", "original"):
        assert await get(own, shared, variant) == 200
        assert await get(own, private, variant) == 200  # the owner's client sees all
        assert await get(other, shared, variant) == 404  # shareable, not released
        assert await get(other, private, variant) == 404
    assert await get(own, shared, "thumb", case="some-other-case") == 404
    assert await get(own, shared, "raw") == 400
    assert await get(no_scope, shared, "thumb") == 403
    url = f"{ROOT}/cases/{case_id}/photos/{shared}/display"
    first = await client.get(url, headers=own)
    assert first.headers["content-type"] == "image/jpeg" and first.headers["etag"]
    assert first.headers["api-version"] == "1.1.0"
    again = await client.get(url, headers=own | {"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    # The summary links the photos the client may see.
    summary = (await client.get(f"{ROOT}/cases/{case_id}", headers=own)).json()
    photos = summary["visits"][0]["checklists"][0]["photos"]
    assert {p["id"] for p in photos} == {shared, private}
    assert all(p["links"]["thumb"].endswith("/thumb") for p in photos)
    views = await db.read(
        lambda c: c.execute(
            "SELECT actor_type, result, COUNT(*) FROM audit_events WHERE action LIKE"
            " 'photo.view%' AND actor_type = 'client' GROUP BY actor_type, result"
        ).fetchall()
    )
    assert {r[1]: r[2] for r in views} == {"ok": 8, "denied": 6}


SIGNAL = {
    "id": "zaak-2026-000123",
    "description": "Melding van de belastingdienst: veel contante betalingen.",
    "subject": {"business": {"name": "Shishalounge De Wolk", "kvk": "12345678"}},
}


async def test_signals_land_in_the_agency_inbox_idempotently(client: Client, db: Database) -> None:
    cid = await add_client(db, "belastingdienst", ["signals:write"])
    headers = await bearer(client, cid)
    created = await client.post(f"{ROOT}/signals", json=SIGNAL, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["clientSignalId"] == SIGNAL["id"] and body["status"] == "open"
    assert created.headers["location"].endswith(body["id"])
    again = await client.post(f"{ROOT}/signals", json=SIGNAL, headers=headers)
    assert again.status_code == 200 and again.json() == body
    reused = await client.post(
        f"{ROOT}/signals", json=SIGNAL | {"description": "Iets heel anders."}, headers=headers
    )
    assert reused.status_code == 409 and reused.json()["type"] == "/problems/signal-id-reused"
    for bad in ({"id": "x"}, SIGNAL | {"extra": 1}, SIGNAL | {"id": "met spatie"}):
        resp = await client.post(f"{ROOT}/signals", json=bad, headers=headers)
        assert resp.status_code == 400, resp.text
    bad_kvk = SIGNAL | {"id": "zaak-2", "subject": {"business": {"name": "X", "kvk": "12"}}}
    assert (await client.post(f"{ROOT}/signals", json=bad_kvk, headers=headers)).status_code == 422
    rows = await db.read(
        lambda c: c.execute(
            "SELECT source, agency_id, created_by, created_by_client FROM signals"
        ).fetchall()
    )
    assert [tuple(r) for r in rows] == [("partner", "belastingdienst", None, cid)]
    # The team lead of the agency finds it in the signal inbox.
    await add_user(db, "bea", "belastingdienst", ["teamlead"])
    lead = (await login(client, "bea"))["headers"]
    inbox = (await client.get("/api/v1/signals", headers=lead)).json()
    assert [s["id"] for s in inbox["signals"]] == [body["id"]]
    creates = await audit_rows(db, "signal.create")
    assert [(e["actor_type"], e["actor_id"]) for e in creates] == [("client", cid)]
    reader = await bearer(client, await add_client(db, "belastingdienst", ["cases:read"]))
    denied = await client.post(f"{ROOT}/signals", json=SIGNAL, headers=reader)
    assert denied.status_code == 403
