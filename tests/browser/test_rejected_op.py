"""Issue 5, test 4: an op the server rejects lands in "Aandacht nodig"; the others sync."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.app import choose, fill, log_in, open_app, open_checklist, wait_until
from tests.browser.conftest import Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INJECT = """async ([checklistId]) => {
  const store = await import('/js/store.js');
  // Not an option of "indruk": the UI never offers it, the server must reject it.
  return (await store.saveAnswer(checklistId, 'indruk', 'rampzalig')).seq;
}"""


def test_rejected_op_needs_attention_and_never_blocks(
    browser: Any, world_server: tuple[Server, World]
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)

    server.stop()
    choose(page, "aanwezig-leidinggevende", "yes")
    bad_seq = page.evaluate(INJECT, [world.checklist_id])
    fill(page, "aantal-aanwezigen", "4")
    assert page.inner_text("#unsent") == "3 niet verzonden"

    server.start()
    page.click("#sync-now")
    wait_until(page, "() => document.getElementById('unsent').textContent === '0 niet verzonden'")
    page.wait_for_selector("#attention-count:text('(1)')")
    assert page.get_attribute("#safe", "data-safe") == "false"

    answers = server.query(
        "SELECT item_key, value FROM answers WHERE checklist_id = ?", (world.checklist_id,)
    )
    assert {r["item_key"]: json.loads(r["value"]) for r in answers} == {
        "aanwezig-leidinggevende": "yes",
        "aantal-aanwezigen": 4,
    }
    ops = server.query("SELECT seq, status FROM ops ORDER BY seq")
    assert [(r["seq"], r["status"]) for r in ops] == [
        (1, "applied"),
        (bad_seq, "rejected"),
        (3, "applied"),
    ]

    page.click("nav a[href='#/aandacht']")
    page.wait_for_selector("#attention-list li")
    item = page.locator("#attention-list li")
    assert item.count() == 1
    text = item.inner_text()
    # The item's label, never its internal key.
    assert "Algemene indruk van het pand" in text and "rampzalig" in text
    assert "“indruk”" not in text
    assert page.locator("#attention-list .error").inner_text().strip() != ""
    assert page.locator("#block-indruk").count() == 0  # we are on the attention screen
    item.get_by_role("button", name="Gezien").click()
    page.wait_for_selector("#safe[data-safe=true]")
    page.goto(f"/#/checklist/{world.checklist_id}")
    page.wait_for_selector("#block-aantal-aanwezigen [data-marker=saved]")
    assert page.locator("#block-indruk [data-marker=rejected]").count() == 0  # seen
    assert page.locator("#block-indruk input:checked").count() == 0  # refused value undone
    context.close()
