"""Indienen locks a checklist; a later change is an amendment that needs a reason."""

from __future__ import annotations

import json
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
    wait_until,
)
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_submit_then_amend_with_a_reason(browser: Any, world_server: tuple[Server, World]) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    fill(page, "starttijd", "09:30")
    choose(page, "type-object", "horeca")
    choose(page, "aanwezig-leidinggevende", "no")
    choose(page, "toegang-verleend", "yes")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-checklist")
    page.wait_for_selector("#amend-reason")
    assert page.locator("#submit-checklist").count() == 0

    ops_before = len(outbox(page))
    page.fill("#item-aantal-aanwezigen", "12")
    page.locator("#item-aantal-aanwezigen").blur()
    page.wait_for_selector("#amend-error:text('Vul de reden')")
    assert len(outbox(page)) == ops_before, "no amendment without a reason"
    assert page.input_value("#item-aantal-aanwezigen") == "", "the field shows what is stored"

    page.fill("#amend-reason", "Na telling ter plaatse")
    fill(page, "aantal-aanwezigen", "12")
    sync_and_wait_safe(page)

    checklist = server.query("SELECT status FROM checklists WHERE id = ?", (world.checklist_id,))
    assert checklist[0]["status"] == "submitted"
    ops = server.query("SELECT kind, status, payload FROM ops ORDER BY seq")
    assert [(o["kind"], o["status"]) for o in ops][-2:] == [
        ("submit_checklist", "applied"),
        ("amend_answer", "applied"),
    ]
    assert json.loads(ops[-1]["payload"])["reason"] == "Na telling ter plaatse"
    row = server.query(
        "SELECT value, amended FROM answers WHERE checklist_id = ? AND item_key = ?",
        (world.checklist_id, "aantal-aanwezigen"),
    )
    assert (json.loads(row[0]["value"]), row[0]["amended"]) == (12, 1)
    context.close()


def test_another_agencys_checklist_is_read_only(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    page.click("#today-list a.card-link")
    page.wait_for_selector("h2:text('Checklists')")
    cards = page.locator("main a.card-link")
    cards.first.wait_for()
    assert cards.count() == 2
    assert "andere dienst" not in cards.nth(0).inner_text()  # own agency's checklist first
    assert "andere dienst, alleen lezen" in cards.nth(1).inner_text()

    wait_until(
        page,
        """async ([id]) => Boolean(await (await import('/js/store.js')).record('checklist', id))""",
        [world.police_checklist_id],
    )
    open_checklist(page, world.police_checklist_id)
    assert "politie" in page.inner_text("main .notice-comment")
    enabled = page.locator("form.checklist input:enabled, form.checklist textarea:enabled")
    assert enabled.count() == 0
    assert page.locator("#submit-checklist").count() == 0
    context.close()
