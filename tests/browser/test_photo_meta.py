"""Issue 12: a photo records its capture time from its own EXIF (read on the phone) and the
position the phone reports (accuracy included); both reach the server, which keeps its own
EXIF reading beside them. The inspector can refuse location in the app."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.app import choose, log_in, open_app, open_checklist, sync_and_wait_safe
from tests.browser.conftest import Server
from tests.browser.seed import World
from tests.browser.test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRONINGEN = {"latitude": 53.219234, "longitude": 6.566502, "accuracy": 8}


def exif_jpeg(path: Path, when: str | None, seed: int) -> None:
    """A noisy JPEG with DateTimeOriginal (and its offset) in its EXIF, or without EXIF."""
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (320, 240), rnd.randbytes(320 * 240 * 3))
    out = io.BytesIO()
    if when is None:
        img.save(out, "JPEG", quality=85)
    else:
        exif = Image.Exif()
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = when
        sub[0x9011] = "+02:00"
        img.save(out, "JPEG", quality=85, exif=exif)
    path.write_bytes(out.getvalue())


def test_photo_carries_exif_time_and_geolocation_to_the_server(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    server, world = world_server
    context, page = open_app(
        browser, server.url, geolocation=GRONINGEN, permissions=["geolocation"]
    )
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "no")  # demands a photo
    with_exif, without = tmp_path / "met-exif.jpg", tmp_path / "zonder-exif.jpg"
    exif_jpeg(with_exif, "2026:05:04 21:13:05", 1)
    exif_jpeg(without, None, 2)
    page.click("#block-toegang-verleend button:text('Foto maken')")  # asks for the position
    page.set_input_files('input[data-item="toegang-verleend"][data-kind="camera"]', str(with_exif))
    page.wait_for_selector("#block-toegang-verleend .thumb .photo-meta:text('tijd uit de foto')")
    assert "locatie vastgelegd (±8 m)" in page.inner_text("#block-toegang-verleend .photo-meta")
    hint = page.locator("#need-toegang-verleend")
    assert "hint-ok" in (hint.get_attribute("class") or ""), "the photo demand is met"

    # Location refused in the app: the next photo has the phone's time and no place.
    page.goto("/#/status")
    page.wait_for_selector("#geo-on")
    assert audit(page, "status-locatie") == []
    page.uncheck("#geo-on")
    open_checklist(page, world.checklist_id)
    page.set_input_files('input[data-item="toegang-verleend"][data-kind="gallery"]', str(without))
    page.wait_for_selector("#block-toegang-verleend .photo-meta:text('geen locatie')")
    sync_and_wait_safe(page, timeout=90_000)

    rows = server.query(
        "SELECT captured_at, geo, exif_time FROM photos WHERE checklist_id = ? ORDER BY rowid",
        (world.checklist_id,),
    )
    assert len(rows) == 2
    first, second = rows
    assert first["captured_at"] == "2026-05-04T21:13:05+02:00"
    assert json.loads(first["geo"]) == {"lat": 53.219234, "lon": 6.566502, "accuracy": 8.0}
    assert first["exif_time"] is not None, "the server keeps its own EXIF reading too"
    assert second["geo"] is None
    assert second["captured_at"].endswith("Z") and second["exif_time"] is None
    context.close()
