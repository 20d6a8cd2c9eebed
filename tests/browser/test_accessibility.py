"""Issue 5, test 5: axe-core finds no serious or critical violations on any screen;
a 390x844 screenshot of each screen goes to test-output/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.app import choose, log_in, open_app, open_checklist
from tests.browser.conftest import OUTPUT, ROOT, Server
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = ROOT / "pwa/node_modules/axe-core/axe.min.js"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


SMALL_TARGETS = """() => {
  const sel = 'button, nav a, a.card-link, main p > a, summary, label.choice, .error-summary a,'
    + ' input:not([type=radio]):not([type=checkbox]):not([type=file]), textarea';
  return Array.from(document.querySelectorAll(sel))
    .filter(el => el.offsetParent !== null)
    .map(el => [el.id || el.textContent.trim().slice(0, 40), el.getBoundingClientRect()])
    .filter(([, r]) => r.height < 44 || r.width < 44)
    .map(([name, r]) => `${name} ${Math.round(r.width)}x${Math.round(r.height)}`);
}"""


def audit(page: Any, name: str) -> list[dict[str, Any]]:
    """Screenshot the screen and return its serious/critical axe violations and any touch
    target smaller than 44x44 px."""
    page.screenshot(path=str(OUTPUT / f"pwa-{name}.png"), full_page=False)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # CDP evaluation is not subject to the page's CSP (script-src 'self').
        page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    small = [
        {"id": "target-size-44", "screen": name, "nodes": t} for t in page.evaluate(SMALL_TARGETS)
    ]
    return small + [dict(v, screen=name) for v in found if v["impact"] in ("serious", "critical")]


def test_every_screen_passes_axe(browser: Any, world_server: tuple[Server, World]) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url, user_agent=IPHONE)
    problems: list[dict[str, Any]] = []

    assert page.is_visible("#ios-hint"), "iPhone users are told to add the app to the home screen"
    problems += audit(page, "inloggen")
    page.click("button[type=submit]")  # empty form: the Dutch error must pass too
    page.wait_for_selector("#login-error:text('Vul je gebruikersnaam')")
    problems += audit(page, "inloggen-fout")

    log_in(page, "insp-a")
    problems += audit(page, "vandaag")
    page.click("#today-list a.card-link")
    page.wait_for_selector("h2:text('Checklists')")
    problems += audit(page, "controle")

    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "no")
    choose(page, "inbeslagname", "yes")  # shows the signature pad (visible_if)
    problems += audit(page, "checklist")
    page.click("#submit-checklist")
    page.wait_for_selector("#error-summary")
    problems += audit(page, "checklist-fouten")
    page.screenshot(path=str(OUTPUT / "pwa-checklist-volledig.png"), full_page=True)

    page.evaluate(
        """async ([id]) => (await import('/js/store.js')).saveAnswer(id, 'indruk', 'rampzalig')""",
        [world.checklist_id],
    )
    page.click("#sync-now")
    page.wait_for_selector("#attention-count:text('(1)')")
    page.click("nav a[href='#/aandacht']")
    page.wait_for_selector("#attention-list")
    problems += audit(page, "aandacht")

    page.click("nav a[href='#/status']")
    page.wait_for_selector("#logout")
    problems += audit(page, "status")

    assert problems == []

    # The audit itself must be able to fail: an unlabelled field is a critical violation
    # and a 20 px button is too small to tap with gloves.
    page.evaluate(
        """() => {
          const main = document.getElementById('main');
          main.append(document.createElement('input'));
          const tiny = document.createElement('button');
          tiny.textContent = 'x';
          Object.assign(tiny.style, {minHeight: '0', minWidth: '0', height: '20px', padding: '0'});
          main.append(tiny);
        }"""
    )
    assert sorted(v["id"] for v in audit(page, "controle-op-axe")) == ["label", "target-size-44"]
    context.close()
