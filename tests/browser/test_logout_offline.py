"""Logout clears the browser's HTTP cache (Clear-Site-Data: "cache"), and the field app's
shell still starts offline afterwards: log out, log in again, stop the server, reload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.app import log_in, open_app, wait_until
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_app_shell_starts_offline_after_logout_and_login(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, _ = world_server
    context, page = open_app(browser, server.url)
    logouts: list[Any] = []
    page.on("response", lambda r: logouts.append(r) if r.url.endswith("/auth/logout") else None)
    try:
        log_in(page, "insp-a")
        page.goto("/#/status")
        page.click("#logout")
        page.wait_for_selector("#username")  # back on the login screen
        assert [r.all_headers().get("clear-site-data") for r in logouts] == ['"cache"']
        log_in(page, "insp-a")
        server.stop()  # no network from here on
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector("main li.inspection a.card-link")  # the work list, offline
        wait_until(page, "() => navigator.serviceWorker.controller !== null")
    finally:
        context.close()
