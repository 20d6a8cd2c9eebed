"""``schouw backup`` and ``schouw restore``: one archive with the database and the blobs.

The archive is an uncompressed tar (photos are already compressed) whose first member is a
header naming the format, and whose last member is a manifest with the sha256 and size of
every other member. The database member is a copy made with SQLite's online backup API, so a
backup can run while the server serves; ``PRAGMA integrity_check`` runs on the copy.

Restore verifies everything in a staging directory inside the data directory before it
touches the live files, then moves the old database and blobs aside and renames the staged
ones into place. The restored database gets a new epoch (sync protocol "Restore without
loss") so devices re-send the work they still hold.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Protocol

import msgspec

from server import __version__
from server.db.archive import (
    BLOBS,
    DB_MEMBER,
    FORMAT,
    HEADER,
    MANIFEST,
    BackupError,
    add_bytes,
    add_file,
    blob_files,
    extract_verified,
)
from server.db.lock import LockBusy, lock_data_dir
from server.db.migrate import available, migrate
from server.lib.clock import now_iso
from server.lib.ids import uuid7

__all__ = [
    "AuditHook",
    "BackupError",
    "BackupInfo",
    "DataPaths",
    "RestoreInfo",
    "backup_to",
    "restore_from",
]


class AuditHook(Protocol):
    """Records an audit event in the caller's transaction (storage knows no audit log).

    Called as ``hook(conn, action, object_id, detail)`` with ``action`` ``"backup"`` or
    ``"restore"`` and the archive's file name as ``object_id``.
    """

    def __call__(
        self, conn: sqlite3.Connection, action: str, object_id: str, detail: dict[str, Any]
    ) -> None: ...


class DataPaths(Protocol):
    """Where the data directory keeps its parts (``server.settings.Settings`` is one)."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def db_path(self) -> Path: ...

    @property
    def blob_dir(self) -> Path: ...

    @property
    def upload_dir(self) -> Path: ...


class BackupInfo(msgspec.Struct, frozen=True):
    """What :func:`backup_to` wrote."""

    path: str
    size: int
    created_at: str
    epoch: int
    schema_version: int
    blobs: int
    blob_bytes: int


class RestoreInfo(msgspec.Struct, frozen=True):
    """What :func:`restore_from` did; ``set_aside`` holds the replaced data, if there was any."""

    path: str
    backup_created_at: str
    backup_epoch: int
    previous_epoch: int | None
    new_epoch: int
    blobs: int
    set_aside: str | None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def _integrity_problems(conn: sqlite3.Connection) -> list[str]:
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
    return [] if rows == ["ok"] else rows


def _epoch(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
    return int(row[0])


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_to(
    paths: DataPaths, file: Path, *, audit: AuditHook, overwrite: bool = False
) -> BackupInfo:
    """Write a backup of the live database and blobs to ``file`` (safe while serving).

    ``audit`` records the backup in the live database once the archive is complete.
    """
    if not paths.db_path.is_file():
        raise BackupError(f"no database at {paths.db_path}; check SCHOUW_DATA_DIR")
    file = file.absolute()
    if not file.parent.is_dir():
        raise BackupError(f"directory {file.parent} does not exist")
    if file.exists() and not overwrite:
        raise BackupError(f"{file} already exists; choose another name or pass --force")
    created_at = now_iso()
    partial = file.with_name(file.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".schouw-backup-", dir=file.parent) as tmp:
        copy_path = Path(tmp) / DB_MEMBER
        source = _connect(paths.db_path)
        try:
            copy = sqlite3.connect(copy_path, isolation_level=None)
            try:
                source.backup(copy)  # one step: a consistent snapshot
                copy.execute("PRAGMA journal_mode = DELETE")
                problems = _integrity_problems(copy)
                if problems:
                    raise BackupError(
                        "integrity check of the database copy failed: " + "; ".join(problems)
                    )
                epoch = int(copy.execute("SELECT value FROM meta WHERE key='epoch'").fetchone()[0])
                schema_version = int(copy.execute("PRAGMA user_version").fetchone()[0])
            finally:
                copy.close()
        finally:
            source.close()

        header = {
            "format": FORMAT,
            "created_at": created_at,
            "epoch": epoch,
            "schema_version": schema_version,
            "schouw_version": __version__,
        }
        members: dict[str, dict[str, Any]] = {}
        blobs = blob_bytes = 0
        try:
            # Owner-only: the archive holds personal data.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                add_bytes(tar, HEADER, json.dumps(header, indent=2).encode())
                added = add_file(tar, DB_MEMBER, copy_path)
                if added is None:
                    raise BackupError("the database copy vanished while the archive was written")
                members[DB_MEMBER] = {"sha256": added[0], "size": added[1]}
                # Blobs are listed after the snapshot, so every blob it references is present.
                for path, name in blob_files(paths.blob_dir):
                    result = add_file(tar, name, path)
                    if result is None:
                        continue
                    members[name] = {"sha256": result[0], "size": result[1]}
                    blobs += 1
                    blob_bytes += result[1]
                manifest = {**header, "members": members}
                add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
                tar.close()
                raw.flush()
                os.fsync(raw.fileno())
            partial.replace(file)
            _fsync_dir(file.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    size = file.stat().st_size
    conn = _connect(paths.db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        audit(
            conn,
            "backup",
            file.name,
            {"file": str(file), "size": size, "epoch": epoch, "blobs": blobs},
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return BackupInfo(
        path=str(file),
        size=size,
        created_at=created_at,
        epoch=epoch,
        schema_version=schema_version,
        blobs=blobs,
        blob_bytes=blob_bytes,
    )


def _previous_epoch(db_path: Path) -> int | None:
    if not db_path.is_file():
        return None
    try:
        conn = _connect(db_path)
        try:
            return _epoch(conn)
        finally:
            conn.close()
    except (sqlite3.Error, TypeError, ValueError):
        return None  # a damaged live database must not block its own restore


def _prepare_restored(
    db_path: Path,
    archive: Path,
    header: dict[str, Any],
    previous: int | None,
    blobs: int,
    *,
    epoch_above: int,
    audit: AuditHook,
) -> tuple[int, int]:
    """Check and upgrade the staged database, give it a new epoch, audit; (old, new) epoch."""
    conn = _connect(db_path)
    try:
        problems = _integrity_problems(conn)
        if problems:
            raise BackupError(
                "integrity check of the restored database failed: " + "; ".join(problems)
            )
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > len(available()):
            raise BackupError(
                f"the backup has schema version {version}, newer than this Schouw "
                f"({len(available())}); upgrade Schouw first"
            )
        conn.execute("PRAGMA journal_mode = WAL")
        migrate(conn)
        backup_epoch = _epoch(conn)
        new_epoch = max(backup_epoch, previous or 0, epoch_above) + 1
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (str(new_epoch),))
        # Partial tus uploads are not in the backup; clients start those uploads again.
        dropped = conn.execute("DELETE FROM uploads WHERE state IN ('open', 'processing')").rowcount
        audit(
            conn,
            "restore",
            archive.name,
            {
                "file": str(archive),
                "backup_created_at": header.get("created_at"),
                "backup_epoch": backup_epoch,
                "previous_epoch": previous,
                "new_epoch": new_epoch,
                "blobs": blobs,
                "open_uploads_dropped": dropped,
            },
        )
        conn.execute("COMMIT")
        return backup_epoch, new_epoch
    finally:
        conn.close()


def restore_from(
    paths: DataPaths, file: Path, *, audit: AuditHook, epoch_above: int = 0
) -> RestoreInfo:
    """Replace the data directory's database and blobs by a verified backup.

    ``audit`` records the restore inside the restored database, in the transaction that
    gives it its new epoch.

    The new epoch is larger than the backup's, the replaced database's and ``epoch_above``
    (for a restore into an empty data directory: the highest epoch devices may have seen).

    The server must be stopped: a running server holds the data-directory lock and restore
    refuses. Nothing changes unless the whole archive verifies.
    """
    file = file.absolute()
    if not file.is_file():
        raise BackupError(f"backup file {file} does not exist")
    data_dir = paths.data_dir
    try:
        lock = lock_data_dir(data_dir, exclusive=True)
    except LockBusy:
        raise BackupError(
            f"a Schouw server is using {data_dir}; stop it before restoring"
        ) from None
    with lock:
        staging = data_dir / f".restore-{uuid7()}"
        staging.mkdir()
        try:
            header, blobs = extract_verified(file, staging)
            previous = _previous_epoch(paths.db_path)
            backup_epoch, new_epoch = _prepare_restored(
                staging / DB_MEMBER,
                file,
                header,
                previous,
                blobs,
                epoch_above=epoch_above,
                audit=audit,
            )
            (staging / BLOBS).mkdir(exist_ok=True)
            set_aside = _swap_in(paths, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return RestoreInfo(
        path=str(file),
        backup_created_at=str(header.get("created_at")),
        backup_epoch=backup_epoch,
        previous_epoch=previous,
        new_epoch=new_epoch,
        blobs=blobs,
        set_aside=str(set_aside) if set_aside else None,
    )


def _swap_in(paths: DataPaths, staging: Path) -> Path | None:
    """Move the live files aside and the staged ones into place (renames, one filesystem)."""
    data_dir = paths.data_dir
    db = paths.db_path
    live = [
        p
        for p in (
            db,
            db.with_name(db.name + "-wal"),
            db.with_name(db.name + "-shm"),
            paths.blob_dir,
            paths.upload_dir,
        )
        if p.exists()
    ]
    set_aside: Path | None = None
    if live:
        stamp = now_iso().replace(":", "").replace("-", "")
        set_aside = data_dir / f"pre-restore-{stamp}-{uuid7()[-6:]}"
        set_aside.mkdir()
        for path in live:
            path.rename(set_aside / path.name)
    (staging / DB_MEMBER).rename(db)
    (staging / BLOBS).rename(paths.blob_dir)
    _fsync_dir(data_dir)
    return set_aside
