"""``schouw serve`` as a real process: health, OpenAPI, clean stop on SIGINT, bad settings."""

from __future__ import annotations

import json
import signal
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tests.live_server import LiveServer
from tests.support import run_schouw


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def test_serve_health_openapi_and_clean_sigint(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data", command=lambda port: [sys.executable, "-m", "server.admin", "serve"]
    )
    server.start()
    base = server.url
    try:
        status, headers, body = _get(base + "/health")
        assert status == 200
        assert "server" not in headers  # no "Server: uvicorn"
        health = json.loads(body)
        assert health["status"] == "ok" and health["epoch"] == 1

        status, headers, body = _get(base + "/api/v1/openapi.json")
        assert status == 200
        spec = json.loads(body)
        assert spec["info"]["title"] == "Schouw API"
        assert "/api/v1/auth/login" in spec["paths"]
        assert headers["x-content-type-options"] == "nosniff"

        status, headers, body = _get(base + "/api/v1/does-not-exist")
        assert status in (401, 404)
        assert headers["content-type"].startswith("application/problem+json")
        assert headers["x-content-type-options"] == "nosniff"  # error responses too
        assert (tmp_path / "data" / "schouw.db").is_file()
    finally:
        code = server.stop(signal.SIGINT)
    out = server.stdout_path.read_text()
    err = server.stderr_path.read_text()
    assert code == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert base in out


def test_bad_port_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = run_schouw(tmp_path / "data", "serve", env={"SCHOUW_PORT": "abc"})
    assert result.returncode == 2
    assert "SCHOUW_PORT" in result.stderr and "'abc'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_bad_proxy_list_exits_2(tmp_path: Path) -> None:
    result = run_schouw(
        tmp_path / "data", "serve", env={"SCHOUW_TRUSTED_PROXIES": "10.0.0.1,myproxy"}
    )
    assert result.returncode == 2
    assert "SCHOUW_TRUSTED_PROXIES" in result.stderr and "'myproxy'" in result.stderr


def test_serve_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_schouw(tmp_path / "data", "serve", env={"SCHOUW_PORT": str(port)})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
