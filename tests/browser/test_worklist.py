"""Issue 12: the work list never drops work (midnight, returned checklists, search) and a
team lead sees read-only forms with a way to the workspace."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
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
    wait_until,
)
from tests.browser.conftest import Server
from tests.browser.seed import World
from tests.browser.test_accessibility import audit
from tests.support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _at(page: Any, when: datetime) -> None:
    page.clock.set_system_time(when)
    page.goto("/#/vandaag")
    page.wait_for_selector("h1:text('Mijn werk')")


def test_work_list_keeps_evening_work_after_midnight_and_returned_work_as_task(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    today = date.today()
    _at(page, datetime.combine(today, datetime.min.time()) + timedelta(hours=20, minutes=50))
    page.wait_for_selector("#today-list a.card-link")
    assert "Shishalounge De Kroon" in page.inner_text("#today-list")
    assert "Gemeente Groningen" in page.inner_text("#today-list"), "agency names, not slugs"
    assert "gemeente-groningen" not in page.inner_text("main")

    open_checklist(page, world.checklist_id)
    choose(page, "aanwezig-leidinggevende", "no")  # the evening inspection is started

    _at(
        page,
        datetime.combine(today + timedelta(days=1), datetime.min.time()) + timedelta(minutes=30),
    )
    page.wait_for_selector("#unfinished-list a.card-link")
    assert page.locator("#today-list").count() == 0
    assert "Geen nieuwe controles gepland voor vandaag" in page.inner_text("main")
    problems = audit(page, "werklijst")
    page.click("#unfinished-list a.card-link")
    page.wait_for_selector("h2:text('Checklists')")
    page.locator("main a.card-link").first.click()
    page.wait_for_selector("#block-aanwezig-leidinggevende input[value=no]:checked")

    # Search over the cases on the phone.
    page.goto("/#/vandaag")
    page.fill("#case-search", "herestr 9711")
    page.wait_for_selector("#search-results a.card-link")
    assert "Shishalounge De Kroon" in page.inner_text("#search-results")
    page.fill("#case-search", "bakkerij")
    page.wait_for_selector("#search-results li.empty")
    problems += audit(page, "zoeken")

    # Submit, then the team lead returns the checklist: a task until amended and resubmitted.
    open_checklist(page, world.checklist_id)
    fill(page, "starttijd", "21:05")
    choose(page, "type-object", "horeca")
    choose(page, "toegang-verleend", "yes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-checklist")
    page.wait_for_selector("#amend-reason")
    sync_and_wait_safe(page)
    api_as(
        server.url,
        "lead",
        "POST",
        f"/api/v1/checklists/{world.checklist_id}/return",
        {"text": "Tel de aanwezigen nog eens."},
    )
    page.click("#sync-now")

    page.goto("/#/vandaag")
    card = page.locator("#unfinished-list li", has_text="Shishalounge")
    card.locator(".badge[data-status=teruggestuurd]").wait_for()
    assert "Opmerking teamleider" in card.inner_text()
    page.wait_for_selector("#attention-count:text('(2)')")  # the return and the comment
    page.click("nav a[href='#/aandacht']")
    page.wait_for_selector("#task-list li[data-task=returned]")
    assert "Tel de aanwezigen nog eens." in page.inner_text("#task-list")
    problems += audit(page, "taken")

    open_checklist(page, world.checklist_id)
    assert "Teruggestuurd" in page.inner_text("#returned-notice")
    page.click("main .notice-comment button:text('Gezien')")
    page.wait_for_selector("main .notice-comment:not(:has(button))")
    page.fill("#amend-reason", "Opnieuw geteld op verzoek van de teamleider")
    fill(page, "aantal-aanwezigen", "7")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-checklist:text('Opnieuw indienen')")
    page.wait_for_selector("#returned-notice", state="detached")
    sync_and_wait_safe(page)
    wait_until(page, "() => document.getElementById('attention-count').textContent === ''")
    page.goto("/#/vandaag")
    page.wait_for_selector("#recent-list .badge[data-status=ingediend]")
    returned = server.query(
        "SELECT status, returned_at FROM checklists WHERE id = ?", (world.checklist_id,)
    )
    assert (returned[0]["status"], returned[0]["returned_at"]) == ("submitted", None)

    ops = server.query("SELECT kind, status, payload FROM ops ORDER BY seq")
    assert [(o["kind"], o["status"]) for o in ops][-2:] == [
        ("amend_answer", "applied"),
        ("submit_checklist", "applied"),
    ]
    assert json.loads(ops[-2]["payload"])["reason"].startswith("Opnieuw geteld")
    assert problems == []
    context.close()


def test_team_lead_reads_forms_and_is_offered_the_workspace(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    page.fill("#username", "lead")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#regie-link")
    assert page.get_attribute("#regie-link", "href") == "/regie/"
    assert page.locator("#new-inspection").count() == 0, "only inspectors start inspections"
    wait_until(
        page,
        """async ([id]) => {
          const s = await import('/js/store.js');
          const templates = await s.records('template');
          return Boolean(await s.record('checklist', id)) && templates.length > 0;
        }""",
        [world.checklist_id],
    )
    open_checklist(page, world.checklist_id)
    page.wait_for_selector("#read-only-notice")
    enabled = page.locator("form.checklist input:enabled, form.checklist textarea:enabled")
    assert enabled.count() == 0
    assert page.locator("#submit-checklist").count() == 0
    assert page.locator("summary:text('Notitie toevoegen')").count() == 0
    assert audit(page, "teamleider-checklist") == []
    context.close()
