"""Backup while the app serves, restore into another data directory, refusal of bad archives."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.admin.backup import backup_to, restore_from
from server.app import create_app
from server.db import Database
from server.db.backup import BackupError
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import PASSWORD, add_user, login, run_schouw


def _tree_digest(data_dir: Path) -> dict[str, str]:
    """sha256 of every file under ``data_dir`` (the lock file excluded: it is empty)."""
    out: dict[str, str] = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.name != "schouw.lock":
            out[str(path.relative_to(data_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _write_blob(settings: Settings, name: str, data: bytes) -> None:
    path = settings.blob_dir / name[:2] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _scalar(db_path: Path, sql: str) -> object:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


async def _serve_with_data(settings: Settings, archive: Path) -> None:
    """Run the app, write users and blobs, back up while it runs, then write more."""
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        db: Database = app.state.db
        await add_user(db, "anna", "gemeente-groningen", ["inspector"])
        await login(client, "anna")
        _write_blob(settings, "ab" * 32, b"original photo bytes")
        _write_blob(settings, "cd" * 32 + ".thumb.webp", b"derivative")
        info = backup_to(settings, archive)
        assert info.epoch == 1 and info.blobs == 2
        # Work after the backup: must not be in the restored database.
        await add_user(db, "bert", "politie", ["inspector"])
        health = await client.get("/health")
        assert health.json()["epoch"] == 1


async def test_backup_while_serving_then_restore_into_new_data_dir(tmp_path: Path) -> None:
    source = Settings(data_dir=tmp_path / "source")
    archive = tmp_path / "backup.tar"
    await _serve_with_data(source, archive)
    assert archive.is_file() and not archive.with_name("backup.tar.partial").exists()
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds personal data
    assert _scalar(source.db_path, "SELECT count(*) FROM audit_events WHERE action='backup'") == 1

    target = Settings(data_dir=tmp_path / "target")
    info = restore_from(target, archive)
    assert (info.backup_epoch, info.previous_epoch, info.new_epoch) == (1, None, 2)
    assert info.set_aside is None
    assert (target.blob_dir / "ab" / ("ab" * 32)).read_bytes() == b"original photo bytes"
    assert (target.blob_dir / "cd" / ("cd" * 32 + ".thumb.webp")).read_bytes() == b"derivative"
    assert not list(target.data_dir.glob(".restore-*"))

    app = create_app(target)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health")).json()["epoch"] == 2
        await login(client, "anna")  # the user and her password hash came back
        bad = await client.post(
            "/api/v1/auth/login",
            json={"username": "bert", "password": PASSWORD, "device_id": uuid7()},
        )
        assert bad.status_code == 401  # bert was added after the backup
        restored = await app.state.db.read(
            lambda c: c.execute("SELECT count(*) FROM users WHERE username='bert'").fetchone()[0]
        )
        assert restored == 0

    event = (
        sqlite3.connect(target.db_path)
        .execute("SELECT detail FROM audit_events WHERE action='restore'")
        .fetchone()
    )
    assert '"new_epoch":2' in event[0] and '"backup_epoch":1' in event[0]
    verified = run_schouw(target.data_dir, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout


async def test_restore_over_existing_data_takes_a_never_used_epoch(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    archive = tmp_path / "b.tar"
    await _serve_with_data(settings, archive)
    first = restore_from(settings, archive)
    assert (first.previous_epoch, first.new_epoch) == (1, 2)
    assert first.set_aside is not None
    aside = Path(first.set_aside)
    assert (aside / "schouw.db").is_file() and (aside / "blobs").is_dir()
    # Restoring the same backup again must not hand out epoch 2 a second time.
    second = restore_from(settings, archive)
    assert (second.backup_epoch, second.previous_epoch, second.new_epoch) == (1, 2, 3)
    assert _scalar(settings.db_path, "SELECT value FROM meta WHERE key='epoch'") == "3"


def _rewrite(archive: Path, out: Path, change: str) -> None:
    """Copy ``archive`` member by member, damaging it as ``change`` says."""
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if (
                change == "flip-blob"
                and member.name.startswith("blobs/")
                and "thumb" in member.name
            ):
                data = b"X" + data[1:]
            if change == "drop-manifest" and member.name == "manifest.json":
                continue
            if change == "no-header" and member.name == "schouw-backup.json":
                continue
            if change == "evil-path" and member.name == "manifest.json":
                evil = tarfile.TarInfo("../escape.txt")
                evil.size = 3
                dst.addfile(evil, io.BytesIO(b"bad"))
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("flip-blob", "checksum mismatch"),
        ("drop-manifest", "no manifest"),
        ("no-header", "not a Schouw backup"),
        ("evil-path", "unexpected member"),
    ],
)
async def test_damaged_archive_is_refused_and_nothing_changes(
    tmp_path: Path, change: str, message: str
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    archive = tmp_path / "good.tar"
    await _serve_with_data(settings, archive)
    damaged = tmp_path / "damaged.tar"
    _rewrite(archive, damaged, change)
    before = _tree_digest(settings.data_dir)

    with pytest.raises(BackupError, match=message):
        restore_from(settings, damaged)

    assert _tree_digest(settings.data_dir) == before
    assert not (tmp_path / "escape.txt").exists()
    result = run_schouw(settings.data_dir, "restore", str(damaged))
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert _tree_digest(settings.data_dir) == before


async def test_truncated_and_foreign_files_are_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    archive = tmp_path / "good.tar"
    await _serve_with_data(settings, archive)
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "notes.txt"
    foreign.write_text("hello")
    before = _tree_digest(settings.data_dir)
    with pytest.raises(BackupError, match=r"truncated|damaged|no manifest"):
        restore_from(settings, truncated)
    with pytest.raises(BackupError, match="not a Schouw backup"):
        restore_from(settings, foreign)
    with pytest.raises(BackupError, match="does not exist"):
        restore_from(settings, tmp_path / "missing.tar")
    assert _tree_digest(settings.data_dir) == before


async def test_restore_refuses_while_the_server_runs(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar"
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        await add_user(app.state.db, "anna", "gemeente-groningen", ["inspector"])
        backup_to(settings, archive)
        with pytest.raises(BackupError, match="stop it before restoring"):
            restore_from(settings, archive)
        assert (await client.get("/health")).status_code == 200
    restore_from(settings, archive)  # stopped: now it works


async def test_backup_cli_and_its_errors(
    client: AsyncTestClient[Litestar], settings: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "cli.tar"
    ok = run_schouw(settings.data_dir, "backup", str(archive))
    assert ok.returncode == 0, ok.stderr
    assert "backup written to" in ok.stdout and archive.is_file()
    again = run_schouw(settings.data_dir, "backup", str(archive))
    assert again.returncode == 1 and "already exists" in again.stderr
    forced = run_schouw(settings.data_dir, "backup", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    nowhere = run_schouw(settings.data_dir, "backup", str(tmp_path / "no" / "such" / "x.tar"))
    assert nowhere.returncode == 1 and "does not exist" in nowhere.stderr
    empty = run_schouw(tmp_path / "empty", "backup", str(tmp_path / "e.tar"))
    assert empty.returncode == 1 and "no database" in empty.stderr


async def test_epoch_above_keeps_an_empty_data_dir_from_reusing_an_epoch(tmp_path: Path) -> None:
    source = Settings(data_dir=tmp_path / "source")
    archive = tmp_path / "b.tar"
    await _serve_with_data(source, archive)
    target = tmp_path / "empty"
    result = run_schouw(target, "restore", "--epoch-above", "7", str(archive))
    assert result.returncode == 0, result.stderr
    assert "epoch 1 -> 8" in result.stdout
    assert _scalar(target / "schouw.db", "SELECT value FROM meta WHERE key='epoch'") == "8"
    # Below what the database already guarantees, the option changes nothing.
    info = restore_from(Settings(data_dir=target), archive, epoch_above=2)
    assert (info.previous_epoch, info.new_epoch) == (8, 9)
