"""One problem+json shape for every error status, and nothing half-written after a failure."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import PASSWORD, add_user, login

LOGIN = "/api/v1/auth/login"
REASON = {"category": "signaal", "explanation": "Meerdere meldingen van overlast in de avond"}
SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")


def assert_problem(resp: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    """The canonical shape: RFC 9457 members, problem+json, security headers."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    if slug is not None:
        assert body["type"] == f"/problems/{slug}"
    assert body["title"] and body["detail"]
    assert body["instance"] == resp.request.url.path
    for name in SECURITY_HEADERS:
        assert name in resp.headers, name
    for error in body.get("errors") or []:
        assert set(error) == {"field", "message"}
    return body


async def _world(client: AsyncTestClient[Any], db: Database) -> dict[str, Any]:
    await add_user(db, "lead", "gemeente-groningen", ["teamlead"])
    await add_user(db, "agent", "politie", ["inspector"])
    return {"lead": await login(client, "lead"), "agent": await login(client, "agent")}


async def test_400_malformed_json(client: AsyncTestClient[Any]) -> None:
    resp = await client.post(
        LOGIN, content=b'{"username": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(resp, 400, "bad-request")
    assert "geen geldige JSON" in body["detail"]


async def test_400_wrong_type_names_the_field(client: AsyncTestClient[Any]) -> None:
    resp = await client.post(LOGIN, json={"username": 5, "password": "x", "device_id": uuid7()})
    body = assert_problem(resp, 400, "bad-request")
    assert body["errors"][0]["field"] == "username"
    assert "username" in body["detail"]


async def test_400_nested_field_path(client: AsyncTestClient[Any], db: Database) -> None:
    world = await _world(client, db)
    resp = await client.post(
        "/api/v1/cases",
        headers=world["lead"]["headers"],
        json={"reason": {"category": "gevoel", "explanation": "x" * 20}},
    )
    body = assert_problem(resp, 400, "bad-request")
    assert body["errors"][0]["field"] == "reason.category"


async def test_401_missing_and_bad_token(client: AsyncTestClient[Any]) -> None:
    assert_problem(await client.get("/api/v1/cases"), 401)
    bad = await client.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"})
    assert_problem(bad, 401)


async def test_403_wrong_role(client: AsyncTestClient[Any], db: Database) -> None:
    world = await _world(client, db)
    resp = await client.post(
        "/api/v1/cases", headers=world["agent"]["headers"], json={"reason": REASON}
    )
    assert_problem(resp, 403)


async def test_404_unknown_route(client: AsyncTestClient[Any], db: Database) -> None:
    world = await _world(client, db)
    for path in ("/api/v1/does-not-exist", "/api/v1/cases/x/y/z"):
        assert_problem(await client.get(path, headers=world["lead"]["headers"]), 404)


async def test_404_for_a_case_the_caller_may_not_see(
    client: AsyncTestClient[Any], db: Database
) -> None:
    world = await _world(client, db)
    created = await client.post(
        "/api/v1/cases",
        headers=world["lead"]["headers"],
        json={"reason": REASON, "subject": {"address": {"postcode": "9711 AB", "huisnummer": 3}}},
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    hidden = await client.get(f"/api/v1/cases/{case_id}", headers=world["agent"]["headers"])
    missing = await client.get(f"/api/v1/cases/{uuid7()}", headers=world["agent"]["headers"])
    hidden_body = assert_problem(hidden, 404)
    missing_body = assert_problem(missing, 404)
    # Not 403, and nothing tells an existing case from a missing one but the id itself.
    assert hidden_body["type"] == missing_body["type"]
    assert hidden_body["title"] == missing_body["title"]
    assert (
        await client.get(f"/api/v1/cases/{case_id}", headers=world["lead"]["headers"])
    ).status_code == 200


def _count(settings: Settings, table: str) -> int:
    conn = sqlite3.connect(settings.db_path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


async def test_409_device_of_another_user_writes_nothing(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    world = await _world(client, db)
    before = {t: _count(settings, t) for t in ("devices", "tokens", "users")}
    resp = await client.post(
        LOGIN,
        json={"username": "lead", "password": PASSWORD, "device_id": world["agent"]["device_id"]},
    )
    assert_problem(resp, 409, "device-owned-by-other-user")
    assert {t: _count(settings, t) for t in before} == before


async def test_413_oversized_body(client: AsyncTestClient[Any]) -> None:
    body = b'{"username": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    resp = await client.post(LOGIN, content=body, headers={"content-type": "application/json"})
    assert_problem(resp, 413, "payload-too-large")


async def test_422_bad_device_id(client: AsyncTestClient[Any], db: Database) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    uuid4 = "3b241101-e2bb-4255-8caf-4136c566a962"  # well-formed, but not a UUIDv7
    resp = await client.post(
        LOGIN, json={"username": "anna", "password": PASSWORD, "device_id": uuid4}
    )
    body = assert_problem(resp, 422, "invalid-device-id")
    assert "UUIDv7" in body["detail"]


async def test_422_bad_postcode_names_the_field_and_writes_nothing(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    world = await _world(client, db)
    before = _count(settings, "cases"), _count(settings, "changes")
    resp = await client.post(
        "/api/v1/cases",
        headers=world["lead"]["headers"],
        json={"reason": REASON, "subject": {"address": {"postcode": "12345", "huisnummer": 3}}},
    )
    body = assert_problem(resp, 422)
    assert body["errors"][0]["field"] == "subject.address.postcode"
    assert "9711 AB" in body["detail"]
    assert (_count(settings, "cases"), _count(settings, "changes")) == before


async def test_429_login_throttling_by_username(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    wrong = {"username": "anna", "password": "helemaal fout", "device_id": uuid7()}
    for _ in range(settings.login_max_failures):
        assert_problem(await client.post(LOGIN, json=wrong), 401, "login-failed")
    resp = await client.post(LOGIN, json={**wrong, "password": PASSWORD})
    assert_problem(resp, 429, "too-many-requests")
    assert int(resp.headers["retry-after"]) > 0


async def test_429_login_throttling_by_address(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    for i in range(settings.login_max_failures):
        resp = await client.post(
            LOGIN, json={"username": f"gok{i}", "password": "fout", "device_id": uuid7()}
        )
        assert_problem(resp, 401)
    # A fresh username from the same address is slowed too.
    resp = await client.post(
        LOGIN, json={"username": "anna", "password": PASSWORD, "device_id": uuid7()}
    )
    assert_problem(resp, 429)


@pytest.mark.parametrize("path", ["/health", "/api/v1/openapi.json", "/"])
async def test_security_headers_on_success_and_static(
    client: AsyncTestClient[Any], path: str
) -> None:
    resp = await client.get(path)
    assert resp.status_code == 200
    for name in SECURITY_HEADERS:
        assert name in resp.headers, name
    assert resp.headers["x-content-type-options"] == "nosniff"
