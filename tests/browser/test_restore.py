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
    server, world = world_server
    context, page = open_app(browser, server.url)
    log_in(page, "insp-a")
    open_checklist(page, world.checklist_id)
    choose(page, "toegang-verleend", "yes")
    sync_and_wait_safe(page)
    schouw(server, "backup", str(tmp_path / "backup.tar"))

    choose(page, "aanwezig-leidinggevende", "yes")
    fill(page, "aantal-aanwezigen", "7")
    sync_and_wait_safe(page)  # acknowledged: the phone keeps these ops for 7 days
    expected = {"toegang-verleend": "yes", "aanwezig-leidinggevende": "yes", "aantal-aanwezigen": 7}
    assert answers(server, world.checklist_id) == expected

    server.stop()
    schouw(server, "restore", str(tmp_path / "backup.tar"))
    server.start()
    assert answers(server, world.checklist_id) == {"toegang-verleend": "yes"}

    page.click("#sync-now")
    for _ in range(150):
        if answers(server, world.checklist_id) == expected:
            break
        page.wait_for_timeout(200)
    assert answers(server, world.checklist_id) == expected
    page.wait_for_selector("#safe[data-safe=true]")
    statuses = server.query("SELECT seq, status FROM ops ORDER BY seq")
    assert [(r["seq"], r["status"]) for r in statuses] == [
        (1, "applied"),
        (2, "applied"),
        (3, "applied"),
    ]
    context.close()
