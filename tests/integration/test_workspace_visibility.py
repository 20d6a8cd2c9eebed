"""No workspace page shows what the projection hides (see tests/workspace_visibility.py).

One real server, one seeded world; every GET page under /regie rendered as every kind of
reader (plus CSV, evidence ZIP and the live stream). A page without a fixture fails the
coverage test; the bypass test shows the sweep catches a leak when the projection is
skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.evidence_support import LiveServer, live_server
from tests.workspace_visibility import EXEMPT, PAGES, World, seed, sentinels, sweep

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, World]]:
    data: Path = tmp_path_factory.mktemp("visibility") / "data"
    with live_server(Settings(data_dir=data)) as server:
        yield server, seed(server.url, server.app.state.db)


def test_every_page_has_a_fixture(served: tuple[LiveServer, World]) -> None:
    server, _ = served
    pages = {
        route.path
        for route in server.app.routes
        if route.path.startswith("/regie") and "GET" in getattr(route, "methods", ())
    }
    missing = pages - set(PAGES) - set(EXEMPT)
    assert not missing, f"workspace pages without a visibility fixture: {sorted(missing)}"
    stale = (set(PAGES) | set(EXEMPT)) - pages
    assert not stale, f"fixtures for pages that no longer exist: {sorted(stale)}"


def test_no_page_shows_a_hidden_sentinel(served: tuple[LiveServer, World]) -> None:
    server, world = served
    leaks, seen = sweep(server.url, world, PAGES)
    assert not leaks, "\n".join(f"{x.reader} sees {x.sentinel} on {x.url}" for x in leaks)
    # Not vacuous: each team lead does see their own agency's findings somewhere.
    own = {"tara": "gemeente-groningen", "piet": "politie"}
    for reader, agency in own.items():
        mine = set(sentinels(agency))
        assert {s for s in mine if "ANSWER" in s or "NOTE" in s} <= seen[reader], (
            reader,
            sorted(seen[reader]),
        )
    assert seen["nora"] == set() and seen["beheer"] == set()


def test_the_sweep_fails_when_the_projection_is_bypassed(
    served: tuple[LiveServer, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Skip the projection in the case view (everyone on the case sees every item): the
    sweep must report the other agency's answers and notes."""
    import server.cases.view as view

    server, world = served
    monkeypatch.setattr(view, "visible_items", lambda r, c, cl, values, s: dict(values))
    monkeypatch.setattr(view, "full_access", lambda r, c, cl: True)
    monkeypatch.setattr(view, "attached_visible", lambda r, c, cl, k, s: True)
    pages = {"/regie/zaken/{case_id:str}": PAGES["/regie/zaken/{case_id:str}"]}
    leaks, _ = sweep(server.url, world, pages)
    leaked = {x.sentinel for x in leaks if x.reader == "piet"}
    assert leaked & {"SGEMCONFLICT", "SGEMANSWER"}, leaks  # the answer's current value
    assert "SGEMNOTEITEM" in leaked and "SGEMAMENDVAL" in leaked  # the amended restricted item
