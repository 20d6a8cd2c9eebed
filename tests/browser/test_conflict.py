"""Issue 5, test 2: two inspectors change the same item offline; the conflict is recorded on
the server and shown in both apps, and different items never conflict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.app import (
    api_as,
    choose,
    fill,
    log_in,
    open_app,
    open_checklist,
    sync_and_wait_safe,
)
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_same_item_conflicts_different_items_do_not(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    ctx_a, anna = open_app(browser, server.url)
    ctx_b, bram = open_app(browser, server.url)
    log_in(anna, "insp-a")
    log_in(bram, "insp-b")

    server.stop()
    open_checklist(anna, world.checklist_id)
    open_checklist(bram, world.checklist_id)
    fill(anna, "aantal-aanwezigen", "3")  # same item, different values
    fill(bram, "aantal-aanwezigen", "5")
    choose(anna, "indruk", "op-orde")  # different items: never a conflict
    fill(bram, "eindtijd", "11:45")

    server.start()
    sync_and_wait_safe(anna)
    sync_and_wait_safe(bram)
    sync_and_wait_safe(anna)  # Anna learns about the conflict through pull

    conflicts = server.query(
        "SELECT item_key, status, candidates FROM conflicts WHERE checklist_id = ?",
        (world.checklist_id,),
    )
    assert [(c["item_key"], c["status"]) for c in conflicts] == [("aantal-aanwezigen", "open")]
    values = sorted(c["value"] for c in json.loads(conflicts[0]["candidates"]))
    assert values == [3, 5]
    answers = server.query(
        "SELECT item_key, value FROM answers WHERE checklist_id = ?", (world.checklist_id,)
    )
    # Applied in arrival order (whichever phone reached the server last); both values are
    # kept in the conflict.
    arrived = [
        json.loads(r["payload"])
        for r in server.query("SELECT payload FROM ops WHERE kind = 'set_answer' ORDER BY rowid")
    ]
    last = [op["value"] for op in arrived if op["item_key"] == "aantal-aanwezigen"][-1]
    assert {r["item_key"]: json.loads(r["value"]) for r in answers} == {
        "aantal-aanwezigen": last,
        "indruk": "op-orde",
        "eindtijd": "11:45",
    }

    for page in (anna, bram):
        notice = page.locator("#block-aantal-aanwezigen .notice-conflict")
        notice.wait_for()
        assert "Conflict" in notice.inner_text()
        assert page.locator(".notice-conflict").count() == 1
        assert page.locator("#block-aantal-aanwezigen [data-marker=conflict]").count() == 1
        assert page.locator("#block-indruk [data-marker=saved]").count() == 1

    # The team lead sends the item back with a comment; it reaches both inspectors' apps.
    api_as(
        server.url,
        "lead",
        "POST",
        f"/api/v1/checklists/{world.checklist_id}/comments",
        {"text": "Tel de aanwezigen opnieuw.", "item_key": "aantal-aanwezigen"},
    )
    for page in (anna, bram):
        page.click("#sync-now")
        comment = page.locator("#block-aantal-aanwezigen .notice-comment")
        comment.wait_for()
        assert comment.locator("p").inner_text() == "Teamleider: Tel de aanwezigen opnieuw."
    ctx_a.close()
    ctx_b.close()
