"""Login throttling counted before the hash, token families, JSON only, cache policy."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import PASSWORD, add_user, login

Client = AsyncTestClient[Any]


def _body(username: str, password: str) -> dict[str, Any]:
    return {"username": username, "password": password, "device_id": uuid7()}


async def test_parallel_wrong_passwords_are_throttled(
    client: Client, db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    responses = await asyncio.gather(
        *(client.post("/api/v1/auth/login", json=_body("anna", "fout")) for _ in range(24))
    )
    statuses = sorted(r.status_code for r in responses)
    limit = settings.login_max_failures
    assert statuses == [401] * limit + [429] * (24 - limit)


async def test_a_success_does_not_reset_the_address(client: Client, db: Database) -> None:
    """Four wrong and one right, repeated, is not unlimited guessing from one address."""
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    await add_user(db, "bert", "politie", ["inspector"])
    statuses = []
    for _ in range(2):
        for _ in range(4):
            resp = await client.post("/api/v1/auth/login", json=_body("anna", "fout"))
            statuses.append(resp.status_code)
        resp = await client.post("/api/v1/auth/login", json=_body("bert", PASSWORD))
        statuses.append(resp.status_code)
    assert statuses[:5] == [401, 401, 401, 401, 200]
    # the success took back only its own count: the fifth failure fills the window
    assert statuses[5:] == [401, 429, 429, 429, 429]


async def test_login_and_refresh_require_json(client: Client, db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    import json

    for path, body in (
        ("/api/v1/auth/login", _body("anna", PASSWORD)),
        ("/api/v1/auth/refresh", {"refresh_token": "sr_x", "device_id": uuid7()}),
    ):
        resp = await client.post(
            path, content=json.dumps(body), headers={"Content-Type": "text/plain"}
        )
        assert resp.status_code == 415, resp.text
        assert resp.json()["type"] == "/problems/unsupported-media-type"
    count = await db.read(
        lambda c: c.execute("SELECT count(*) FROM audit_events WHERE action = 'login'").fetchone()
    )
    assert count[0] == 0  # no attempt was spent or logged


async def test_reusing_a_rotated_refresh_token_ends_the_family(
    client: Client, db: Database
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    first = await login(client, "anna")
    other_phone = await login(client, "anna")
    device = first["device_id"]
    rotated = await client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": first["refresh_token"], "device_id": device},
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    new_headers = {"Authorization": f"Bearer {new['access_token']}"}
    assert (await client.get("/api/v1/sync/pull", headers=new_headers)).status_code == 200
    # the old refresh token comes back (a thief, or a copy): the whole family ends
    reuse = await client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": first["refresh_token"], "device_id": device},
    )
    assert reuse.status_code == 401
    assert reuse.json()["type"] == "/problems/refresh-token-reused"
    assert (await client.get("/api/v1/sync/pull", headers=new_headers)).status_code == 401
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"], "device_id": device}
    )
    assert again.status_code == 401
    # another login (another family) is untouched
    assert (
        await client.get("/api/v1/sync/pull", headers=other_phone["headers"])
    ).status_code == 200
    events = await db.read(
        lambda c: c.execute(
            "SELECT result, object_id FROM audit_events WHERE action = 'token.reuse'"
        ).fetchall()
    )
    assert [tuple(e) for e in events] == [("revoked", device)]


async def test_cache_policy(client: Client, db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    session = await login(client, "anna")
    token = await client.post("/api/v1/auth/login", json=_body("anna", PASSWORD))
    assert token.headers["cache-control"] == "no-store"
    for url in ("/api/v1/sync/pull", "/api/v1/cases", f"/api/v1/cases/{uuid7()}"):
        resp = await client.get(url, headers=session["headers"])
        assert resp.headers["cache-control"] == "no-store", url
    logout = await client.post("/api/v1/auth/logout", headers=session["headers"])
    assert logout.status_code == 200
    assert logout.headers["clear-site-data"] == '"cache"'
    assert logout.headers["cache-control"] == "no-store"


async def test_workspace_form_login_is_counted_before_verifying(
    client: Client, db: Database, settings: Settings
) -> None:
    """The workspace's login form shares the counters and the same rule."""
    from tests.workspace_support import ws_login

    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await add_user(db, "rik", "politie", ["teamlead"])
    responses = await asyncio.gather(*(ws_login(client, "marieke", "fout") for _ in range(12)))
    limit = settings.login_max_failures
    assert sorted(r.status_code for r in responses) == [401] * limit + [429] * (12 - limit)
    # a right password elsewhere from this address does not wipe the address's failures
    assert (await ws_login(client, "rik")).status_code == 429
