"""Issue 5, test 3: a photo upload cut off part-way resumes after reconnecting and a reload,
without re-sending the bytes the server already had (counted by the server)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import log_in, open_app, open_checklist, sync_and_wait_safe
from tests.browser.conftest import Server
from tests.browser.photos import jpeg, sha256
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHUNK = 64 * 1024
UPLOADS = re.compile(r".*/api/v1/uploads.*")


def test_cut_off_upload_resumes_without_resending(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url, init_script=f"window.SCHOUW_TUS_CHUNK = {CHUNK};")
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)

    patches = {"passed": 0, "aborted": 0}

    def cut_after_two_chunks(route: Any) -> None:
        if route.request.method == "PATCH":
            if patches["passed"] >= 2:
                patches["aborted"] += 1
                route.abort("connectionreset")
                return
            patches["passed"] += 1
        route.continue_()

    page.route(UPLOADS, cut_after_two_chunks)
    photo = jpeg(800, 600, seed=3)
    assert len(photo) > 4 * CHUNK
    path = tmp_path / "gevel.jpg"
    path.write_bytes(photo)
    page.set_input_files('input[data-item="foto-gevel"][data-kind="camera"]', path)
    page.wait_for_selector("#block-foto-gevel .thumb img")
    page.click("#sync-now")

    # The connection drops after two chunks; tus-js-client retries and gives up.
    while patches["aborted"] < 2:
        page.wait_for_timeout(200)
    assert server.patch_bytes() == [CHUNK, CHUNK]
    rows = server.query("SELECT id, offset, length FROM uploads")
    assert [(r["offset"], r["length"]) for r in rows] == [(2 * CHUNK, len(photo))]
    assert page.get_attribute("#safe", "data-safe") == "false"

    page.unroute(UPLOADS)
    page.reload()  # resume state must come from IndexedDB
    page.wait_for_selector("body[data-ready=true]")
    sync_and_wait_safe(page)

    received = server.patch_bytes()
    assert sum(received) == len(photo), f"server received {received} for {len(photo)} bytes"
    assert received[:2] == [CHUNK, CHUNK]
    assert len(server.query("SELECT id FROM uploads")) == 1, "resumed, not started over"
    photos = server.query("SELECT state, sha256 FROM photos")
    assert [(p["state"], p["sha256"]) for p in photos] == [("verified", sha256(photo))]
    context.close()
