"""A new app version waits: "Bijwerken" is offered, but only enabled once the outbox is empty."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import (
    choose,
    log_in,
    open_app,
    open_checklist,
    sync_and_wait_safe,
    wait_until,
)
from tests.browser.conftest import ROOT, Server
from tests.browser.seed import seed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VENDOR = "node_modules/tus-js-client/dist/tus.min.js"
CACHES = "async () => (await caches.keys()).filter(k => k.startsWith('schouw-shell-'))"


def copy_pwa(target: Path) -> Path:
    """A copy of the app (with the one vendored file) that the test may change."""
    shutil.copytree(ROOT / "pwa", target, ignore=shutil.ignore_patterns("node_modules", "test"))
    (target / VENDOR).parent.mkdir(parents=True)
    shutil.copy(ROOT / "pwa" / VENDOR, target / VENDOR)
    return target


def test_update_waits_for_an_empty_outbox(browser: Any, tmp_path: Path) -> None:
    from server.settings import Settings

    pwa = copy_pwa(tmp_path / "pwa")
    world = seed(Settings(data_dir=tmp_path / "data"))
    server = Server(tmp_path / "data", env={"SCHOUW_PWA_DIR": str(pwa)})
    server.start()
    try:
        context, page = open_app(browser, server.url)
        log_in(page, "insp-a")
        open_checklist(page, world.checklist_id)
        page.route("**/api/v1/sync/push", lambda route: route.abort())
        choose(page, "toegang-verleend", "yes")  # stays in the outbox: pushes fail

        old = page.evaluate(CACHES)
        # A new release: one shell file changes; the server derives the new version.
        css = pwa / "css" / "app.css"
        css.write_text(css.read_text() + "\n/* release 2 */\n")
        page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).update()")
        page.wait_for_selector("#update:not([hidden])")
        assert page.is_disabled("#update-go")
        assert "zodra al je werk is verzonden" in page.inner_text("#update-text")

        page.unroute("**/api/v1/sync/push")
        sync_and_wait_safe(page)
        page.wait_for_selector("#update-go:enabled")
        with page.expect_navigation():
            page.click("#update-go")
        page.wait_for_selector("body[data-ready=true]")
        # The new worker takes control at once; it removes the old cache while activating.
        wait_until(page, f"async () => (await ({CACHES})()).length === 1")
        new = page.evaluate(CACHES)
        assert len(old) == 1 and len(new) == 1 and new != old  # the old cache is gone
        assert "release 2" in page.evaluate(
            "async () => (await (await fetch('/css/app.css')).text())"
        )
        context.close()
    finally:
        server.stop()
