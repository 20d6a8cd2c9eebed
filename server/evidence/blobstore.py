"""The content-addressed blob store: originals at ``ab/cd/<sha256>``, derivatives beside.

Files are written to a temporary name, fsynced, renamed into place and the directory is
fsynced, so a name in the store always holds complete bytes. The physical file of an
original may be shared by several agencies; who *holds* it is the ``blobs`` table (per
agency), never the file system.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Any

_SHA = re.compile(r"^[0-9a-f]{64}$")
VARIANTS = ("thumb", "display")


def is_sha256(text: str) -> bool:
    """True for 64 lowercase hex digits."""
    return bool(_SHA.match(text))


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# An upload's body goes to disk at least every WRITE_BYTES (pieces smaller than that are
# gathered first), so no upload holds more than that plus one piece in memory.
WRITE_BYTES = 64 * 1024


def write_pieces(fd: int, pieces: list[bytes], hasher: Any) -> None:
    """Append ``pieces`` with one ``writev`` (no joining copy) and feed ``hasher`` (if any).

    Called off the event loop (``asyncio.to_thread``) by the tus PATCH and the form upload:
    both write a body piece by piece as it arrives, a few pieces at a time."""
    done = os.writev(fd, pieces)
    if done < sum(len(p) for p in pieces):  # a short write: finish piece by piece
        for piece in pieces:
            if done >= len(piece):
                done -= len(piece)
                continue
            write_all(fd, memoryview(piece)[done:])
            done = 0
    if hasher is not None:
        for piece in pieces:
            hasher.update(piece)


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """Originals and derivatives under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def original(self, sha256: str) -> Path:
        """Where the original with this hash lives (``ab/cd/<sha256>``)."""
        if not is_sha256(sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def derived(self, sha256: str, variant: str) -> Path:
        """Where a derivative (``thumb`` or ``display``) lives."""
        if variant not in VARIANTS or not is_sha256(sha256):
            raise ValueError("unknown derivative")
        return self.root / "derived" / f"{sha256}.{variant}.jpg"

    def install_original(self, src: Path, sha256: str) -> Path:
        """Move a complete, fsynced file into place under its hash (atomic rename)."""
        dst = self.original(sha256)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        fsync_dir(dst.parent)
        return dst

    def write_derived(
        self, sha256: str, variant: str, data: bytes, *, sync_dir: bool = True
    ) -> Path:
        """Write a derivative atomically (temporary name, fsync, rename).

        ``sync_dir=False`` leaves the directory fsync to a later write in the same folder.
        """
        dst = self.derived(sha256, variant)
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(6)}.tmp")
        try:
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, dst)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        if sync_dir:
            fsync_dir(dst.parent)
        return dst

    def complete(self, sha256: str) -> bool:
        """True when the original and both derivatives are on disk."""
        return self.original(sha256).is_file() and all(
            self.derived(sha256, v).is_file() for v in VARIANTS
        )
