"""Workspace sessions: login, fixation, expiry, logout, CSRF, roles, disabled users; and the
bearer-token API (push, uploads) untouched by the workspace's CSRF protection."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.auth.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from server.db import Database
from server.lib.clock import iso, now_iso, utc_now
from tests.support import add_user
from tests.workspace_support import SAME_ORIGIN, csrf_of, session_cookie, use_cookie, ws_login


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _sessions(db: Database) -> list[sqlite3.Row]:
    return await db.read(lambda c: c.execute("SELECT * FROM workspace_sessions").fetchall())


async def test_login_sets_a_strict_httponly_cookie_and_stores_only_a_hash(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    resp = await ws_login(client, "marieke")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/regie/"
    header = resp.headers["set-cookie"]
    assert header.startswith("schouw_regie=")
    lowered = header.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/regie" in lowered
    assert "secure" not in lowered  # plain HTTP in tests; see the HTTPS test below
    token = session_cookie(client)
    rows = await _sessions(db)
    assert [r["hash"] for r in rows] == [_hash(token)]
    assert token not in str([dict(r) for r in rows])
    page = await client.get("/regie/")
    assert page.status_code == 200
    assert "Mijn zaken per status" in page.text


async def test_https_cookie_is_secure_with_host_prefix(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    client.base_url = "https://testserver.local"
    resp = await ws_login(client, "marieke")
    assert resp.status_code == 303
    header = resp.headers["set-cookie"]
    assert header.startswith("__Host-schouw_regie=")
    lowered = header.lower()
    assert "secure" in lowered and "path=/;" in lowered and "domain" not in lowered
    assert (await client.get("/regie/")).status_code == 200


async def test_no_session_redirects_to_login(client: AsyncTestClient[Litestar]) -> None:
    resp = await client.get("/regie/", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/regie/login"
    htmx = await client.get("/regie/", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == "/regie/login"
    use_cookie(client, "ws_forged")
    forged = await client.get("/regie/")
    assert forged.url.path == "/regie/login"


async def test_new_session_id_at_login_fixation(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    first = session_cookie(client)
    # Logging in again (say, an attacker planted this cookie) ends the old session.
    await ws_login(client, "marieke")
    second = session_cookie(client)
    assert first and second and first != second
    assert [r["hash"] for r in await _sessions(db)] == [_hash(second)]
    use_cookie(client, first)
    stale = await client.get("/regie/", follow_redirects=False)
    assert stale.status_code == 303


async def test_idle_timeout_and_absolute_expiry(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    token = session_cookie(client)
    just_active = iso(utc_now() - IDLE_TIMEOUT + timedelta(minutes=1))
    await db.write(
        lambda c: c.execute("UPDATE workspace_sessions SET last_active_at = ?", (just_active,))
    )
    assert (await client.get("/regie/", follow_redirects=False)).status_code == 200
    idle = iso(utc_now() - IDLE_TIMEOUT - timedelta(seconds=1))
    await db.write(lambda c: c.execute("UPDATE workspace_sessions SET last_active_at = ?", (idle,)))
    assert (await client.get("/regie/", follow_redirects=False)).status_code == 303
    assert await _sessions(db) == []  # ended server-side, not just refused

    await ws_login(client, "marieke")
    assert session_cookie(client) != token
    row = (await _sessions(db))[0]
    created = row["created_at"]
    assert row["expires_at"] == iso(
        utc_now().fromisoformat(created.replace("Z", "+00:00")) + ABSOLUTE_TIMEOUT
    )
    # Active a second ago, but logged in more than 12 hours ago.
    await db.write(
        lambda c: c.execute(
            "UPDATE workspace_sessions SET expires_at = ?, last_active_at = ?",
            (iso(utc_now() - timedelta(seconds=1)), now_iso()),
        )
    )
    assert (await client.get("/regie/", follow_redirects=False)).status_code == 303
    assert await _sessions(db) == []


async def test_activity_extends_the_idle_timeout(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    old = iso(utc_now() - timedelta(minutes=20))
    await db.write(lambda c: c.execute("UPDATE workspace_sessions SET last_active_at = ?", (old,)))
    assert (await client.get("/regie/")).status_code == 200
    (row,) = await _sessions(db)
    assert row["last_active_at"] > old


async def test_logout_ends_the_session_server_side(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    token = session_cookie(client)
    csrf = await csrf_of(client)
    resp = await client.post(
        "/regie/logout", data={"_csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert resp.status_code == 303 and resp.headers["location"] == "/regie/login"
    assert await _sessions(db) == []
    use_cookie(client, token)
    replay = await client.get("/regie/", follow_redirects=False)
    assert replay.status_code == 303
    actions = await db.read(
        lambda c: [r[0] for r in c.execute("SELECT action FROM audit_events ORDER BY id")]
    )
    assert "workspace.login" in actions and "workspace.logout" in actions


async def test_csrf_refused_without_or_with_a_wrong_token(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    csrf = await csrf_of(client)
    missing = await client.post("/regie/logout", headers=SAME_ORIGIN, follow_redirects=False)
    assert missing.status_code == 403
    assert "beveiligingscode" in missing.text
    wrong = await client.post(
        "/regie/logout", data={"_csrf": "0" * 64}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert wrong.status_code == 403
    header = await client.post(
        "/regie/logout",
        headers={**SAME_ORIGIN, "X-CSRF-Token": "f" * 64, "Accept": "application/json"},
        follow_redirects=False,
    )
    assert header.status_code == 403
    assert header.headers["content-type"].startswith("application/problem+json")
    assert header.json()["type"].endswith("csrf-failed")
    # The right token but from another site: refused too.
    cross = await client.post(
        "/regie/logout",
        data={"_csrf": csrf},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert len(await _sessions(db)) == 1
    ok = await client.post(
        "/regie/logout",
        headers={**SAME_ORIGIN, "X-CSRF-Token": csrf},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert await _sessions(db) == []


async def test_cross_site_login_post_refused(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    form = {"username": "marieke", "password": "correct horse battery"}
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {},
    ):
        resp = await client.post("/regie/login", data=form, headers=headers, follow_redirects=False)
        assert resp.status_code == 403, headers
        assert session_cookie(client) == ""
    origin = await client.post(
        "/regie/login",
        data=form,
        headers={"Origin": "http://testserver.local"},
        follow_redirects=False,
    )
    assert origin.status_code == 303
    assert await _sessions(db)


async def test_inspector_is_sent_to_the_field_app(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "pieter", "gemeente-groningen", ["inspector"])
    resp = await ws_login(client, "pieter")
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    assert session_cookie(client) == ""
    assert await _sessions(db) == []


async def test_wrong_password_keeps_the_username_and_shares_the_api_throttle(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    limiter = client.app.state.auth.limiter
    assert client.app.state.sessions.limiter is limiter
    bad = await ws_login(client, "marieke", password="wrong")
    assert bad.status_code == 401
    assert 'value="marieke"' in bad.text and "onjuist" in bad.text
    # Failures through the API count for the form too (one shared counter per user and IP).
    for _ in range(limiter.max_failures - 1):
        api = await client.post(
            "/api/v1/auth/login",
            json={
                "username": "marieke",
                "password": "wrong",
                "device_id": "01890000-0000-7000-8000-000000000001",
            },
        )
        assert api.status_code == 401
    throttled = await ws_login(client, "marieke")
    assert throttled.status_code == 429
    assert "Retry-After" in throttled.headers
    assert "seconden" in throttled.text


async def test_disabled_user_session_ends_at_once(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    user_id = await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await ws_login(client, "marieke")
    assert (await client.get("/regie/")).status_code == 200
    await db.write(
        lambda c: c.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (now_iso(), user_id))
    )
    assert (await client.get("/regie/", follow_redirects=False)).status_code == 303
    assert await _sessions(db) == []


async def test_static_files_are_served_from_our_origin(client: AsyncTestClient[Litestar]) -> None:
    for name, kind in (
        ("htmx.min.js", "text/javascript"),
        ("htmx-sse.js", "text/javascript"),
        ("utrecht.css", "text/css"),
        ("voorbeeld-theme.css", "text/css"),
        ("regie.css", "text/css"),
    ):
        resp = await client.get(f"/regie/static/{name}")
        assert resp.status_code == 200, name
        assert resp.headers["content-type"].startswith(kind)
    for name in ("../../pyproject.toml", "package.json", "htmx.js"):
        assert (await client.get(f"/regie/static/{name}")).status_code == 404


async def test_bearer_api_push_and_uploads_work_unchanged_beside_a_workspace_session(
    client: AsyncTestClient[Litestar], db: Database, app: Litestar
) -> None:
    """The CSRF protection covers the workspace only: the field app's push and tus uploads
    carry no CSRF token or same-origin header and keep working, even when the browser also
    holds a workspace session cookie."""
    import base64

    from tests.evidence_support import noisy_jpeg, seed_photo, sha256
    from tests.support import login
    from tests.sync_support import envelope

    await add_user(db, "marieke", "gemeente-groningen", ["teamlead"])
    await add_user(db, "ines", "gemeente-groningen", ["inspector"])
    await ws_login(client, "marieke")
    assert session_cookie(client)
    data = noisy_jpeg(320, 240)
    _, photo_id = await seed_photo(db, "ines", "gemeente-groningen", data)
    auth = await login(client, "ines")
    cross = {"Sec-Fetch-Site": "cross-site", **auth["headers"]}
    pushed = await client.post(
        "/api/v1/sync/push", json=envelope(auth["device_id"], []), headers=cross
    )
    assert pushed.status_code == 200, pushed.text
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in (("photo_id", photo_id), ("sha256", sha256(data)))
    )
    created = await client.post(
        "/api/v1/uploads",
        headers={
            **cross,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta,
        },
    )
    assert created.status_code == 201, created.text
    done = await client.patch(
        created.headers["Location"],
        content=data,
        headers={
            **cross,
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": "0",
        },
    )
    assert done.status_code == 204, done.text
    await app.state.photos.idle()
    state = await db.read(
        lambda c: c.execute("SELECT state FROM photos WHERE id = ?", (photo_id,)).fetchone()[0]
    )
    assert state == "verified"


def test_workspace_files_are_not_part_of_the_field_app_shell() -> None:
    from server.settings import DEFAULT_PWA_DIR
    from server.web.static import shell_files
    from server.workspace.assets import STATIC_DIR, VENDOR

    shell = {str(p) for p in shell_files(DEFAULT_PWA_DIR)}
    for rel in VENDOR.values():
        assert str(DEFAULT_PWA_DIR / "node_modules" / rel) not in shell
    assert not [p for p in shell if p.startswith(str(STATIC_DIR))]
