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


def _push_as(base_url: str, username: str, ops: list[dict[str, Any]]) -> Any:
    """Log in as another user's phone and push ops."""
    from server.lib.ids import uuid7
    from tests.support import PASSWORD

    device = uuid7()
    login = {"username": username, "password": PASSWORD, "device_id": device}
    token = _post(base_url, "/api/v1/auth/login", login)["access_token"]
    body = {"device_id": device, "schema_version": 1, "ops": ops}
    return _post(base_url, "/api/v1/sync/push", body, token)


def _post(base_url: str, path: str, body: Any, token: str | None = None) -> Any:
    import urllib.request

    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_another_agencys_checklist_shows_metadata_and_released_items_only(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    from server.lib.ids import uuid7
    from tests.browser.app import api_as
    from tests.browser.test_accessibility import audit

    server, world = world_server
    pol = world.police_checklist_id
    ops = [
        {
            "op": "set_answer",
            "op_id": uuid7(),
            "seq": n,
            "client_time": "2026-05-04T10:00:00Z",
            "checklist_id": pol,
            "item_key": key,
            "value": value,
            "base_rev": None,
        }
        for n, (key, value) in enumerate(
            [
                ("pol-afscherming", ["afgeplakte-ramen"]),
                ("pol-wapens", "no"),
                ("pol-advies-burgemeester", "nee"),
            ],
            start=1,
        )
    ]
    results = _push_as(server.url, "insp-p", ops)["results"]
    assert [r["status"] for r in results] == ["applied"] * 3, results
    api_as(
        server.url,
        "lead-p",
        "POST",
        f"/api/v1/checklists/{pol}/releases",
        {"item_keys": ["pol-afscherming"], "basis": "Afstemming in het casusoverleg"},
    )

    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    page.click("#today-list a.card-link")
    page.wait_for_selector("h2:text('Checklists')")
    cards = page.locator("main a.card-link")
    cards.first.wait_for()
    assert cards.count() == 2
    assert "andere dienst" not in cards.nth(0).inner_text()  # own agency's checklist first
    police = cards.nth(1).inner_text()
    assert "Politie Noord-Nederland" in police and "andere dienst, alleen lezen" in police
    assert "3 van " in police, "the server's progress of the other agency's checklist"

    wait_until(
        page,
        """async ([id]) => Boolean(await (await import('/js/store.js')).record('checklist', id))""",
        [pol],
    )
    page.goto(f"/#/checklist/{pol}")
    page.wait_for_selector("#foreign-facts")
    facts = page.inner_text("#foreign-facts")
    assert "Politie Noord-Nederland" in facts and "Nog niet ingediend" in facts
    assert "3 van " in facts
    released = page.inner_text("#released-items")
    assert "Afscherming van het pand" in released
    assert "Afgeplakte of geblindeerde ramen" in released, "option labels, not keys"
    assert "Politie-info" not in released and "Wapens" not in released
    assert page.locator("main input, main textarea, #submit-checklist").count() == 0
    assert "Notitie toevoegen" not in page.inner_text("main")
    assert "0 van" not in page.inner_text("main")
    assert audit(page, "andere-dienst") == []
    context.close()
