"""Login, refresh, logout, device binding, revocation and throttling over real HTTP."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import PASSWORD, add_user, login


async def test_login_returns_tokens_and_user(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    body = await login(client, "anna")
    assert body["user"]["agency"] == "gemeente-groningen"
    assert body["user"]["roles"] == ["inspector"]
    assert body["expires_in"] == 900
    resp = await client.post("/api/v1/auth/logout", headers=body["headers"])
    assert resp.status_code == 200


async def test_wrong_password_is_401_problem(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    resp = await client.post(
        "/api/v1/auth/login",
        json={"username": "anna", "password": "wrong", "device_id": uuid7()},
    )
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["detail"] == "Gebruikersnaam of wachtwoord onjuist."


async def test_a_body_nested_too_deep_is_a_400_problem(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    for body in (b"[" * 50_000, b'{"username": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"):
        resp = await client.post(
            "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
        )
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"].startswith("application/problem+json")
    body_ok = await login(client, "anna")
    assert body_ok["user"]["roles"] == ["inspector"]


async def test_device_of_other_user_is_409(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    await add_user(db, "bert", "politie", ["inspector"])
    first = await login(client, "anna")
    resp = await client.post(
        "/api/v1/auth/login",
        json={"username": "bert", "password": PASSWORD, "device_id": first["device_id"]},
    )
    assert resp.status_code == 409
    assert resp.json()["type"].endswith("/device-owned-by-other-user")


async def test_refresh_rotates_and_old_refresh_fails(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    body = await login(client, "anna")
    payload = {"refresh_token": body["refresh_token"], "device_id": body["device_id"]}
    first = await client.post("/api/v1/auth/refresh", json=payload)
    assert first.status_code == 200
    new_headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert (await client.get("/api/v1/sync/pull", headers=new_headers)).status_code == 200
    again = await client.post("/api/v1/auth/refresh", json=payload)
    assert again.status_code == 401
    # reuse of the rotated-out token ended the whole family (test_login_hardening.py)
    assert (await client.post("/api/v1/auth/logout", headers=new_headers)).status_code == 401


async def test_revoked_device_gets_device_revoked(
    client: AsyncTestClient[Any], db: Database
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    body = await login(client, "anna")
    await db.write(
        lambda c: c.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ?", (now_iso(), body["device_id"])
        )
    )
    resp = await client.post("/api/v1/auth/logout", headers=body["headers"])
    assert resp.status_code == 401
    assert resp.json()["type"].endswith("/device-revoked")


async def test_disabled_user_tokens_end_at_once(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    body = await login(client, "anna")
    await db.write(
        lambda c: c.execute(
            "UPDATE users SET disabled_at = ? WHERE username = 'anna'", (now_iso(),)
        )
    )
    resp = await client.post("/api/v1/auth/logout", headers=body["headers"])
    assert resp.status_code == 401


async def test_repeated_failures_are_throttled(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    statuses = []
    for _ in range(6):
        resp = await client.post(
            "/api/v1/auth/login",
            json={"username": "anna", "password": "nope", "device_id": uuid7()},
        )
        statuses.append(resp.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    assert int(resp.headers["retry-after"]) > 0
    # Even the right password waits until the window has passed.
    resp = await client.post(
        "/api/v1/auth/login",
        json={"username": "anna", "password": PASSWORD, "device_id": uuid7()},
    )
    assert resp.status_code == 429


async def test_missing_token_is_401(client: AsyncTestClient[Any]) -> None:
    resp = await client.post("/api/v1/auth/logout")
    assert resp.status_code == 401
    assert resp.json()["type"].endswith("/missing-token")


async def test_health_and_openapi(client: AsyncTestClient[Any]) -> None:
    resp = await client.get("/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    spec = await client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/auth/login" in spec.json()["paths"]
