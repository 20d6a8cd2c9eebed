"""The Schouw backup archive format: writing members with hashes, verified extraction.

An uncompressed tar (photos are already compressed): the first member is a header naming the
format, then the database copy and the blobs, and last a manifest with the sha256 and size of
every member in between. Extraction checks every member against the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "schouw-backup/1"
HEADER = "schouw-backup.json"
MANIFEST = "manifest.json"
DB_MEMBER = "schouw.db"
BLOBS = "blobs"
CHUNK = 1024 * 1024
MAX_META_BYTES = 64 * 1024 * 1024


class BackupError(Exception):
    """Backup or restore refused or failed; the message says why and what to do."""


class HashingReader(io.RawIOBase):
    """Reads through to ``inner`` while hashing what was read."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data


def blob_files(blob_dir: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under the blob directory (sorted), skipping hidden and temporary files."""
    if not blob_dir.is_dir():
        return
    for root, dirs, files in os.walk(blob_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.endswith((".tmp", ".partial")):
                continue
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, f"{BLOBS}/{path.relative_to(blob_dir).as_posix()}"


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def add_file(tar: tarfile.TarFile, name: str, path: Path) -> tuple[str, int] | None:
    """Add one file while hashing it; ``None`` if it vanished meanwhile."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(time.time())
        info.mode = 0o600
        reader = HashingReader(handle)
        tar.addfile(info, reader)
        return reader.digest.hexdigest(), size


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return False
    return name in (DB_MEMBER, MANIFEST) or (path.parts[0] == BLOBS and len(path.parts) > 1)


def _read_json(tar: tarfile.TarFile, member: tarfile.TarInfo, what: str) -> dict[str, Any]:
    if not member.isfile() or member.size > MAX_META_BYTES:
        raise BackupError(f"the {what} of the archive is not a plain, small file")
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"the {what} of the archive cannot be read")
    try:
        data = json.loads(handle.read())
    except ValueError:
        raise BackupError(f"the {what} of the archive is not valid JSON") from None
    if not isinstance(data, dict):
        raise BackupError(f"the {what} of the archive is not a JSON object")
    return data


def extract_verified(archive: Path, staging: Path) -> tuple[dict[str, Any], int]:
    """Extract into ``staging`` and check every member against the manifest."""
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, EOFError):
        raise BackupError(f"{archive} is not a Schouw backup (not a tar archive)") from None
    seen: dict[str, tuple[str, int]] = {}
    header: dict[str, Any] | None = None
    manifest: dict[str, Any] | None = None
    try:
        with tar:
            for member in tar:
                if header is None:
                    if member.name != HEADER:
                        raise BackupError(f"{archive} is not a Schouw backup (no {HEADER})")
                    header = _read_json(tar, member, "header")
                    if header.get("format") != FORMAT:
                        raise BackupError(
                            f"{archive} has format {header.get('format')!r}; "
                            f"this Schouw reads {FORMAT!r}"
                        )
                    continue
                if manifest is not None:
                    raise BackupError(f"{archive} has members after its manifest; it is damaged")
                if member.isdir():
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise BackupError(f"{archive} contains an unexpected member {member.name!r}")
                if member.name == MANIFEST:
                    manifest = _read_json(tar, member, "manifest")
                    continue
                if member.name in seen:
                    raise BackupError(f"{archive} contains {member.name!r} twice")
                target = staging / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    raise BackupError(f"{archive} member {member.name!r} cannot be read")
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                seen[member.name] = (digest.hexdigest(), member.size)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"{archive} is damaged or truncated ({exc})") from None
    if header is None:
        raise BackupError(f"{archive} is not a Schouw backup (empty archive)")
    if manifest is None:
        raise BackupError(f"{archive} has no manifest; it is truncated or damaged")
    expected = manifest.get("members")
    if not isinstance(expected, dict) or DB_MEMBER not in expected:
        raise BackupError(f"the manifest of {archive} lists no database")
    for name, entry in expected.items():
        got = seen.get(name)
        if got is None:
            raise BackupError(f"{archive} is missing {name!r}, which its manifest lists")
        if not isinstance(entry, dict) or got != (entry.get("sha256"), entry.get("size")):
            raise BackupError(
                f"checksum mismatch for {name!r} in {archive}; the archive is damaged"
            )
    extra = set(seen) - set(expected)
    if extra:
        raise BackupError(f"{archive} holds members its manifest does not list: {sorted(extra)}")
    return header, sum(1 for n in seen if n.startswith(BLOBS + "/"))
