"""Apparaten: a team lead sees and revokes their agency's phones (audited; the phone is
refused and told to wipe); an admin sees every device and can disable a user."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from tests.support import insert_user
from tests.sync_support import envelope, quick_session, seed_world
from tests.workspace_support import SAME_ORIGIN, csrf_of, use_cookie, ws_login


async def _post(client: AsyncTestClient[Litestar], path: str) -> Any:
    csrf = await csrf_of(client)
    return await client.post(
        path, data={"_csrf": csrf}, headers=SAME_ORIGIN, follow_redirects=False
    )


async def test_team_lead_revokes_a_lost_phone_of_their_agency(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    anna = await quick_session(db, world.users["anna"])
    bert = await quick_session(db, world.users["bert"])
    await client.post(
        "/api/v1/sync/push",
        json={**envelope(anna["device_id"], []), "client_state": {"outbox": 7}},
        headers=anna["headers"],
    )
    await ws_login(client, "tara")
    html = (await client.get("/regie/apparaten")).text
    assert anna["device_id"] in html and "7 wijzigingen" in html
    assert bert["device_id"] not in html  # politie's phone is not gemeente's business
    assert (
        await _post(client, f"/regie/apparaten/{bert['device_id']}/intrekken")
    ).status_code == 404
    done = await _post(client, f"/regie/apparaten/{anna['device_id']}/intrekken")
    assert done.status_code == 303
    assert "Ingetrokken op" in (await client.get("/regie/apparaten")).text
    again = await _post(client, f"/regie/apparaten/{anna['device_id']}/intrekken")
    assert again.status_code == 409 and "al ingetrokken" in again.text
    refused = await client.post(
        "/api/v1/sync/push", json=envelope(anna["device_id"], []), headers=anna["headers"]
    )
    assert refused.status_code == 401
    assert refused.json()["type"].endswith("device-revoked")  # told to wipe itself
    audit = await db.read(
        lambda c: c.execute(
            "SELECT actor_id, object_id FROM audit_events WHERE action = 'device.revoke'"
        ).fetchall()
    )
    assert [tuple(r) for r in audit] == [(world.users["tara"], anna["device_id"])]


async def test_admin_sees_everything_and_disables_a_user(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    world = await seed_world(db)
    await db.write(lambda c: insert_user(c, "beheer", "gemeente-groningen", ["admin"]))
    bert = await quick_session(db, world.users["bert"])
    await ws_login(client, "beheer")
    html = (await client.get("/regie/apparaten")).text
    assert bert["device_id"] in html and 'data-user="piet"' in html
    done = await _post(client, f"/regie/gebruikers/{world.users['bert']}/uitschakelen")
    assert done.status_code == 303
    assert (await client.get("/api/v1/cases", headers=bert["headers"])).status_code == 401
    again = await _post(client, f"/regie/gebruikers/{world.users['bert']}/uitschakelen")
    assert again.status_code == 409
    # A team lead may not disable users.
    await ws_login(client, "tara")
    refused = await _post(client, f"/regie/gebruikers/{world.users['anna']}/uitschakelen")
    assert refused.status_code == 403
    assert "Uitschakelen" not in (await client.get("/regie/apparaten")).text


async def test_disabling_ends_the_workspace_session_at_once(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await seed_world(db)
    await db.write(lambda c: insert_user(c, "beheer", "gemeente-groningen", ["admin"]))
    await ws_login(client, "tara")
    tara_cookie = client.cookies.get("schouw_regie")
    assert tara_cookie
    tara_id = await db.read(
        lambda c: c.execute("SELECT id FROM users WHERE username = 'tara'").fetchone()[0]
    )

    async def sessions_of_tara() -> int:
        return int(
            await db.read(
                lambda c: c.execute(
                    "SELECT COUNT(*) FROM workspace_sessions WHERE user_id = ?", (tara_id,)
                ).fetchone()[0]
            )
        )

    client.cookies.clear()  # the admin logs in from another browser
    await ws_login(client, "beheer")
    assert await sessions_of_tara() == 1
    assert (await _post(client, f"/regie/gebruikers/{tara_id}/uitschakelen")).status_code == 303
    assert await sessions_of_tara() == 0
    use_cookie(client, tara_cookie)
    assert (await client.get("/regie/", follow_redirects=False)).status_code == 303
