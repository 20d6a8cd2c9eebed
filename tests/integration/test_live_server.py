"""The live-server helper fails loudly, with the server's own output, when a server does not
come up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.live_server import LiveServer, ServerDidNotStart


def test_a_server_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    script = "import sys; print('starting'); sys.stderr.write('no database here\\n'); sys.exit(3)"
    server = LiveServer(tmp_path / "data", command=lambda port: [sys.executable, "-c", script])
    with pytest.raises(ServerDidNotStart) as caught:
        server.start()
    message = str(caught.value)
    assert "exited with code 3" in message
    assert "starting" in message and "no database here" in message
    assert server.proc is None


def test_a_server_that_never_answers_is_killed_and_reported(tmp_path: Path) -> None:
    script = "import time; time.sleep(120)"
    server = LiveServer(
        tmp_path / "data",
        command=lambda port: [sys.executable, "-c", script],
        ready_timeout=2,
    )
    with pytest.raises(ServerDidNotStart) as caught:
        server.start()
    assert "did not answer /health" in str(caught.value)
    assert "--- stderr ---" in str(caught.value)
    assert server.proc is None  # killed, not left running
