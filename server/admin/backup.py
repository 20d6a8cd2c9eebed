"""``schouw backup`` and ``schouw restore`` (the work is in :mod:`server.db.backup`)."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Any

from server.admin.common import CliError
from server.audit.log import SYSTEM, append
from server.db import backup as storage
from server.db.backup import BackupError, BackupInfo, RestoreInfo
from server.settings import Settings


def audit_as_system(
    conn: sqlite3.Connection, action: str, object_id: str, detail: dict[str, Any]
) -> None:
    """Record a backup or restore as an event of the system actor."""
    append(conn, SYSTEM, action, object_type="backup", object_id=object_id, detail=detail)


def backup_to(settings: Settings, file: Path, *, overwrite: bool = False) -> BackupInfo:
    """Back up the data directory into ``file``, audited."""
    return storage.backup_to(settings, file, audit=audit_as_system, overwrite=overwrite)


def restore_from(settings: Settings, file: Path, *, epoch_above: int = 0) -> RestoreInfo:
    """Restore ``file`` into the data directory, audited in the restored database."""
    return storage.restore_from(settings, file, audit=audit_as_system, epoch_above=epoch_above)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Back up database and blobs into one file; safe while the server runs."""
    try:
        info = backup_to(settings, Path(args.file), overwrite=args.force)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(
        f"backup written to {info.path} ({_human(info.size)}; epoch {info.epoch}, "
        f"schema {info.schema_version}, {info.blobs} blob files, {_human(info.blob_bytes)})"
    )
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a backup into the data directory (server stopped); gives a new epoch."""
    try:
        info = restore_from(settings, Path(args.file), epoch_above=args.epoch_above)
    except BackupError as exc:
        raise CliError(str(exc)) from None
    print(
        f"restored {info.path} (made {info.backup_created_at}) into {settings.data_dir}; "
        f"epoch {info.backup_epoch} -> {info.new_epoch}, {info.blobs} blob files"
    )
    if info.set_aside:
        print(f"the replaced data was moved to {info.set_aside}; delete it once you are sure")
    print("Devices will re-send the work they still hold when they next sync.")
    return 0


def register(sub: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``schouw`` parser."""
    p = sub.add_parser(
        "backup",
        help="back up database and blobs into one file (server may run)",
        description="Write the database (SQLite online backup, integrity-checked) and the "
        "photo blobs into one archive with a sha256 manifest. Safe while the server runs.",
    )
    p.add_argument("file", help="archive to write, e.g. schouw-2026-11-28.tar")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="restore a backup (stop the server first)",
        description="Verify a backup archive and replace the data directory's database and "
        "blobs with it. The server must be stopped. The replaced data is moved aside, and "
        "the database gets a new epoch so devices re-send the work they still hold.",
    )
    p.add_argument("file", help="archive written by 'schouw backup'")
    p.add_argument(
        "--epoch-above",
        type=int,
        default=0,
        metavar="N",
        help="make the new epoch larger than N; when restoring into an empty data directory, "
        "give the epoch the old server last showed (GET /health), so no epoch is reused",
    )
    p.set_defaults(func=cmd_restore)
