"""Helpers for evidence tests: realistic photos, hostile files and a seeded case world."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import sqlite3
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from litestar import Litestar
from PIL import Image, ImageDraw

from server.app import create_app
from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import insert_user, seed_agencies

T = TypeVar("T")

TEMPLATE = ("controle-algemeen", 1)
SHAREABLE_ITEM = "foto-gevel"


def noisy_jpeg(
    width: int = 1200,
    height: int = 900,
    *,
    orientation: int = 6,
    gps: bool = True,
    quality: int = 90,
    sigma: float = 24.0,
    seed: int = 0,
) -> bytes:
    """A phone-like JPEG: gradients, shapes and per-channel noise, EXIF with orientation,
    capture time and (optionally) a GPS position in Groningen."""
    base = Image.linear_gradient("L").resize((width, height))
    channels = []
    for i in range(3):
        noise = Image.effect_noise((width, height), sigma + i + seed % 7)
        channels.append(Image.blend(base.rotate(90 * i, expand=False), noise, 0.5))
    img = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(img)
    for k in range(12):
        x, y = (k * 97 + seed * 31) % width, (k * 53 + seed * 17) % height
        draw.rectangle((x, y, x + width // 8, y + height // 10), outline=(255, 40 * k % 255, 0))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SchouwTest"
    exif[0x0110] = "Phone 12"
    exif[0x0132] = "2026:05:04 09:12:03"
    exif.get_ifd(0x8769)[0x9003] = "2026:05:04 09:12:03"
    exif.get_ifd(0x8769)[0x9011] = "+02:00"
    if gps:
        exif.get_ifd(0x8825).update(
            {1: "N", 2: (53.0, 13.0, 4.32), 3: "E", 4: (6.0, 34.0, 1.2), 5: 0, 6: 7.5}
        )
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, exif=exif, comment=b"secret note 0000")
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def phone_jpeg_8mb() -> bytes:
    """A 12 MP (4032 x 3024) noisy JPEG of roughly 8 MB, like a high-quality phone photo."""
    return noisy_jpeg(4032, 3024, quality=94, sigma=44.0)


def variant(data: bytes, n: int) -> bytes:
    """The same JPEG with another comment: same pixels, a different file and hash."""
    marker = b"secret note 0000"
    assert marker in data
    return data.replace(marker, f"secret note {n:04d}".encode(), 1)


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    """A small RGBA PNG with transparency."""
    img = Image.new("RGBA", (width, height), (0, 128, 255, 128))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def gif_bytes() -> bytes:
    """A small GIF (not an accepted format)."""
    out = io.BytesIO()
    Image.new("P", (64, 64), 3).save(out, format="GIF")
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit PNG of ``width`` x ``height`` (900 M pixels) that compresses to ~100 KiB."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", b"".join(parts))
        + png_chunk(b"IEND", b"")
    )


def pixel_flood_jpeg() -> bytes:
    """A tiny JPEG whose frame header claims 60,000 x 60,000 pixels (a decompression bomb)."""
    data = bytearray(noisy_jpeg(64, 64, gps=False))
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5 : i + 9] = struct.pack(">HH", 60_000, 60_000)
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


def sha256(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class World:
    """A case with one inspection and one checklist of ``agency``, and ids to use."""

    case_id: str
    inspection_id: str
    checklist_id: str
    agency: str
    inspector_id: str


def seed_case(
    conn: sqlite3.Connection, inspector: str, agency: str, others: tuple[str, ...] = ()
) -> World:
    """Insert a case (agency plus ``others``), an inspection assigned to ``inspector`` (a
    username) and a checklist of ``agency`` on template controle-algemeen@1."""
    seed_agencies(conn)
    user = conn.execute("SELECT id FROM users WHERE username = ?", (inspector,)).fetchone()
    user_id = user[0] if user else insert_user(conn, inspector, agency, ["inspector"])
    case_id, inspection_id, checklist_id = uuid7(), uuid7(), uuid7()
    now = now_iso()
    conn.execute(
        "INSERT INTO cases (id, reference, reason, status, created_by, created_at, rev)"
        " VALUES (?, ?, '{}', 'planned', ?, ?, ?)",
        (case_id, f"RIT-2026-{case_id[-6:]}", user_id, now, record_change(conn, "case", case_id)),
    )
    for a in (agency, *others):
        conn.execute("INSERT INTO case_agencies (case_id, agency_id) VALUES (?, ?)", (case_id, a))
    conn.execute(
        "INSERT INTO inspections (id, case_id, scheduled_date, created_by, created_at, rev)"
        " VALUES (?, ?, '2026-05-04', ?, ?, ?)",
        (inspection_id, case_id, user_id, now, record_change(conn, "inspection", inspection_id)),
    )
    conn.execute(
        "INSERT INTO inspection_inspectors (inspection_id, user_id) VALUES (?, ?)",
        (inspection_id, user_id),
    )
    conn.execute(
        "INSERT INTO checklists (id, inspection_id, case_id, agency_id, template_slug,"
        " template_version, created_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            checklist_id,
            inspection_id,
            case_id,
            agency,
            *TEMPLATE,
            now,
            record_change(conn, "checklist", checklist_id, case_id=case_id),
        ),
    )
    return World(case_id, inspection_id, checklist_id, agency, user_id)


def insert_photo(
    conn: sqlite3.Connection,
    world: World,
    data: bytes,
    *,
    item_key: str | None = SHAREABLE_ITEM,
    photo_id: str | None = None,
    digest: str | None = None,
) -> str:
    """A photo row in state ``expected``, as the sync's ``attach_photo`` op makes it."""
    photo_id = photo_id or uuid7()
    rev = record_change(
        conn, "photo", photo_id, case_id=world.case_id, checklist_id=world.checklist_id
    )
    conn.execute(
        "INSERT INTO photos (id, checklist_id, agency_id, item_key, sha256, size, mime,"
        " captured_at, state, author_id, op_id, created_at, rev)"
        " VALUES (?, ?, ?, ?, ?, ?, 'image/jpeg', ?, 'expected', ?, ?, ?, ?)",
        (
            photo_id,
            world.checklist_id,
            world.agency,
            item_key,
            digest or sha256(data),
            len(data),
            now_iso(),
            world.inspector_id,
            uuid7(),
            now_iso(),
            rev,
        ),
    )
    return photo_id


async def seed_photo(
    db: Database, inspector: str, agency: str, data: bytes, **kwargs: object
) -> tuple[World, str]:
    """Seed a case world for ``inspector`` and one expected photo of ``data``."""

    def fn(conn: sqlite3.Connection) -> tuple[World, str]:
        world = seed_case(conn, inspector, agency)
        return world, insert_photo(conn, world, data, **kwargs)  # type: ignore[arg-type]

    return await db.write(fn)


def photo_row(conn: sqlite3.Connection, photo_id: str) -> dict[str, object]:
    """The photo's columns as a dict."""
    row = conn.execute("SELECT * FROM photos WHERE id = ?", (photo_id,)).fetchone()
    return dict(row)


@dataclass
class LiveServer:
    """The real app served by uvicorn on a loopback port, in a background thread."""

    url: str
    app: Litestar

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write unit on the server's database from the test thread."""
        db: Database = self.app.state.db
        return asyncio.run(db.write(fn))

    def idle(self) -> None:
        """Wait until the server's photo jobs are done."""
        asyncio.run(self.app.state.photos.idle())


@contextlib.contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """Serve ``create_app(settings)`` with uvicorn on 127.0.0.1 (a free port)."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port: Any = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` memory field (``VmRSS``, ``VmHWM``, ...) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current VmRSS."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
