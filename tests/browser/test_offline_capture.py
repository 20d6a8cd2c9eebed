"""Issue 5, test 1: a whole capture offline, a reload offline, then sync: nothing lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import (
    choose,
    fill,
    log_in,
    open_app,
    open_checklist,
    outbox,
    sync_and_wait_safe,
)
from tests.browser.conftest import OUTPUT, Server
from tests.browser.photos import jpeg, sha256
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPECTED: dict[str, object] = {
    "starttijd": "09:30",
    "type-object": "horeca",
    "aanwezig-leidinggevende": "yes",
    "functie-verantwoordelijke": "eigenaar",
    "toegang-verleend": "no",
    "aantal-aanwezigen": 3,
    "indruk": "ernstig",
    "toelichting-indruk": "Nooduitgang geblokkeerd met kratten.",
}


def blob_file(data_dir: Path, digest: str) -> Path:
    """The stored original with this sha256."""
    found = [p for p in (data_dir / "blobs").rglob(digest) if p.is_file()]
    assert found, f"no stored blob named {digest}"
    return found[0]


def test_offline_capture_reload_and_sync(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")

    server.stop()  # the basement: no network at all from here on
    open_checklist(page, world.checklist_id)
    fill(page, "starttijd", "09:30")
    choose(page, "type-object", "horeca")
    choose(page, "aanwezig-leidinggevende", "yes")
    choose(page, "functie-verantwoordelijke", "eigenaar")  # visible_if: only after "yes"
    choose(page, "toegang-verleend", "no")
    page.wait_for_selector("#need-toegang-verleend")  # photo_on: "no" demands a photo
    fill(page, "aantal-aanwezigen", "3")
    choose(page, "indruk", "ernstig")
    fill(page, "toelichting-indruk", str(EXPECTED["toelichting-indruk"]))
    photo = jpeg(seed=11)
    photo_path = tmp_path / "gevel.jpg"
    photo_path.write_bytes(photo)
    page.set_input_files('input[data-item="toegang-verleend"][data-kind="gallery"]', photo_path)
    page.wait_for_selector("#block-toegang-verleend .thumb img")
    # The app noticed it cannot reach the server (the compact status line says so).
    page.wait_for_selector("#status-summary:text('Offline')")
    assert page.get_attribute("#net", "data-online") == "false"

    page.reload()  # offline: the shell must come from the service worker
    page.wait_for_selector("form.checklist")
    assert page.is_checked("#item-toegang-verleend--no")
    assert page.is_checked("#item-functie-verantwoordelijke--eigenaar")
    assert page.input_value("#item-aantal-aanwezigen") == "3"
    assert page.input_value("#item-starttijd") == "09:30"
    assert page.input_value("#item-toelichting-indruk") == EXPECTED["toelichting-indruk"]
    assert page.locator("#block-toegang-verleend .thumb img").count() == 1
    assert page.inner_text("#unsent") == f"{len(EXPECTED) + 1} niet verzonden"
    assert page.get_attribute("#safe", "data-safe") == "false"
    assert len(outbox(page)) == len(EXPECTED) + 1, "one op per real edit"

    server.start()
    sync_and_wait_safe(page)
    assert "veilig om in te leveren" in page.inner_text("#safe").lower()
    page.screenshot(path=str(OUTPUT / "pwa-veilig.png"), full_page=True)

    rows = server.query(
        "SELECT item_key, value FROM answers WHERE checklist_id = ?", (world.checklist_id,)
    )
    assert {r["item_key"]: json.loads(r["value"]) for r in rows} == EXPECTED
    ops = server.query(
        "SELECT kind, status, count(*) AS n FROM ops GROUP BY kind, status ORDER BY kind"
    )
    assert {(r["kind"], r["status"]): r["n"] for r in ops} == {
        ("set_answer", "applied"): len(EXPECTED),
        ("attach_photo", "applied"): 1,
    }
    photos = server.query("SELECT * FROM photos WHERE checklist_id = ?", (world.checklist_id,))
    assert len(photos) == 1
    assert photos[0]["state"] == "verified"
    assert photos[0]["item_key"] == "toegang-verleend"
    assert photos[0]["sha256"] == sha256(photo)
    assert blob_file(server.data_dir, sha256(photo)).read_bytes() == photo
    context.close()

    # A colleague's phone shows the verified photo's thumbnail (fetched from the server).
    context_b, bram = open_app(browser, server.url)
    log_in(bram, "insp-b")
    open_checklist(bram, world.checklist_id)
    bram.locator("#block-toegang-verleend .thumb img").wait_for()
    assert bram.get_attribute("#block-toegang-verleend .thumb", "data-state") == "verified"
    context_b.close()
