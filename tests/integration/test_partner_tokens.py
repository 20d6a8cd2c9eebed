"""Partner API client credentials: token grant, refusals (401/403/400/429), all audited."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.clock import iso, utc_now
from server.partners.clients import end_client_tokens, rotate_secret
from tests.partner_support import ROOT, add_client, audit_rows, bearer, secret_hash, token_call

SECRET = "partner-secret-0123456789"


async def test_token_grant_and_use(client: AsyncTestClient[Litestar], db: Database) -> None:
    cid = await add_client(db, "politie", ["cases:read", "signals:write"])
    resp = await token_call(client, cid, scope="cases:read")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "cases:read" and body["access_token"].startswith("sp_")
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["api-version"] == "1.1.0"
    assert resp.headers["ratelimit-policy"] == '"partner";q=600;w=60'
    assert resp.headers["ratelimit"].startswith('"partner";r=599;t=')
    stored = await db.read(lambda c: c.execute("SELECT hash FROM client_tokens").fetchall())
    assert len(stored) == 1 and body["access_token"] not in stored[0][0]  # only the hash
    # No scope asked: every scope of the client.
    resp = await token_call(client, cid)
    assert resp.json()["scope"] == "cases:read signals:write"
    events = await audit_rows(db, "partner.token")
    assert [e["result"] for e in events] == ["ok", "ok"] and events[0]["actor_id"] == cid
    assert events[0]["actor_type"] == "client" and events[0]["agency_id"] == "politie"


async def test_token_refusals_are_problems_and_audited(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    cid = await add_client(db, "politie", ["cases:read"])
    wrong = await token_call(client, cid, secret="not-the-secret-at-all")
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["type"] == "/problems/invalid-client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert wrong.headers["api-version"] == "1.1.0"
    no_auth = await client.post(f"{ROOT}/oauth/token", data={"grant_type": "client_credentials"})
    assert no_auth.status_code == 401
    grant = await token_call(client, cid, grant_type="password")
    assert grant.status_code == 400 and grant.json()["type"] == "/problems/unsupported-grant-type"
    scope = await token_call(client, cid, scope="cases:read photos:read")
    assert scope.status_code == 400 and scope.json()["type"] == "/problems/invalid-scope"
    assert "photos:read" in scope.json()["detail"]
    unknown = await token_call(client, cid, scope="everything")
    assert unknown.status_code == 400
    reasons = [e["detail"]["reason"] for e in await audit_rows(db, "partner.token")]
    assert reasons == [
        "bad-credentials",
        "no-basic-credentials",
        "unsupported-grant-type",
        "invalid-scope",
        "invalid-scope",
    ]


async def test_revoked_expired_and_missing_scope(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    cid = await add_client(db, "politie", ["cases:read", "changes:read"])
    headers = await bearer(client, cid, scope="cases:read")
    ok = await client.get(f"{ROOT}/cases", headers=headers)
    assert ok.status_code == 200, ok.text
    # A token without the operation's scope: 403 naming the scope.
    narrow = await bearer(client, cid, scope="changes:read")
    denied = await client.get(f"{ROOT}/cases", headers=narrow)
    assert denied.status_code == 403 and denied.json()["type"] == "/problems/insufficient-scope"
    assert "cases:read" in denied.json()["detail"]
    # Expired token: 401.
    await db.write(
        lambda c: c.execute(
            "UPDATE client_tokens SET expires_at = ?", (iso(utc_now() - timedelta(seconds=1)),)
        )
    )
    expired = await client.get(f"{ROOT}/cases", headers=headers)
    assert expired.status_code == 401 and expired.json()["type"] == "/problems/invalid-token"
    # Revoked client: its live tokens end at once, and no new token is issued.
    headers = await bearer(client, cid)

    def revoke(c: sqlite3.Connection) -> None:
        c.execute("UPDATE api_clients SET revoked_at = '2026-01-01T00:00:00.000Z'")
        end_client_tokens(c, cid)

    await db.write(revoke)
    assert (await client.get(f"{ROOT}/cases", headers=headers)).status_code == 401
    again = await token_call(client, cid)
    assert again.status_code == 401 and "ingetrokken" in again.json()["detail"]
    missing = await client.get(f"{ROOT}/cases")
    assert missing.status_code == 401 and missing.json()["type"] == "/problems/missing-token"
    reasons = [e["detail"]["reason"] for e in await audit_rows(db, "partner.request")]
    assert reasons == [
        "missing-scope",
        "token-expired",
        "token-unknown",
        "missing-token",
    ]
    revoked = [e for e in await audit_rows(db, "partner.token") if e["result"] == "denied"]
    assert revoked[-1]["detail"]["reason"] == "revoked"


async def test_rotation_overlap(client: AsyncTestClient[Litestar], db: Database) -> None:
    cid = await add_client(db, "politie", ["cases:read"])
    new = "the-new-secret-9876543210"
    await db.write(lambda c: rotate_secret(c, cid, secret_hash(new), timedelta(days=7)))
    assert (await token_call(client, cid, secret=SECRET)).status_code == 200
    assert (await token_call(client, cid, secret=new)).status_code == 200
    secrets_used = [e["detail"]["secret"] for e in await audit_rows(db, "partner.token")]
    assert secrets_used == ["previous", "current"]
    # After the overlap the old secret is refused.
    await db.write(
        lambda c: c.execute(
            "UPDATE api_clients SET previous_secret_until = ?",
            (iso(utc_now() - timedelta(seconds=1)),),
        )
    )
    old = await token_call(client, cid, secret=SECRET)
    assert old.status_code == 401
    assert (await token_call(client, cid, secret=new)).status_code == 200


async def test_rate_limit(tmp_path: object) -> None:
    from pathlib import Path

    from server.app import create_app
    from server.settings import Settings

    settings = Settings(data_dir=Path(str(tmp_path)) / "data", partner_rate_limit=3)
    app = create_app(settings)
    async with AsyncTestClient(app=app) as http:
        db: Database = app.state.db
        cid = await add_client(db, "politie", ["cases:read"])
        headers = await bearer(http, cid)  # call 1
        for remaining in (1, 0):
            resp = await http.get(f"{ROOT}/cases", headers=headers)
            assert resp.status_code == 200
            assert f"r={remaining};" in resp.headers["ratelimit"]
        limited = await http.get(f"{ROOT}/cases", headers=headers)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["ratelimit-policy"] == '"partner";q=3;w=60'
        assert limited.headers["ratelimit"].startswith('"partner";r=0;t=')
        assert limited.json()["type"] == "/problems/too-many-requests"
        reasons = [e["detail"]["reason"] for e in await audit_rows(db, "partner.request")]
        assert reasons == ["rate-limited"]
