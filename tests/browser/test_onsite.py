"""Issue 12: an inspection started on site, offline: created, filled, synced, and seen by the
team lead with its possible duplicate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.app import api_as, choose, fill, log_in, open_app, sync_and_wait_safe
from tests.browser.conftest import Server
from tests.browser.seed import World
from tests.browser.test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_new_inspection_on_site_offline_reaches_the_team_lead_with_its_duplicate(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    server.stop()

    page.click("#new-inspection")
    page.wait_for_selector("h1:text('Nieuwe controle ter plaatse')")
    problems = audit(page, "nieuw")
    page.fill("#postcode", "9711 SS")
    page.fill("#huisnummer", "12b")
    page.click("#create-inspection")
    page.wait_for_selector("#new-errors:not([hidden])")
    assert "bestaat niet" in page.inner_text("#postcode-error")
    assert "Toevoeging" in page.inner_text("#huisnummer-error")
    assert "10 tekens" in page.inner_text("#explanation-error")
    assert page.get_attribute("#postcode", "aria-invalid") == "true"
    problems += audit(page, "nieuw-fouten")

    page.fill("#postcode", "9711 lm")
    page.fill("#huisnummer", "12")
    page.fill("#toevoeging", "a")
    page.fill("#name", "Kroon Lounge")
    page.select_option("#category", "eigen-waarneming")
    page.fill("#explanation", "Harde muziek en rook gezien bij het passeren.")
    page.select_option("#template", "controle-algemeen@1")
    page.click("#create-inspection")
    page.wait_for_selector("form.checklist")
    checklist_id = page.url.rsplit("/", 1)[1]
    fill(page, "starttijd", "22:15")
    choose(page, "type-object", "horeca")
    page.goto("/#/vandaag")
    card = page.locator("#unfinished-list li", has_text="Kroon Lounge")
    card.wait_for()
    assert "nieuw ter plaatse" in card.inner_text()

    server.start()
    sync_and_wait_safe(page)
    rows = server.query(
        "SELECT c.id, c.possible_duplicates, k.agency_id FROM checklists k"
        " JOIN cases c ON c.id = k.case_id WHERE k.id = ?",
        (checklist_id,),
    )
    assert len(rows) == 1 and rows[0]["agency_id"] == "gemeente-groningen"
    case_id = rows[0]["id"]
    answers = server.query(
        "SELECT item_key, value FROM answers WHERE checklist_id = ?", (checklist_id,)
    )
    assert {r["item_key"]: json.loads(r["value"]) for r in answers} == {
        "starttijd": "22:15",
        "type-object": "horeca",
    }
    seen = api_as(server.url, "lead", "GET", f"/api/v1/cases/{case_id}", None)
    assert seen["possible_duplicates"] == [world.case_id]
    assert seen["subject"]["business"]["name"] == "Kroon Lounge"
    # After the pull the phone holds the server's case, with its reference.
    page.goto("/#/vandaag")
    page.locator("#unfinished-list li", has_text="RIT-").first.wait_for()
    assert problems == []
    context.close()
