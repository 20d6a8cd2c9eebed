"""``make bench`` (``bench/run_all.py``) runs every benchmark; the field app's one only where
Node.js, npm and Chromium are installed, and it says when it leaves that one out."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from bench import run_all


def _run(monkeypatch: pytest.MonkeyPatch, missing: set[str]) -> list[str]:
    ran: list[str] = []

    def call(args: list[str], **kwargs: Any) -> int:
        ran.append(args[-1].rsplit("/", 1)[-1])
        return 0

    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda tool: None if tool in missing else real_which(tool) or tool
    )
    monkeypatch.setattr(subprocess, "call", call)
    assert run_all.main() == 0
    return ran


def test_every_benchmark_runs_when_node_and_chromium_are_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _run(monkeypatch, missing=set()) == run_all.BENCHES


def test_without_node_the_field_app_benchmark_is_left_out_and_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ran = _run(monkeypatch, missing={"node", "npm"})
    assert ran == [name for name in run_all.BENCHES if name != "pwa.py"]
    assert "skip pwa.py: needs node, npm" in capsys.readouterr().out


def test_a_failing_benchmark_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "call", lambda args, **kwargs: 1)
    assert run_all.main() == 1
