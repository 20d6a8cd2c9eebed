"""The PWA is served with the headers a service worker needs, and its shell stays small."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.settings import Settings

PWA = Path(__file__).resolve().parents[2] / "pwa"
SHELL_BUDGET = 250 * 1024


def precache_list() -> list[str]:
    """The SHELL array of sw.js."""
    text = (PWA / "sw.js").read_text()
    block = text.split("const SHELL = [", 1)[1].split("];", 1)[0]
    return re.findall(r'"([^"]+)"', block)


async def test_service_worker_is_served_uncached_with_root_scope(
    client: AsyncTestClient[Litestar],
) -> None:
    resp = await client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-cache"
    assert resp.headers["service-worker-allowed"] == "/"
    assert "javascript" in resp.headers["content-type"]
    assert "schouw-shell-" in resp.text
    assert re.search(r'const VERSION = "[^"]+-[0-9a-f]{12}";', resp.text)


def _version(text: str) -> str:
    match = re.search(r'const VERSION = "([^"]+)";', text)
    assert match
    return match.group(1)


async def test_service_worker_version_follows_the_shell_content(tmp_path: Path) -> None:
    pwa = tmp_path / "pwa"
    shutil.copytree(PWA, pwa, ignore=shutil.ignore_patterns("node_modules", "test"))
    app = create_app(Settings(data_dir=tmp_path / "data", pwa_dir=pwa))
    async with AsyncTestClient(app=app) as client:
        first = _version((await client.get("/sw.js")).text)
        again = _version((await client.get("/sw.js")).text)
        css = pwa / "css" / "app.css"
        css.write_text(css.read_text() + "\n/* nieuwe versie */\n")
        changed = _version((await client.get("/sw.js")).text)
    assert first == again
    assert changed != first
    assert changed.split("-")[:-1] == first.split("-")[:-1]  # same declared base, new digest


async def test_vendor_serves_only_listed_files(client: AsyncTestClient[Litestar]) -> None:
    ok = await client.get("/vendor/tus.min.js")
    assert ok.status_code == 200
    assert "javascript" in ok.headers["content-type"]
    assert len(ok.content) == (PWA / "node_modules/tus-js-client/dist/tus.min.js").stat().st_size
    for name in ["axe.min.js", "..%2Fpackage.json", "tus.js"]:
        resp = await client.get(f"/vendor/{name}")
        assert resp.status_code == 404, name
        assert resp.headers["content-type"].startswith("application/problem+json")


async def test_index_and_manifest_are_public(client: AsyncTestClient[Litestar]) -> None:
    index = await client.get("/")
    assert index.status_code == 200
    assert '<html lang="nl">' in index.text
    assert "script-src 'self'" in index.headers["content-security-policy"]
    manifest = await client.get("/manifest.webmanifest")
    assert manifest.status_code == 200
    body = manifest.json()
    assert body["display"] == "standalone"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    assert any(i.get("purpose") == "maskable" for i in body["icons"])


async def test_every_precached_url_is_served(client: AsyncTestClient[Litestar]) -> None:
    for url in precache_list():
        resp = await client.get(url)
        assert resp.status_code == 200, url


def test_precache_list_matches_the_shell_files() -> None:
    on_disk = {
        "/" + str(p.relative_to(PWA))
        for folder in ["js", "css", "icons"]
        for p in (PWA / folder).rglob("*")
        if p.is_file()
    }
    listed = set(precache_list())
    assert on_disk - listed == set(), "shell files missing from sw.js SHELL"
    assert {u for u in listed if u.startswith(("/js/", "/css/", "/icons/"))} == on_disk


def test_app_shell_fits_the_budget() -> None:
    files = [PWA / "index.html", PWA / "manifest.webmanifest", PWA / "sw.js"]
    files += [p for d in ["js", "css"] for p in (PWA / d).rglob("*") if p.is_file()]
    files.append(PWA / "node_modules/tus-js-client/dist/tus.min.js")
    total = sum(p.stat().st_size for p in files)
    assert total <= SHELL_BUDGET, f"app shell is {total} bytes"


async def test_only_the_shell_is_served_never_packages_or_tests(
    client: AsyncTestClient[Litestar],
) -> None:
    for path in ("/", "/index.html", "/manifest.webmanifest", "/js/app.js", "/css/app.css"):
        resp = await client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].count("charset") <= 1, path
    for path in (
        "/node_modules/tus-js-client/package.json",
        "/package.json",
        "/package-lock.json",
        "/test/logic.test.mjs",
    ):
        resp = await client.get(path)
        assert resp.status_code == 404, path
        assert resp.headers["content-type"].startswith("application/problem+json"), path


async def test_shell_is_served_compressed_with_a_cache_lifetime_and_etag(
    client: AsyncTestClient[Litestar],
) -> None:
    for path, lifetime in (
        ("/js/app.js", "public, max-age=600"),
        ("/css/app.css", "public, max-age=600"),
        ("/vendor/tus.min.js", "public, max-age=86400"),
        ("/", "no-cache"),
        ("/manifest.webmanifest", "no-cache"),
    ):
        raw = await client.get(path, headers={"Accept-Encoding": "identity"})
        assert raw.status_code == 200, path
        assert "content-encoding" not in raw.headers, path
        packed = await client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert packed.headers["content-encoding"] == "gzip", path
        assert packed.headers["cache-control"] == lifetime, path
        assert packed.headers["vary"] == "Accept-Encoding", path
        # httpx decodes transparently; the wire size is what the header says.
        assert int(packed.headers["content-length"]) < len(raw.content) * 0.6, path
        assert packed.content == raw.content
        etag = packed.headers["etag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
    png = await client.get("/icons/icon-192.png", headers={"Accept-Encoding": "gzip"})
    assert png.status_code == 200 and "content-encoding" not in png.headers, "PNG is compressed"
    assert png.headers["cache-control"] == "public, max-age=86400"
    for path in ("/js/..%2Fpackage.json", "/js/.hidden", "/css/%2E%2E%2Fsw.js", "/js/missing.js"):
        resp = await client.get(path)
        assert resp.status_code == 404, path
