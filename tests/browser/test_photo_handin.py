"""A photo counts as "veilig om in te leveren" only once the server verified it or the
inspector deliberately withdrew it: a 403 from the upload endpoint leaves the photo waiting
(it is not refused), and a photo the server refuses stays unsafe, also when looked at, until
it is withdrawn with a reason."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import log_in, open_app, open_checklist, sync_and_wait_safe, wait_until
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UPLOADS = re.compile(r".*/api/v1/uploads.*")
PHOTO_STATES = """async () => (await (await import('/js/store.js')).photos()).map((p) => ({
  state: p.state, withdrawn: Boolean(p.withdrawn_at), error: p.upload_error ?? null}))"""


def test_only_a_photo_problem_refuses_a_photo_and_refused_is_unsafe_until_withdrawn(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)

    forbidden = {"calls": 0}

    def forbid(route: Any) -> None:
        forbidden["calls"] += 1
        route.fulfill(
            status=403,
            content_type="application/problem+json",
            body=json.dumps(
                {
                    "type": "https://schouw.example/problems/forbidden",
                    "title": "Geen toegang",
                    "status": 403,
                    "detail": "U mag nu geen foto's bij deze checklist uploaden.",
                }
            ),
        )

    page.route(UPLOADS, forbid)
    # A JPEG header followed by noise: the browser accepts it, the server cannot decode it.
    broken = b"\xff\xd8\xff\xe0" + random.Random(7).randbytes(20_000)
    path = tmp_path / "kapot.jpg"
    path.write_bytes(broken)
    page.set_input_files('input[data-item="foto-gevel"][data-kind="camera"]', path)
    wait_until(page, f"async () => ({PHOTO_STATES})().then((p) => p.length === 1)")
    page.click("#sync-now")
    wait_until(page, f"async () => ({PHOTO_STATES})().then((p) => p[0].error !== null)")
    assert forbidden["calls"] >= 1
    waiting = page.evaluate(PHOTO_STATES)
    assert len(waiting) == 1 and not waiting[0]["withdrawn"]
    assert waiting[0]["state"] in ("local", "uploading"), "a 403 does not refuse the photo"
    assert waiting[0]["error"] == "U mag nu geen foto's bij deze checklist uploaden."
    assert page.get_attribute("#safe", "data-safe") == "false"

    page.unroute(UPLOADS)
    page.click("#sync-now")  # now the server gets the bytes and refuses them (photo-*)
    wait_until(page, f"async () => ({PHOTO_STATES})().then((p) => p[0].state === 'rejected')")
    page.wait_for_selector("#sync-now:not([disabled])")
    assert page.get_attribute("#safe", "data-safe") == "false"
    assert page.text_content("#attention-count") == " (1)"

    page.click("nav a[href='#/aandacht']")
    card = page.locator("#attention-list li", has=page.locator("form.withdraw"))
    card.get_by_label("Reden van intrekken").fill("Mislukte opname, opnieuw gefotografeerd.")
    card.get_by_role("button", name="Foto intrekken").click()
    page.wait_for_selector("#attention-list li.seen")
    sync_and_wait_safe(page)
    rows = server.query("SELECT state, withdrawn_at, withdraw_reason FROM photos")
    assert [(r["state"], r["withdraw_reason"]) for r in rows] == [
        ("rejected", "Mislukte opname, opnieuw gefotografeerd.")
    ]
    assert rows[0]["withdrawn_at"] is not None
    context.close()
