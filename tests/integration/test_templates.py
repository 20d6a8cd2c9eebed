"""Template endpoints, and immutability of published versions across app starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.checklists import library
from server.checklists.validate import TemplateError
from server.db import Database
from server.settings import Settings
from tests.support import add_user, login

_ORIGINAL = library.LIBRARY_DIR


async def test_list_and_get_templates(client: AsyncTestClient[Litestar], db: Database) -> None:
    await add_user(db, "ines", "nvwa", ["inspector"])
    auth = await login(client, "ines")
    resp = await client.get("/api/v1/templates", headers=auth["headers"])
    assert resp.status_code == 200
    refs = [t["ref"] for t in resp.json()["templates"]]
    assert "nvwa-hygiene-tabak@1" in refs and len(refs) >= 8
    one = await client.get("/api/v1/templates/nvwa-hygiene-tabak/1", headers=auth["headers"])
    assert one.status_code == 200
    body = one.json()
    assert body["slug"] == "nvwa-hygiene-tabak" and body["legal_basis"]
    keys = [i["key"] for s in body["sections"] for i in s["items"]]
    assert "nvwa-temp-koeling" in keys


async def test_unknown_template_is_404_problem(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "ines", "nvwa", ["inspector"])
    auth = await login(client, "ines")
    resp = await client.get("/api/v1/templates/bestaat-niet/1", headers=auth["headers"])
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["type"] == "/problems/template-not-found"


async def test_a_version_beyond_any_template_is_a_problem_not_a_500(
    client: AsyncTestClient[Litestar], db: Database
) -> None:
    await add_user(db, "ines", "nvwa", ["inspector"])
    auth = await login(client, "ines")
    for version in ("99999999999999999999999", "9223372036854775808", "0", "-1", "1000000"):
        resp = await client.get(
            f"/api/v1/templates/nvwa-hygiene-tabak/{version}", headers=auth["headers"]
        )
        assert resp.status_code in (400, 404), (version, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")


async def test_templates_need_login(client: AsyncTestClient[Litestar]) -> None:
    resp = await client.get("/api/v1/templates")
    assert resp.status_code == 401


async def _start(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as c:
        assert (await c.get("/health")).status_code == 200


def _template_error(exc: BaseException) -> TemplateError | None:
    """The TemplateError inside what the lifespan raised (possibly an exception group)."""
    if isinstance(exc, TemplateError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _template_error(inner)
            if found is not None:
                return found
    return None


async def _start_fails(settings: Settings) -> str:
    with pytest.raises(BaseException) as info:
        await _start(settings)
    error = _template_error(info.value)
    assert error is not None, f"start failed for another reason: {info.value!r}"
    return str(error)


async def test_published_version_is_immutable_across_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(_ORIGINAL / "controle-algemeen-v1.json", folder)
    monkeypatch.setattr(library, "LIBRARY_DIR", folder)
    settings = Settings(data_dir=tmp_path / "data")
    await _start(settings)
    await _start(settings)  # unchanged library: starts again

    path = folder / "controle-algemeen-v1.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    body["title"] = "Gewijzigde titel"
    path.write_text(json.dumps(body), encoding="utf-8")
    assert "controle-algemeen@1 is already published" in await _start_fails(settings)

    # a new version with the change is the way forward, and is published
    path.unlink()
    body["version"] = 2
    (folder / "controle-algemeen-v2.json").write_text(json.dumps(body), encoding="utf-8")
    shutil.copy(_ORIGINAL / "controle-algemeen-v1.json", folder)
    await _start(settings)


async def test_new_version_changing_a_type_stops_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "library"
    folder.mkdir()
    shutil.copy(_ORIGINAL / "controle-algemeen-v1.json", folder)
    monkeypatch.setattr(library, "LIBRARY_DIR", folder)
    settings = Settings(data_dir=tmp_path / "data")
    await _start(settings)
    body = json.loads((folder / "controle-algemeen-v1.json").read_text(encoding="utf-8"))
    body["version"] = 2
    for section in body["sections"]:
        for item in section["items"]:
            if item["key"] == "eindtijd":
                item["type"] = "text"
    (folder / "controle-algemeen-v2.json").write_text(json.dumps(body), encoding="utf-8")
    message = await _start_fails(settings)
    assert "controle-algemeen@2 item 'eindtijd': type changed from time to text" in message
