"""Eviction leaves nothing of the case readable on the phone: when the team lead takes the
inspector off the inspection, the next pull removes the case, everyone's answers, notes and
comments at once. Only the device's own ops and the bytes of its own photo stay, hidden from
every screen (a restore of the server would need them); the photo the server does not have
yet is unsynced work, which stays and which the screen reports."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from server.lib.ids import uuid7
from tests.browser.app import (
    api_as,
    choose,
    log_in,
    open_app,
    open_checklist,
    sync_and_wait_safe,
    wait_until,
)
from tests.browser.conftest import Server
from tests.browser.photos import jpeg
from tests.browser.seed import World
from tests.support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCAL = """async () => {
  const idb = await import('/js/idb.js');
  const stores = ['records', 'answers', 'notes', 'photos', 'blobs', 'outbox'];
  return idb.tx(stores, 'readonly', async (t) => {
    const out = {};
    for (const s of stores) out[s] = await idb.all(t, s);
    out.records = out.records.map((r) => `${r.kind}:${r.id}`);
    out.blobs = out.blobs.map((b) => b.sha256);
    out.photos = out.photos.map((p) => ({id: p.id, evicted: Boolean(p.evicted), state: p.state}));
    out.outbox = out.outbox.map((o) => ({seq: o.seq, state: o.state, evicted: Boolean(o.evicted)}));
    return out;
  });
}"""


def push_as(base_url: str, username: str, ops: list[dict[str, Any]]) -> Any:
    """Log in on a fresh device and push ``ops`` (a colleague's phone)."""
    device_id = uuid7()

    def post(path: str, body: Any, token: str | None = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    login = {"username": username, "password": PASSWORD, "device_id": device_id}
    token = post("/api/v1/auth/login", login)["access_token"]
    body = {"device_id": device_id, "schema_version": 1, "ops": ops}
    return post("/api/v1/sync/push", body, token)


def test_evict_removes_the_case_at_once_and_keeps_only_own_work_hidden(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "yes")
    sync_and_wait_safe(page)

    # A colleague's answer and note, and the team lead's comment, reach this phone.
    op = {"op_id": uuid7(), "client_time": "2026-05-04T10:00:00.000+02:00"}
    result = push_as(
        server.url,
        "insp-b",
        [
            {**op, "op": "set_answer", "seq": 1, "checklist_id": world.checklist_id,
             "item_key": "aantal-aanwezigen", "value": 5, "base_rev": None},
            {"op": "add_note", "op_id": uuid7(), "seq": 2, "client_time": op["client_time"],
             "note_id": uuid7(), "checklist_id": world.checklist_id, "text": "Achterdeur open."},
        ],
    )  # fmt: skip
    assert [r["status"] for r in result["results"]] == ["applied", "applied"]
    api_as(
        server.url,
        "lead",
        "POST",
        f"/api/v1/checklists/{world.checklist_id}/comments",
        {"text": "Let op de achteringang."},
    )
    # This phone's own photo: the attach op reaches the server, the bytes do not (yet).
    page.route("**/api/v1/uploads**", lambda route: route.abort("connectionreset"))
    path = tmp_path / "gevel.jpg"
    path.write_bytes(jpeg(320, 240, seed=5))
    page.set_input_files('input[data-item="foto-gevel"][data-kind="camera"]', path)
    page.wait_for_selector("#block-foto-gevel .thumb img")
    page.click("#sync-now")
    wait_until(
        page,
        f"""async () => {{ const s = await ({LOCAL})();
          return s.outbox.every((o) => o.state === 'acked') && s.notes.length === 1
            && s.records.some((r) => r.startsWith('comment:')); }}""",
    )
    before = page.evaluate(LOCAL)
    assert {a["item_key"] for a in before["answers"]} == {"toegang-verleend", "aantal-aanwezigen"}

    stay = [  # everyone but insp-a stays on the inspection
        r["user_id"]
        for r in server.query(
            "SELECT ii.user_id FROM inspection_inspectors ii JOIN users u ON u.id = ii.user_id"
            " WHERE ii.inspection_id = ? AND u.username != 'insp-a'",
            (world.inspection_id,),
        )
    ]
    api_as(
        server.url,
        "lead",
        "PUT",
        f"/api/v1/cases/{world.case_id}/inspections/{world.inspection_id}/inspectors",
        {"inspectors": stay},
    )
    page.click("#sync-now")
    wait_until(page, f"async () => ({LOCAL})().then((s) => s.answers.length === 0)")
    after = page.evaluate(LOCAL)
    # Only reference data shared by every case stays (templates, agency names), plus
    # tombstones that hold ids and the reason only, so a screen can say why the work left.
    kept = ("template:", "agency:", "gone:")
    assert [r for r in after["records"] if not r.startswith(kept)] == []
    tombstones = page.evaluate(
        "async () => (await import('/js/store.js')).records('gone')"
        ".then((rows) => rows.map((r) => Object.keys(r).sort()))"
    )
    assert tombstones and all(keys == ["case_id", "id", "reason"] for keys in tombstones)
    assert after["answers"] == [] and after["notes"] == []
    assert [p["evicted"] for p in after["photos"]] == [True]
    assert after["photos"][0]["state"] in ("local", "uploading")  # its upload keeps failing
    assert after["blobs"] == before["blobs"] and len(after["blobs"]) == 1
    assert [(o["state"], o["evicted"]) for o in after["outbox"]] == [
        ("acked", True),
        ("acked", True),
    ]
    # Nothing of it on any screen; the unsent photo is reported.
    page.wait_for_selector("#evicted-work:not([hidden])")
    assert "1 wijziging of foto" in page.text_content("#evicted-work")
    assert page.get_attribute("#safe", "data-safe") == "false"
    page.goto("/#/vandaag")
    page.wait_for_selector("h1:text('Mijn werk')")
    assert page.locator("#main a.card-link").count() == 0
    page.goto(f"/#/checklist/{world.checklist_id}")
    page.wait_for_selector("h1:text('Checklist niet beschikbaar')")
    page.goto("/#/aandacht")
    page.wait_for_selector("h1:text('Aandacht nodig')")
    assert page.locator("#attention-list li").count() == 0
    context.close()
