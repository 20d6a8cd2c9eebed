"""Safety nets of the field app: a revoked device wipes itself, logout refuses to drop
unsynced work without confirmation, and an expired access token is refreshed silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import choose, log_in, open_app, open_checklist, outbox, sync_and_wait_safe
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

META = "async ([key]) => (await import('/js/store.js')).getMeta(key)"
LOCAL_STATE = """async () => ({
  databases: (await indexedDB.databases()).map(d => d.name),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
  caches: (await caches.keys()).length,
})"""


def test_revoked_device_wipes_its_data_and_service_worker(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "yes")
    sync_and_wait_safe(page)
    before = page.evaluate(LOCAL_STATE)
    assert "schouw" in before["databases"] and before["workers"] == 1 and before["caches"] == 1

    device_id = page.evaluate(META, ["device_id"])
    schouw = Path(sys.executable).parent / "schouw"
    env = {**os.environ, "SCHOUW_DATA_DIR": str(server.data_dir)}
    subprocess.run([str(schouw), "device", "revoke", device_id], check=True, env=env)

    # The next call (whatever triggers it) tells the app to wipe itself.
    page.evaluate("async () => (await import('/js/sync.js')).syncNow('test')")
    page.wait_for_selector("h1:text('Toestel ingetrokken')")
    assert page.evaluate(LOCAL_STATE) == {"databases": [], "workers": 0, "caches": 0}
    context.close()


def test_logout_keeps_unsynced_work_unless_confirmed(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    server.stop()
    choose(page, "toegang-verleend", "yes")
    page.click("nav a[href='#/status']")

    # The confirm dialog holds the page: do not wait for navigations after the click (under
    # load Playwright's bookkeeping waited out its 30 s while the dialog was open).
    with page.expect_event("dialog") as refused:
        page.click("#logout", no_wait_after=True)
    dialog = refused.value
    assert "1 wijzigingen" in dialog.message
    dialog.dismiss()
    page.wait_for_selector("#logout")
    assert [o["state"] for o in outbox(page)] == ["pending"]

    page.once("dialog", lambda dialog: dialog.accept())
    # Logging out reloads the page from the service worker (the server is down): wait for the
    # login screen itself rather than for Playwright's navigation bookkeeping.
    page.click("#logout", no_wait_after=True)
    page.wait_for_selector("#username")  # back at the login screen, local work gone
    assert outbox(page) == []
    context.close()


def test_expired_access_token_is_refreshed_silently(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    page.evaluate(
        """async () => {
          const s = await import('/js/store.js');
          const auth = await s.getMeta('auth');
          await s.setMeta({auth: {...auth, access_token: 'verlopen-token'}});
        }"""
    )
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "na")
    sync_and_wait_safe(page)
    auth = page.evaluate(META, ["auth"])
    assert auth["access_token"] not in ("verlopen-token", "")
    rows = server.query("SELECT value FROM answers WHERE item_key = 'toegang-verleend'")
    assert [json.loads(r["value"]) for r in rows] == ["na"]
    context.close()
