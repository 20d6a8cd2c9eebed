"""No case-file page shows what the projection hides.

Every GET page of the case file (enumerated from the workspace's route table: a new page
without a fixture here fails) is rendered as the team lead of each agency. Each agency's
sentinels sit in private and restricted answers, notes, a photo's place, a withdrawal
reason, comments, an amendment reason, conflict candidates, a rejected op's payload, the op
log and an intervention's description and legal basis; the other agency's team lead must
never get one of them, in HTML or in the bewijspakket. The last test shows the check bites:
with the projection bypassed, a sentinel leaks and is found.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.db import Database
from server.lib.ids import uuid7
from server.workspace.routes import PAGES
from tests.sync_support import World, add_note, push, quick_session, seed_world, set_answer
from tests.workspace_support import SAME_ORIGIN, csrf_of, ws_login

Client = AsyncTestClient[Litestar]
T = "2026-05-04T10:00:00.000+02:00"
LAT = {"gemeente-groningen": 51.987654, "politie": 52.876543}
PLACE = {agency: f"{lat:.5f}" for agency, lat in LAT.items()}
PREFIX = {"gemeente-groningen": "GEM-SECRET", "politie": "POL-SECRET"}
LEAD = {"gemeente-groningen": "tara", "politie": "piet"}
INSPECTOR = {"gemeente-groningen": "anna", "politie": "bert"}


def _op(seq: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"op": kind, "op_id": uuid7(), "seq": seq, "client_time": T, **fields}


async def _seed_agency(client: Client, db: Database, world: World, agency: str) -> str:
    """Sentinels of one agency everywhere a finding can hide; returns a hidden photo's id."""
    s = PREFIX[agency]
    cl = world.checklists[agency]
    phone = await quick_session(db, world.users[INSPECTOR[agency]])
    other_phone = await quick_session(db, world.users[INSPECTOR[agency]])
    photo_id = uuid7()
    first = await push(
        client,
        phone,
        [
            set_answer(1, cl, "opmerking", f"{s}-ANSWER"),
            set_answer(2, cl, "geheim", f"{s}-RESTRICTED"),
            add_note(3, cl, f"{s}-NOTE", item_key="opmerking"),
            add_note(4, cl, f"{s}-LOOSE-NOTE"),
            _op(
                5,
                "attach_photo",
                photo_id=photo_id,
                checklist_id=cl,
                item_key="opmerking",
                sha256="ab" * 32,
                size=1000,
                mime="image/jpeg",
                captured_at=T,
                geo={"lat": LAT[agency], "lon": 6.5},
            ),
            _op(6, "withdraw_photo", photo_id=photo_id, reason=f"{s}-WITHDRAW"),
            set_answer(7, cl, "aantal", f"{s}-REJECTED"),  # a string for a number: rejected
            set_answer(8, cl, "open", "yes"),
        ],
    )
    statuses = [r["status"] for r in first.json()["results"]]
    assert statuses == ["applied"] * 6 + ["rejected", "applied"], first.text
    clash = await push(client, other_phone, [set_answer(1, cl, "opmerking", f"{s}-CONFLICT")])
    assert clash.json()["results"][0]["status"] == "conflict"
    submitted = await push(
        client,
        phone,
        [
            _op(9, "submit_checklist", checklist_id=cl),
            _op(
                10,
                "amend_answer",
                checklist_id=cl,
                item_key="geheim",
                value=f"{s}-AMENDED",
                reason=f"{s}-AMEND-REASON",
                base_rev=None,
            ),
        ],
    )
    assert [r["status"] for r in submitted.json()["results"]] == ["applied", "applied"]
    lead = await quick_session(db, world.users[LEAD[agency]])
    comment = await client.post(
        f"/api/v1/checklists/{cl}/comments", json={"text": f"{s}-COMMENT"}, headers=lead["headers"]
    )
    assert comment.status_code == 201
    release = await client.post(
        f"/api/v1/checklists/{cl}/releases",
        json={"item_keys": ["open"], "basis": "Convenant"},
        headers=lead["headers"],
    )
    assert release.status_code == 201
    intervention = await client.post(
        f"/api/v1/cases/{world.case_id}/interventions",
        json={
            "agency": agency,
            "type": "waarschuwing",
            "description": f"{s}-DESCRIPTION",
            "legal_basis": f"{s}-BASIS",
        },
        headers=lead["headers"],
    )
    assert intervention.status_code == 201, intervention.text
    return photo_id


def _hidden(agency: str) -> list[str]:
    """What the *other* agency's readers must never get of ``agency``."""
    return [PREFIX[agency], PLACE[agency]]


Fixture = Callable[[Client, World, dict[str, str], str], Any]


async def _get(client: Client, path: str) -> list[str]:
    resp = await client.get(path, headers={"Accept": "text/html"})
    assert resp.status_code in (200, 403, 404), (path, resp.status_code)
    return [resp.text]


async def _own_checklist_page(client: Client, world: World, suffix: str, me: str) -> list[str]:
    out: list[str] = []
    for cl in world.checklists.values():  # both agencies' checklists: foreign ones refuse
        out += await _get(client, f"/regie/zaken/{world.case_id}/checklists/{cl}/{suffix}")
    return out


async def _package(client: Client, world: World, photos: dict[str, str], me: str) -> list[str]:
    csrf = await csrf_of(client)
    built = await client.post(
        f"/regie/zaken/{world.case_id}/bewijspakket", data={"_csrf": csrf}, headers=SAME_ORIGIN
    )
    assert built.status_code == 200
    link = "/regie/zaken/" + built.text.split('href="/regie/zaken/')[-1].split('"')[0]
    zipped = await client.get(link)
    assert zipped.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(zipped.content))
    return [built.text, *(archive.read(n).decode("latin-1") for n in archive.namelist())]


async def _photos(client: Client, world: World, photos: dict[str, str], me: str) -> list[str]:
    out: list[str] = []
    for photo_id in photos.values():
        for variant in ("thumb", "display", "original"):
            resp = await client.get(
                f"/regie/fotos/{photo_id}/{variant}", headers={"Accept": "text/html"}
            )
            assert resp.status_code == 404  # withdrawn, never uploaded, or not visible
            out.append(resp.text)
    return out


def _page(suffix: str) -> Fixture:
    async def fixture(client: Client, world: World, photos: dict[str, str], me: str) -> Any:
        return await _get(client, f"/regie/zaken/{world.case_id}{suffix}")

    return fixture


FIXTURES: dict[str, Fixture] = {
    "workspace-case": _page(""),
    "workspace-planning": _page("/planning"),
    "workspace-conflicts": _page("/conflicten"),
    "workspace-interventions": _page("/interventies"),
    "workspace-close-form": _page("/afsluiten"),
    "workspace-duplicates": _page("/dubbelingen"),
    "workspace-report": _page("/rapport"),
    "workspace-return-form": lambda c, w, p, m: _own_checklist_page(c, w, "terug", m),
    "workspace-release-form": lambda c, w, p, m: _own_checklist_page(c, w, "vrijgeven", m),
    "workspace-evidence-download": _package,
    "workspace-photo": _photos,
}


def _case_file_pages() -> set[str]:
    names: set[str] = set()
    for handler in PAGES:
        paths: set[str] = getattr(handler, "paths", set())
        methods: set[str] = getattr(handler, "http_methods", set())
        if "GET" in methods and any(p.startswith(("/zaken/{", "/fotos/")) for p in paths):
            names.add(str(handler.name))
    return names


def test_every_case_file_page_has_a_fixture() -> None:
    assert _case_file_pages() == set(FIXTURES), "add a fixture for each new case-file page"


async def _render_all(client: Client, db: Database) -> dict[str, dict[str, list[str]]]:
    world = await seed_world(db)
    photos = {a: await _seed_agency(client, db, world, a) for a in LEAD}
    out: dict[str, dict[str, list[str]]] = {}
    for agency, lead in LEAD.items():
        client.cookies.clear()
        assert (await ws_login(client, lead)).status_code == 303
        out[agency] = {name: await fx(client, world, photos, lead) for name, fx in FIXTURES.items()}
    return out


async def test_no_case_file_page_shows_what_the_projection_hides(
    client: Client, db: Database
) -> None:
    rendered = await _render_all(client, db)
    for reader, pages in rendered.items():
        other = next(a for a in LEAD if a != reader)
        own_text = " ".join(t for texts in pages.values() for t in texts)
        # The reader does see its own agency's findings: the sentinels are really rendered.
        for own in (
            "ANSWER",
            "RESTRICTED",
            "NOTE",
            "LOOSE-NOTE",
            "WITHDRAW",
            "CONFLICT",
            "AMENDED",
            "AMEND-REASON",
            "COMMENT",
            "DESCRIPTION",
            "BASIS",
        ):
            assert f"{PREFIX[reader]}-{own}" in own_text, own
        assert PLACE[reader] in own_text
        for name, texts in pages.items():
            for text in texts:
                for secret in _hidden(other):
                    assert secret not in text, (reader, name, secret)


async def test_the_check_catches_a_bypassed_projection(
    client: Client, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import server.cases.view as view

    monkeypatch.setattr(view, "visible_items", lambda r, c, cl, values, s: dict(values))
    rendered = await _render_all(client, db)
    leaked = " ".join(rendered["politie"]["workspace-case"])
    assert "GEM-SECRET-CONFLICT" in leaked  # the current value of a private answer
