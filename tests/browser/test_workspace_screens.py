"""The workspace's own screens in a real browser: the dashboard updating live while an
inspector syncs (the phone's unsent count falls to zero), a signal triaged into a case,
the case list, a lost phone revoked; axe on every screen and no CSP error anywhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.lib.ids import uuid7
from tests.browser.conftest import OUTPUT, ROOT, Server
from tests.browser.seed import World
from tests.support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = ROOT / "pwa/node_modules/axe-core/axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


class Phone:
    """An inspector's phone against the real server's sync API."""

    def __init__(self, url: str, username: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.device = uuid7()
        body = {
            "username": username,
            "password": PASSWORD,
            "device_id": self.device,
            "device_label": "Telefoon Anna",
        }
        resp = self.http.post("/api/v1/auth/login", json=body)
        assert resp.status_code == 200, resp.text
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.seq = 0

    def push(self, ops: list[dict[str, Any]], state: dict[str, Any]) -> httpx.Response:
        out = []
        for op in ops:
            self.seq += 1
            out.append(
                {"op_id": uuid7(), "seq": self.seq, "client_time": "2026-05-04T09:12:03Z", **op}
            )
        body = {"device_id": self.device, "schema_version": 1, "ops": out, "client_state": state}
        return self.http.post("/api/v1/sync/push", json=body)


def _axe(page: Any, name: str) -> list[dict[str, Any]]:
    page.screenshot(path=str(OUTPUT / f"regie-{name}.png"), full_page=True)
    page.evaluate(AXE.read_text())  # CDP evaluation is not subject to the page's CSP
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [dict(v, screen=name) for v in found]


def test_workspace_screens(browser: Any, world_server: tuple[Server, World]) -> None:
    server, world = world_server
    url = server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    problems: list[dict[str, Any]] = []

    page.goto(url + "/regie/")  # no session: the login page
    page.wait_for_url(url + "/regie/login")
    problems += _axe(page, "login")
    page.fill("#username", "lead")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert "onjuist" in page.inner_text("[role=alert]")
    assert page.input_value("#username") == "lead"
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/regie/")
    assert "RIT-2026-0001" in page.inner_text("#overzicht-live")
    problems += _axe(page, "overzicht")

    # An inspector syncs; the open dashboard follows without a reload.
    phone = Phone(url, "insp-a")
    row = f'tr[data-device="{phone.device}"]'
    work = [
        {
            "op": "set_answer",
            "checklist_id": world.checklist_id,
            "item_key": "aantal-aanwezigen",
            "value": 4,
            "base_rev": None,
        }
    ]
    assert phone.push(work, {"outbox": 3, "photos_pending": 1}).status_code == 200
    page.wait_for_selector(f'{row} td[data-unsent="3"]', timeout=20_000)
    assert "3 wijzigingen, 1 foto's niet verstuurd" in page.inner_text(row)
    assert page.inner_text(f"{row} td.regie-num >> nth=0") == "1"  # ops received
    assert phone.push([], {"outbox": 0, "photos_pending": 0}).status_code == 200
    page.wait_for_selector(f'{row} td[data-unsent="0"]', timeout=20_000)
    assert "niets" in page.inner_text(row)
    assert page.url == url + "/regie/"  # never reloaded

    # A signal registered and triaged into a case; the duplicate is shown first.
    page.click("nav[aria-label=Hoofdmenu] >> text=Signalen")
    problems += _axe(page, "signalen")
    page.select_option("#f-source", "resident")
    page.fill("#f-description", "Bewoners melden drukte na sluitingstijd.")
    page.fill("#f-subject-business-name", "Shishalounge De Kroon")
    page.fill("#f-subject-business-kvk", "1234567")  # one digit short
    page.click("text=Signaal registreren >> nth=-1")
    assert page.get_attribute("#f-subject-business-kvk", "aria-invalid") == "true"
    assert page.input_value("#f-description") == "Bewoners melden drukte na sluitingstijd."
    page.fill("#f-subject-business-kvk", "12345678")
    page.click("button:has-text('Signaal registreren')")
    page.wait_for_selector("text=Mogelijke dubbelingen")
    assert "RIT-2026-0001" in page.inner_text("#dubbel >> xpath=..")
    problems += _axe(page, "signaal")
    page.select_option("#f-reason-category", "signaal")
    page.fill("#f-reason-explanation", "Tweede melding over hetzelfde bedrijf; samen met politie.")
    page.check("#a-politie")
    page.click("button:has-text('Zaak maken')")
    page.wait_for_url(url + "/regie/zaken/*")
    new_case = page.url.rsplit("/", 1)[-1]

    # The case list finds it; the filters keep their values.
    page.goto(url + "/regie/zaken?q=Kroon")
    problems += _axe(page, "zaken")
    assert page.input_value("#f-q") == "Kroon"
    assert page.locator(f'a[href="/regie/zaken/{new_case}"]').count() == 1
    assert page.locator("text=Exporteren naar CSV").count() == 1

    # The phone is lost: revoke it; its next call is refused.
    page.goto(url + "/regie/apparaten")
    problems += _axe(page, "apparaten")
    page.click(f'tr[data-device="{phone.device}"] button:has-text("Intrekken")')
    page.wait_for_selector(f'tr[data-device="{phone.device}"] >> text=Ingetrokken op')
    gone = phone.push([], {"outbox": 0})
    phone.http.close()
    assert gone.status_code == 401 and gone.json()["type"].endswith("device-revoked")

    context.close()
    assert not problems, problems
    csp = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    assert not csp, csp
    # The refused login (401) and the refused signal form (422) are answered with their
    # status on purpose; nothing else may fail.
    refused = "Failed to load resource: the server responded with a status of "
    assert set(errors) <= {
        refused + "401 (Unauthorized)",
        refused + "422 (Unprocessable Entity)",
    }, errors
