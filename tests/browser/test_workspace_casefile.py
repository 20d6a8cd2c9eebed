"""The team lead's case file in a real browser: return, release, conflict, intervention,
hand-over and close; the report printed to PDF; axe on every case-file screen; no CSP error."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

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
SENTINELS = ("SENTINEL-PRIVATE-NOTE", "SENTINEL-RESTRICTED")


class Api:
    """A device session against the real server's REST API."""

    def __init__(self, url: str, username: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.device = uuid7()
        body = {"username": username, "password": PASSWORD, "device_id": self.device}
        resp = self.http.post("/api/v1/auth/login", json=body)
        assert resp.status_code == 200, resp.text
        self.http.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        self.seq = 0

    def push(self, *ops: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for op in ops:
            self.seq += 1
            out.append(
                {
                    "op_id": uuid7(),
                    "seq": self.seq,
                    "client_time": "2026-05-04T09:12:03.120+02:00",
                    **op,
                }
            )
        resp = self.http.post(
            "/api/v1/sync/push", json={"device_id": self.device, "schema_version": 1, "ops": out}
        )
        assert resp.status_code == 200, resp.text
        results: list[dict[str, Any]] = resp.json()["results"]
        return results

    def close(self) -> None:
        """Close the HTTP connection (an unclosed socket is a warning, and warnings fail)."""
        self.http.close()

    def pull_kinds(self) -> list[tuple[str, str]]:
        resp = self.http.get("/api/v1/sync/pull", params={"limit": 1000})
        return [(r["kind"], r["id"]) for r in resp.json()["changes"]]


def _answer(checklist_id: str, key: str, value: Any, base_rev: int | None = None) -> dict[str, Any]:
    return {
        "op": "set_answer",
        "checklist_id": checklist_id,
        "item_key": key,
        "value": value,
        "base_rev": base_rev,
    }


def _login(browser: Any, url: str, username: str) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/regie/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/regie/")
    return context, page, errors


def _axe(page: Any, name: str) -> list[dict[str, Any]]:
    page.screenshot(path=str(OUTPUT / f"regie-{name}.png"), full_page=True)
    page.evaluate(AXE.read_text())  # CDP evaluation is not subject to the page's CSP
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [dict(v, screen=name) for v in found]


def test_case_file_from_review_to_closed(browser: Any, world_server: tuple[Server, World]) -> None:
    server, world = world_server
    apis = [Api(server.url, name) for name in ("insp-a", "insp-b", "insp-p")]
    try:
        _review_to_closed(browser, server, world, *apis)
    finally:
        for api in apis:
            api.close()


def _review_to_closed(
    browser: Any, server: Server, world: World, anna: Api, bram: Api, piet: Api
) -> None:
    url = server.url
    gem, pol = world.checklist_id, world.police_checklist_id
    first = anna.push(
        _answer(gem, "aantal-aanwezigen", 4),
        _answer(gem, "toegang-verleend", "yes"),
        _answer(gem, "indruk", "ernstig"),
        _answer(gem, "toelichting-indruk", "SENTINEL-PRIVATE-NOTE"),
        _answer(gem, "starttijd", "09:00"),
        _answer(gem, "type-object", "horeca"),
        _answer(gem, "aanwezig-leidinggevende", "yes"),
    )
    assert [r["status"] for r in first] == ["applied"] * 7
    conflict = bram.push(_answer(gem, "aantal-aanwezigen", 6))
    assert conflict[0]["status"] == "conflict"
    piet.push(_answer(pol, "pol-voertuigen", "SENTINEL-RESTRICTED"))
    submitted = anna.push({"op": "submit_checklist", "checklist_id": gem})
    assert submitted[0]["status"] == "applied", submitted
    case = f"{url}/regie/zaken/{world.case_id}"

    context, page, errors = _login(browser, url, "lead")
    problems: list[dict[str, Any]] = []
    # Conflict side by side: both candidates, both devices; pick Anna's count.
    page.goto(case + "/conflicten")
    problems += _axe(page, "conflicten")
    cards = page.locator(".regie-candidate")
    assert cards.count() == 3  # two candidates and "new value"
    assert "4" in cards.nth(0).inner_text() and "6" in cards.nth(1).inner_text()
    page.check(f"input[name=choice][value='{0}']")
    page.fill("input[name=reason]", "Telling van Anna klopt")
    page.click("text=Conflict oplossen")
    page.wait_for_selector("text=Geen open conflicten")

    # Return the submitted checklist to the inspector, about one item.
    page.goto(case + f"/checklists/{gem}/terug")
    problems += _axe(page, "terug")
    page.fill("#text", "Graag de toegang nog eens nagaan")
    page.check("#k-toegang-verleend")
    page.click("button:text('Terugsturen naar de inspecteur')")
    page.wait_for_url(case + f"#cl-{gem}")
    assert "teruggestuurd" in page.inner_text(f"#cl-{gem} + p")
    # The phone learns it on its next pull; the inspector amends and submits again.
    records = anna.http.get("/api/v1/sync/pull", params={"limit": 1000}).json()["changes"]
    checklist = next(r for r in records if r["kind"] == "checklist" and r["id"] == gem)
    assert checklist["data"]["returned_at"]
    assert any(
        r["kind"] == "comment" and r["data"]["item_key"] == "toegang-verleend" for r in records
    )
    again = anna.push(
        {
            "op": "amend_answer",
            "checklist_id": gem,
            "item_key": "aanwezig-leidinggevende",
            "value": "no",
            "reason": "Nagevraagd: de leidinggevende was er niet",
            "base_rev": None,
        },
        {"op": "submit_checklist", "checklist_id": gem},
    )
    assert [r["status"] for r in again] == ["applied", "applied"], again
    page.reload()
    assert "teruggestuurd" not in page.inner_text(f"#cl-{gem} + p")

    # Release a shareable item for the police.
    page.goto(case + f"/checklists/{gem}/vrijgeven")
    problems += _axe(page, "vrijgeven")
    assert page.locator("#r-toelichting-indruk").count() == 0  # private: not offered
    page.check("#r-toegang-verleend")
    page.fill("#basis", "Convenant RIEC Noord-Nederland")
    page.click("button:text('Vrijgeven')")
    page.wait_for_url(case + f"#cl-{gem}")
    page.goto(case)
    problems += _axe(page, "dossier")
    assert "SENTINEL-PRIVATE-NOTE" in page.content()  # own agency sees everything
    for tab in ("interventies", "dubbelingen", "afsluiten", "rapport"):
        page.goto(f"{case}/{tab}")
        problems += _axe(page, tab)

    # The other agency's team lead sees the released answer, never the private ones.
    other, opage, oerrors = _login(browser, url, "lead-p")
    opage.goto(case)
    html = opage.content()
    assert "Is toegang tot alle ruimten verleend?" in html and "SENTINEL-PRIVATE-NOTE" not in html
    assert "SENTINEL-RESTRICTED" in html  # the police lead sees the police checklist
    # An intervention of the police.
    opage.goto(case + "/interventies")
    opage.select_option("#type", "proces-verbaal")
    opage.select_option("#status", "lopend")
    opage.fill("#description", "PV opgemaakt wegens wapenbezit")
    opage.click("button:text('Interventie vastleggen')")
    opage.wait_for_selector("td:text('Proces-verbaal')")
    # The report as PDF: reference, the released label and answer, no hidden sentinel.
    opage.goto(case + "/rapport")
    opage.emulate_media(media="print")
    pdf = opage.pdf(format="A4", print_background=True)
    opage.emulate_media(media="screen")
    (OUTPUT / "regie-rapport.pdf").write_bytes(pdf)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "RIT-2026-0001" in text
    assert "Is toegang tot alle ruimten verleend? Ja" in text  # label and answer together
    assert "SENTINEL-PRIVATE-NOTE" not in text and "Aantal aanwezige personen" not in text
    assert "Interventie vastleggen" not in text  # forms are not printed

    # Hand over to the police team lead, who closes with a confirmation; the phones drop it.
    page.goto(case + "/planning")
    problems += _axe(page, "planning")
    page.select_option("#teamlead_id", label="Lotte Politie (politie)")
    page.fill("#reason", "Politie neemt de regie")
    page.click("button:text('Overdragen')")
    page.wait_for_url(case)
    assert "Lotte Politie" in page.inner_text("dl.regie-facts")
    opage.goto(case + "/afsluiten")
    opage.select_option("#category", "overtredingen-afgehandeld")
    opage.fill("#text", "Proces-verbaal opgemaakt")
    opage.click("button:text('Dossier afsluiten')")
    opage.wait_for_selector(".regie-error")  # the running intervention needs a confirmation
    assert opage.input_value("#text") == "Proces-verbaal opgemaakt"
    opage.check("#confirm")
    opage.click("button:text('Dossier afsluiten')")
    opage.wait_for_url(case)
    assert "Afgesloten" in opage.inner_text("#status")
    assert ("evict", world.case_id) in anna.pull_kinds()
    other.close()
    context.close()
    assert not [e for e in errors + oerrors if "Content Security Policy" in e], errors + oerrors
    assert problems == [], problems
