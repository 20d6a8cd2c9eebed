"""The partner API's OpenAPI document: served, complete, and linted by Spectral against the
NL API Design Rules ruleset in tools/spectral (each rule proven able to fail)."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from server.partners.headers import API_VERSION, ROOT

REPO = Path(__file__).resolve().parents[2]
SPECTRAL = REPO / "tools" / "spectral" / "node_modules" / ".bin" / "spectral"
RULESET = REPO / "tools" / "spectral" / "partner-api.yaml"

Doc = dict[str, Any]


def _rename_path(doc: Doc, old: str, new: str) -> None:
    doc["paths"][new] = doc["paths"].pop(old)


def _drop_header(doc: Doc) -> None:
    del doc["paths"]["/cases"]["get"]["responses"]["200"]["headers"]["API-Version"]


def _snake_query(doc: Doc) -> None:
    for param in doc["paths"]["/cases"]["get"]["parameters"]:
        if param["name"] == "changedSince":
            param["name"] = "changed_since"


def _plain_json_error(doc: Doc) -> None:
    response = doc["paths"]["/changes"]["get"]["responses"]["410"]
    response["content"] = {"application/json": response["content"]["application/problem+json"]}


def _problem_without_detail(doc: Doc) -> None:
    problem = doc["components"]["schemas"]["Problem"]
    problem["required"] = [r for r in problem["required"] if r != "detail"]


# rule code -> how to break the document for it (and for nothing else)
BREAKERS: dict[str, Callable[[Doc], None]] = {
    "oas3-schema": lambda d: d["info"].pop("title"),
    "schouw-uri-version": lambda d: d["servers"][0].update(url="/api/partner"),
    "schouw-version-header": _drop_header,
    "schouw-no-trailing-slash": lambda d: _rename_path(d, "/changes", "/changes/"),
    "schouw-paths-kebab-case": lambda d: _rename_path(d, "/changes", "/changeFeed"),
    "schouw-query-camel-case": _snake_query,
    "schouw-problem-media-type": _plain_json_error,
    "schouw-problem-members": _problem_without_detail,
    "schouw-invalid-input": lambda d: d["paths"]["/signals"]["post"]["responses"].pop("400"),
    "schouw-semver": lambda d: d["info"].update(version="1.0"),
    "schouw-info-contact": lambda d: d["info"]["contact"].pop("email"),
}


async def _document(client: AsyncTestClient[Litestar]) -> Doc:
    resp = await client.get(f"{ROOT}/openapi.json")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.headers["api-version"] == "1.1.0"
    doc: Doc = resp.json()
    return doc


async def test_spectral_passes_the_document_and_fails_each_broken_copy(
    client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    assert SPECTRAL.exists(), "Spectral is missing: run `make test` (installs tools/spectral)"
    doc = await _document(client)
    files = {"good": tmp_path / "good.json"}
    files["good"].write_text(json.dumps(doc))
    for rule, breaker in BREAKERS.items():
        broken = copy.deepcopy(doc)
        breaker(broken)
        files[rule] = tmp_path / f"broken-{rule}.json"
        files[rule].write_text(json.dumps(broken))
    run = await asyncio.to_thread(
        subprocess.run,
        [
            str(SPECTRAL),
            "lint",
            "-r",
            str(RULESET),
            "-f",
            "json",
            "--quiet",
            "--fail-severity",
            "error",
            *map(str, files.values()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.stdout.strip(), run.stderr
    results = json.loads(run.stdout)
    errors: dict[str, set[str]] = {name: set() for name in files}
    by_path = {str(p): name for name, p in files.items()}
    for result in results:
        if result["severity"] == 0:
            errors[by_path[result["source"]]].add(result["code"])
    assert errors.pop("good") == set(), [r for r in results if r["source"] == str(files["good"])]
    assert errors == {rule: {rule} for rule in BREAKERS}


async def test_document_lists_every_partner_route_with_real_schemas(
    app: Litestar, client: AsyncTestClient[Litestar]
) -> None:
    doc = await _document(client)
    served = set()
    for route in app.routes:
        if not route.path.startswith(ROOT + "/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            if isinstance(handler, HTTPRouteHandler):
                for method in handler.http_methods:
                    path = route.path_format.removeprefix(ROOT)
                    if path != "/openapi.json" and method not in {"HEAD", "OPTIONS"}:
                        served.add((method.lower(), path))
    documented = {(m, p) for p, item in doc["paths"].items() for m in item}
    assert served == documented
    assert doc["servers"] == [{"url": ROOT, "description": "This server, version 1"}]

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and not node.get("properties"):
                raise AssertionError(f"bare object schema at {where}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for n, value in enumerate(node):
                walk(value, f"{where}/{n}")

    walk(doc["components"]["schemas"], "#/components/schemas")
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for code, response in op["responses"].items():
                assert "API-Version" in response["headers"], (method, path, code)
                for media, content in response.get("content", {}).items():
                    schema = content["schema"]
                    assert "$ref" in schema or schema.get("format") == "binary", (path, media)


def test_docs_have_a_changelog() -> None:
    text = (REPO / "docs" / "partner-api.md").read_text(encoding="utf-8")
    assert "## Changelog" in text and f"**{API_VERSION}**" in text and "**1.0.0**" in text
