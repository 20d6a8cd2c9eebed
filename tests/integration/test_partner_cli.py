"""``schouw client rotate|revoke`` against a running app, and the demo's partner client."""

from __future__ import annotations

import asyncio
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.admin.demo import DEMO_CLIENT_SECRET
from server.app import create_app
from server.db import Database
from server.settings import Settings
from tests.partner_support import ROOT, token_call
from tests.support import run_schouw, seed_agencies


def _value(stdout: str, label: str) -> str:
    for line in stdout.splitlines():
        if line.strip().startswith(label):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{label!r} not in {stdout!r}")


async def test_rotate_then_revoke(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings)
    async with AsyncTestClient(app=app) as http:
        db: Database = app.state.db
        await db.write(seed_agencies)

        async def schouw(*args: str) -> str:
            run = await asyncio.to_thread(run_schouw, settings.data_dir, *args)
            assert run.returncode == 0, run.stderr
            return str(run.stdout)

        added = await schouw(
            "client", "add", "Zaaksysteem", "--agency", "politie", "--scope", "cases:read"
        )
        client_id, old = _value(added, "client id"), _value(added, "secret")
        first = await token_call(http, client_id, old)
        assert first.status_code == 200
        bearer = {"Authorization": f"Bearer {first.json()['access_token']}"}
        rotated = await schouw("client", "rotate", client_id, "--overlap-days", "7")
        new = _value(rotated, "new secret")
        assert "keeps working until" in rotated
        assert (await token_call(http, client_id, old)).status_code == 200  # in the overlap
        assert (await token_call(http, client_id, new)).status_code == 200
        await schouw("client", "rotate", client_id, "--overlap-days", "0")
        assert (await token_call(http, client_id, new)).status_code == 401  # overlap 0: gone
        assert (await http.get(f"{ROOT}/cases", headers=bearer)).status_code == 200
        revoked = await schouw("client", "revoke", client_id)
        assert "ended" in revoked
        assert (await http.get(f"{ROOT}/cases", headers=bearer)).status_code == 401
        events = await db.read(
            lambda c: c.execute(
                "SELECT action FROM audit_events WHERE object_id = ? AND action LIKE 'client.%'"
                " ORDER BY id",
                (client_id,),
            ).fetchall()
        )
        assert [e[0] for e in events] == [
            "client.add",
            "client.rotate",
            "client.rotate",
            "client.revoke",
        ]
        bad = await asyncio.to_thread(run_schouw, settings.data_dir, "client", "rotate", "nope")
        assert bad.returncode == 1 and "not a client id" in bad.stderr


async def test_demo_prints_a_working_partner_client(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    demo = await asyncio.to_thread(run_schouw, settings.data_dir, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "Partner-API (gemeente-groningen" in demo.stdout
    client_id = _value(demo.stdout, "client id")
    assert DEMO_CLIENT_SECRET in demo.stdout
    app: Litestar = create_app(settings)
    async with AsyncTestClient(app=app) as http:
        token = await token_call(http, client_id, DEMO_CLIENT_SECRET)
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        cases = (await http.get(f"{ROOT}/cases", headers=headers)).json()["cases"]
        assert cases  # the demo world has cases of the municipality
        summary = await http.get(cases[0]["links"]["self"], headers=headers)
        assert summary.status_code == 200
    again = await asyncio.to_thread(run_schouw, settings.data_dir, "demo", "--if-empty")
    assert client_id in again.stdout
