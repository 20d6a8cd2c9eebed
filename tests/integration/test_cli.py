"""The ``schouw`` CLI as a real subprocess on a temporary data directory."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.db import Database
from server.settings import Settings
from tests.support import PASSWORD, add_user, login, run_schouw, seed_agencies


def _seed(data_dir: Path) -> None:
    init = run_schouw(data_dir, "init")
    assert init.returncode == 0, init.stderr
    conn = sqlite3.connect(data_dir / "schouw.db")
    with conn:
        seed_agencies(conn)
    conn.close()


def _count(data_dir: Path, sql: str) -> int:
    conn = sqlite3.connect(data_dir / "schouw.db")
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_user_add_reads_password_from_stdin_and_can_log_in(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _seed(data)
    added = run_schouw(
        data,
        "user",
        "add",
        "carla",
        "--agency",
        "nvwa",
        "--role",
        "inspector",
        "--role",
        "teamlead",
        "--name",
        "Carla de Vries",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "added carla (nvwa; inspector, teamlead)" in added.stdout
    listed = run_schouw(data, "user", "list")
    assert listed.returncode == 0
    line = next(x for x in listed.stdout.splitlines() if x.startswith("carla"))
    assert "nvwa" in line and "inspector,teamlead" in line and "actief" in line
    assert _count(data, "SELECT count(*) FROM audit_events WHERE action='user.add'") == 1


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--agency", "gemeente-haren", "--role", "inspector"], PASSWORD, "known agencies: "),
        (["--agency", "nvwa", "--role", "inspector"], "kort", "minstens 10 tekens"),
        (["--agency", "nvwa", "--role", "inspector"], "", "no password on standard input"),
        (["--agency", "nvwa"], PASSWORD, "give at least one --role"),
    ],
)
def test_user_add_errors_are_clear_and_write_nothing(
    tmp_path: Path, args: list[str], stdin: str, message: str
) -> None:
    data = tmp_path / "data"
    _seed(data)
    result = run_schouw(data, "user", "add", "dirk", *args, stdin=stdin + "\n" if stdin else "")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    if "known agencies" in message:
        assert "gemeente-groningen" in result.stderr and "politie" in result.stderr
    assert _count(data, "SELECT count(*) FROM users") == 0


def test_user_add_duplicate_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _seed(data)
    first = run_schouw(
        data, "user", "add", "eva", "--agency", "nla", "--role", "inspector", stdin=PASSWORD
    )
    assert first.returncode == 0, first.stderr
    again = run_schouw(
        data, "user", "add", "eva", "--agency", "nla", "--role", "inspector", stdin=PASSWORD
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    assert _count(data, "SELECT count(*) FROM users") == 1


async def test_user_disable_ends_tokens_at_once(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    session = await login(client, "anna")
    assert (await client.post("/api/v1/auth/logout", headers=session["headers"])).status_code == 200
    session = await login(client, "anna")
    result = run_schouw(settings.data_dir, "user", "disable", "anna")
    assert result.returncode == 0, result.stderr
    assert "ended" in result.stdout
    resp = await client.post("/api/v1/auth/logout", headers=session["headers"])
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    again = await client.post(
        "/api/v1/auth/login",
        json={"username": "anna", "password": PASSWORD, "device_id": session["device_id"]},
    )
    assert again.status_code == 401
    unknown = run_schouw(settings.data_dir, "user", "disable", "nobody")
    assert unknown.returncode == 1 and "no user 'nobody'" in unknown.stderr


async def test_device_list_and_revoke(
    client: AsyncTestClient[Any], db: Database, settings: Settings
) -> None:
    await add_user(db, "anna", "gemeente-groningen", ["inspector"])
    await add_user(db, "bert", "politie", ["inspector"])
    anna = await login(client, "anna")
    await login(client, "bert")
    listed = run_schouw(settings.data_dir, "device", "list")
    assert listed.returncode == 0
    assert anna["device_id"] in listed.stdout and "bert" in listed.stdout
    only = run_schouw(settings.data_dir, "device", "list", "--user", "anna")
    assert anna["device_id"] in only.stdout and "bert" not in only.stdout

    revoked = run_schouw(settings.data_dir, "device", "revoke", anna["device_id"])
    assert revoked.returncode == 0, revoked.stderr
    resp = await client.post("/api/v1/auth/logout", headers=anna["headers"])
    assert resp.status_code == 401
    assert resp.json()["type"].endswith("/device-revoked")
    listed = run_schouw(settings.data_dir, "device", "list", "--user", "anna")
    assert "ingetrokken" in listed.stdout
    missing = run_schouw(
        settings.data_dir, "device", "revoke", "0190f0f0-0000-7000-8000-000000000000"
    )
    assert missing.returncode == 1 and "no device" in missing.stderr


def test_client_add_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _seed(data)
    added = run_schouw(
        data,
        "client",
        "add",
        "Zaaksysteem Groningen",
        "--agency",
        "gemeente-groningen",
        "--scope",
        "cases:read",
        "--scope",
        "signals:write",
    )
    assert added.returncode == 0, added.stderr
    lines = dict(
        line.split(":", 1)
        for line in added.stdout.splitlines()
        if line.startswith(("client", "secret"))
    )
    client_id, secret = lines["client id"].strip(), lines["secret"].strip()
    assert len(secret) >= 40
    conn = sqlite3.connect(data / "schouw.db")
    stored = conn.execute(
        "SELECT secret_hash, scopes FROM api_clients WHERE id = ?", (client_id,)
    ).fetchone()
    conn.close()
    assert stored[0].startswith("$argon2id$") and secret not in stored[0]
    assert stored[1] == '["cases:read","signals:write"]'

    listed = run_schouw(data, "client", "list")
    assert client_id in listed.stdout and "actief" in listed.stdout and secret not in listed.stdout
    revoked = run_schouw(data, "client", "revoke", client_id)
    assert revoked.returncode == 0 and f"revoked {client_id}" in revoked.stdout
    assert "ingetrokken" in run_schouw(data, "client", "list").stdout
    twice = run_schouw(data, "client", "revoke", client_id)
    assert twice.returncode == 0 and "already revoked" in twice.stdout

    bad_agency = run_schouw(data, "client", "add", "X", "--agency", "nope")
    assert bad_agency.returncode == 1 and "known agencies" in bad_agency.stderr
    bad_scope = run_schouw(data, "client", "add", "X", "--agency", "nvwa", "--scope", "all")
    assert bad_scope.returncode == 2 and "invalid choice" in bad_scope.stderr
    bad_id = run_schouw(data, "client", "revoke", "not-an-id")
    assert bad_id.returncode == 1 and "not a client id" in bad_id.stderr
    assert _count(data, "SELECT count(*) FROM api_clients") == 1
    assert _count(data, "SELECT count(*) FROM audit_events WHERE action LIKE 'client.%'") == 2


def _subcommands() -> list[list[str]]:
    from server.admin.cli import build_parser

    def children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    out: list[list[str]] = [[]]
    for name, child in children(build_parser()).items():
        out.append([name])
        out.extend([name, leaf] for leaf in children(child))
    return out


@pytest.mark.parametrize("words", _subcommands(), ids=lambda w: " ".join(w) or "schouw")
def test_every_subcommand_has_help(tmp_path: Path, words: list[str]) -> None:
    result = run_schouw(tmp_path / "data", *words, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: schouw")
    assert not (tmp_path / "data").exists()  # help touches nothing


def test_help_lists_the_operations_commands() -> None:
    names = {" ".join(w) for w in _subcommands()}
    for expected in (
        "serve",
        "init",
        "user add",
        "user disable",
        "user list",
        "device list",
        "device revoke",
        "client add",
        "client revoke",
        "client list",
        "backup",
        "restore",
        "audit verify",
    ):
        assert expected in names


def test_agency_add_and_list_then_a_user_of_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = run_schouw(
        data,
        "agency",
        "add",
        "gemeente-oldambt",
        "--name",
        "Gemeente Oldambt",
        "--kind",
        "gemeente",
    )
    assert added.returncode == 0, added.stderr
    listed = run_schouw(data, "agency", "list")
    assert "gemeente-oldambt" in listed.stdout and "Gemeente Oldambt" in listed.stdout
    user = run_schouw(
        data,
        "user",
        "add",
        "gijs",
        "--agency",
        "gemeente-oldambt",
        "--role",
        "inspector",
        stdin=PASSWORD,
    )
    assert user.returncode == 0, user.stderr
    again = run_schouw(
        data, "agency", "add", "gemeente-oldambt", "--name", "X", "--kind", "gemeente"
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_slug = run_schouw(
        data, "agency", "add", "Gemeente Oldambt", "--name", "X", "--kind", "rijk"
    )
    assert bad_slug.returncode == 1 and "not a usable slug" in bad_slug.stderr
    bad_kind = run_schouw(data, "agency", "add", "x", "--name", "X", "--kind", "bedrijf")
    assert bad_kind.returncode == 2 and "invalid choice" in bad_kind.stderr
    assert _count(data, "SELECT count(*) FROM agencies") == 1
    assert _count(data, "SELECT count(*) FROM audit_events WHERE action = 'agency.add'") == 1


def test_a_database_newer_than_the_program_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_schouw(data, "init").returncode == 0
    conn = sqlite3.connect(data / "schouw.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = run_schouw(data, "user", "list")
    assert result.returncode == 1
    assert "newer than this program" in result.stderr and "Traceback" not in result.stderr


def test_subcommand_help_explains_the_command(tmp_path: Path) -> None:
    result = run_schouw(tmp_path / "data", "device", "revoke", "--help")
    assert "Revoke a lost or stolen device." in result.stdout
    result = run_schouw(tmp_path / "data", "restore", "--help")
    assert "The server must be stopped" in result.stdout
