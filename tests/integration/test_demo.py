"""``schouw demo``: a fresh data dir gets Groningen demo data a demo user can work with."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.admin.cli import main
from server.admin.demo import DEMO_PASSWORD, local_today
from server.app import create_app
from server.lib.ids import uuid7
from server.settings import Settings


def _count(data_dir: Path, sql: str) -> int:
    conn = sqlite3.connect(data_dir / "schouw.db")
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("SCHOUW_DATA_DIR", str(path))
    return path


async def _login(client: AsyncTestClient[Any], username: str) -> dict[str, str]:
    resp = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORD, "device_id": uuid7()},
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def test_demo_user_logs_in_and_sees_todays_case(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "femke" in out and "politie" in out and DEMO_PASSWORD in out

    async with AsyncTestClient(app=create_app(Settings(data_dir=data_dir))) as client:
        headers = await _login(client, "femke")
        listing = await client.get("/api/v1/cases", headers=headers)
        assert listing.status_code == 200
        cases = listing.json()["cases"]
        names = {c["subject"].get("business", {}).get("name") for c in cases}
        assert "Shisha Lounge Noorderlicht" in names
        shisha = next(
            c
            for c in cases
            if c["subject"].get("business", {}).get("name", "").startswith("Shisha")
        )
        view = await client.get(f"/api/v1/cases/{shisha['id']}", headers=headers)
        assert view.status_code == 200
        body = view.json()
        assert body["status"] == "planned"
        today = local_today().isoformat()
        assert [i["scheduled_date"] for i in body["inspections"]] == [today]
        agencies = {c["agency_id"] for c in body["inspections"][0]["checklists"]}
        assert {"politie", "belastingdienst", "nvwa", "brandweer", "gemeente-groningen"} == agencies

        # the field app's pull carries the demo cases assigned to her
        pull = await client.get("/api/v1/sync/pull?limit=500", headers=headers)
        assert pull.status_code == 200, pull.text
        pulled = {c["id"] for c in pull.json()["changes"] if c["kind"] == "case"}
        assert shisha["id"] in pulled

        # a user of an agency that is not on the case gets 404
        other = await client.get(
            f"/api/v1/cases/{shisha['id']}", headers=await _login(client, "yvonne")
        )
        assert other.status_code == 404

    # the demo went through the change feed, so the field app's pull sees the cases
    grants = _count(
        data_dir,
        "SELECT COUNT(*) FROM changes c JOIN users u ON u.id = c.user_id"
        " WHERE c.kind = 'grant' AND u.username = 'femke'",
    )
    assert grants >= 2
    assert _count(data_dir, "SELECT COUNT(*) FROM cases") >= 6
    assert _count(data_dir, "SELECT COUNT(*) FROM interventions") >= 1
    assert _count(data_dir, "SELECT COUNT(*) FROM signals WHERE status = 'open'") >= 2
    assert _count(data_dir, "SELECT COUNT(*) FROM audit_events WHERE action = 'case.create'") >= 6


def test_if_empty_keeps_data_and_plain_demo_refuses(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--if-empty"]) == 0
    cases = _count(data_dir, "SELECT COUNT(*) FROM cases")
    users = _count(data_dir, "SELECT COUNT(*) FROM users")
    assert cases >= 6 and users >= 20
    capsys.readouterr()

    assert main(["demo", "--if-empty"]) == 0
    second = capsys.readouterr().out
    assert "Demo data not loaded" in second and "marieke" in second
    assert _count(data_dir, "SELECT COUNT(*) FROM cases") == cases
    assert _count(data_dir, "SELECT COUNT(*) FROM users") == users

    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert "already holds" in err and "--if-empty" in err
    assert _count(data_dir, "SELECT COUNT(*) FROM cases") == cases
