"""``schouw serve`` as a real process: health, OpenAPI, clean stop on SIGINT, bad settings."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support import run_schouw


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _wait_for_health(proc: subprocess.Popen[str], base: str) -> tuple[int, bytes]:
    deadline = time.monotonic() + 60  # a readiness bound, not a timing assertion
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.communicate()}")
        try:
            status, _, body = _get(base + "/health")
            return status, body
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("server did not answer /health")


def test_serve_health_openapi_and_clean_sigint(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SCHOUW_DATA_DIR": str(tmp_path / "data"), "SCHOUW_PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.admin", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status, body = _wait_for_health(proc, base)
        assert status == 200
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
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"server did not stop on SIGINT: {err}") from None
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert f"http://127.0.0.1:{port}" in out


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
