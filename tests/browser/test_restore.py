"""Sync protocol "Restore without loss": after the server is restored from a backup (new
epoch), the app re-sends the acknowledged work it still holds and nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.app import choose, fill, log_in, open_app, open_checklist, sync_and_wait_safe
from tests.browser.conftest import Server
from tests.browser.photos import jpeg, sha256
from tests.browser.seed import World

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def schouw(server: Server, *args: str) -> None:
    """Run the ``schouw`` CLI on the server's data directory."""
    env = {**os.environ, "SCHOUW_DATA_DIR": str(server.data_dir)}
    subprocess.run(
        [str(Path(sys.executable).parent / "schouw"), *args],
        check=True,
        env=env,
        capture_output=True,
    )


def answers(server: Server, checklist_id: str) -> dict[str, Any]:
    """The server's current answers of a checklist."""
    rows = server.query(
        "SELECT item_key, value FROM answers WHERE checklist_id = ?", (checklist_id,)
    )
    return {r["item_key"]: json.loads(r["value"]) for r in rows}


def test_work_acknowledged_after_the_backup_is_resent_after_a_restore(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    """Push first, as a phone does: after the restore the app's first request is a push of a
    new edit. The server applies nothing from it and answers expected_seq; the app then
    re-sends everything it holds from there, and every acknowledged op is in the op log once."""
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "yes")
    sync_and_wait_safe(page)
    schouw(server, "backup", str(tmp_path / "backup.tar"))

    choose(page, "aanwezig-leidinggevende", "yes")
    fill(page, "aantal-aanwezigen", "7")
    photo = jpeg(320, 240, seed=11)
    (tmp_path / "gevel.jpg").write_bytes(photo)
    page.set_input_files(
        'input[data-item="foto-gevel"][data-kind="camera"]', tmp_path / "gevel.jpg"
    )
    page.wait_for_selector("#block-foto-gevel .thumb img")
    sync_and_wait_safe(page)  # acknowledged and verified: the phone keeps them for 7 days
    acked = {(r["seq"], r["op_id"]) for r in server.query("SELECT seq, op_id FROM ops")}
    assert len(acked) == 4

    server.stop()
    schouw(server, "restore", str(tmp_path / "backup.tar"))
    assert answers(server, world.checklist_id) == {"toegang-verleend": "yes"}
    choose(page, "afsluitend-gesprek", "no")  # made while the server is down: pending
    server.start()

    page.click("#sync-now")  # the app pushes its outbox first
    expected = {
        "toegang-verleend": "yes",
        "aanwezig-leidinggevende": "yes",
        "aantal-aanwezigen": 7,
        "afsluitend-gesprek": "no",
    }
    for _ in range(150):
        if answers(server, world.checklist_id) == expected:
            break
        page.wait_for_timeout(200)
    assert answers(server, world.checklist_id) == expected
    page.wait_for_selector("#safe[data-safe=true]")
    rows = server.query("SELECT seq, op_id, status FROM ops ORDER BY seq")
    assert [(r["seq"], r["status"]) for r in rows] == [(n, "applied") for n in (1, 2, 3, 4, 5)]
    assert acked <= {(r["seq"], r["op_id"]) for r in rows}
    # The photo's bytes, uploaded after the backup, came back from the phone too.
    photos = server.query("SELECT state, sha256 FROM photos")
    assert [(p["state"], p["sha256"]) for p in photos] == [("verified", sha256(photo))]
    first = server.query(
        "SELECT detail FROM audit_events WHERE action = 'sync.push' AND detail LIKE '%new_epoch%'"
    )
    assert len(first) == 1 and '"expected_seq":2' in first[0]["detail"]
    assert server.query("SELECT * FROM audit_events WHERE action = 'sync.hole'") == []
    context.close()


def test_a_phone_past_its_retention_window_declares_its_gap_and_continues(
    browser: Any, world_server: tuple[Server, World], tmp_path: Path
) -> None:
    """The phone no longer holds the ops the restored server lacks: it says so (a gap in the
    push envelope, recorded as sync.hole) and its newer work is applied after it."""
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "yes")
    sync_and_wait_safe(page)
    schouw(server, "backup", str(tmp_path / "backup.tar"))
    choose(page, "aanwezig-leidinggevende", "yes")
    fill(page, "aantal-aanwezigen", "7")
    sync_and_wait_safe(page)

    server.stop()
    schouw(server, "restore", str(tmp_path / "backup.tar"))
    # Eight days later: the acknowledged ops have left the phone's retention window.
    page.evaluate(
        "async () => (await import('/js/syncstore.js')).purgeRetained(Date.now() + 8 * 86400000)"
    )
    assert page.evaluate("async () => (await import('/js/store.js')).outbox()") == []
    choose(page, "afsluitend-gesprek", "no")  # seq 4, pending
    server.start()

    page.click("#sync-now")
    page.wait_for_selector("#safe[data-safe=true]")
    expected = {"toegang-verleend": "yes", "afsluitend-gesprek": "no"}
    assert answers(server, world.checklist_id) == expected
    rows = server.query("SELECT seq, status FROM ops ORDER BY seq")
    assert [(r["seq"], r["status"]) for r in rows] == [(1, "applied"), (4, "applied")]
    holes = server.query("SELECT detail FROM audit_events WHERE action = 'sync.hole'")
    assert [json.loads(r["detail"]) for r in holes] == [{"first_seq": 2, "last_seq": 3, "epoch": 2}]
    context.close()
