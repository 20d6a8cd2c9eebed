"""``schouw client webhook set|clear|test``, ``deliveries`` and ``replay``; HTTPS only, and
the server refuses to start with a plain-HTTP endpoint unless the loopback setting is on."""

from __future__ import annotations

import asyncio
import sqlite3
import traceback
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks.webhooks import Webhook

from server.app import create_app
from server.settings import Settings
from tests.notify_support import Receiver
from tests.support import run_schouw

LOOPBACK = {"SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP": "1"}


def _value(stdout: str, label: str) -> str:
    for line in stdout.splitlines():
        if line.startswith(label):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{label!r} not in {stdout!r}")


async def test_webhook_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"

    async def schouw(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        run = await asyncio.to_thread(run_schouw, data, *args, env=env)
        return run.returncode, run.stdout, run.stderr

    code, out, err = await schouw(
        "agency", "add", "politie", "--name", "Politie", "--kind", "politie"
    )
    assert code == 0, err
    code, out, err = await schouw(
        "client", "add", "Registratie", "--agency", "politie", "--scope", "notifications"
    )
    client_id = _value(out, "client id")
    _, out, _ = await schouw("client", "add", "Zonder", "--agency", "politie")
    no_scope = _value(out, "client id")

    code, out, err = await schouw(
        "client", "webhook", "set", client_id, "https://partner.example/hook"
    )
    assert code == 0, err
    first_secret = _value(out, "signing secret")
    assert first_secret.startswith("whsec_")
    receiver = Receiver()
    code, _, err = await schouw("client", "webhook", "set", client_id, receiver.url)
    assert code == 1 and "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP" in err
    code, _, err = await schouw(
        "client", "webhook", "set", client_id, "http://partner.example/hook", env=LOOPBACK
    )
    assert code == 1 and "HTTPS" in err
    code, _, err = await schouw("client", "webhook", "set", no_scope, "https://partner.example/h")
    assert code == 1 and "notifications" in err
    code, out, err = await schouw("client", "webhook", "set", client_id, receiver.url, env=LOOPBACK)
    assert code == 0, err
    assert "signing secret" not in out  # the secret stays; only the URL moved

    # The server refuses to start with that endpoint unless the loopback setting is on.
    with pytest.raises(BaseException) as refused:  # the lifespan wraps the RuntimeError
        async with AsyncTestClient(app=create_app(Settings(data_dir=data))):
            pass
    assert "webhook endpoint that is not allowed" in "".join(
        traceback.format_exception(refused.value)
    )

    await receiver.start()
    try:
        code, out, err = await schouw("client", "webhook", "test", client_id, env=LOOPBACK)
        assert code == 0 and "HTTP 200" in out, (out, err)
        (got,) = receiver.received
        event = Webhook(first_secret).verify(got.body, got.headers)
        assert event["type"] == "nl.schouw.partner.test"
        receiver.status = 503
        code, out, _ = await schouw("client", "webhook", "test", client_id, env=LOOPBACK)
        assert code == 1 and "HTTP 503" in out
    finally:
        await receiver.stop()

    conn = sqlite3.connect(data / "schouw.db")
    conn.execute(
        "INSERT INTO notification_outbox (id, client_id, case_id, types, seq, created_at,"
        " due_at, attempts, state, last_status) VALUES ('01900000-0000-7000-8000-000000000001',"
        " ?, 'c1', '[\"case-updated\"]', 1, '2026-01-01T00:00:00.000Z',"
        " '2026-01-01T00:00:00.000Z', 8, 'dead', 500)",
        (client_id,),
    )
    conn.commit()
    conn.close()
    code, out, _ = await schouw("client", "deliveries", "--state", "dead")
    assert code == 0 and "01900000-0000-7000-8000-000000000001" in out and "dead" in out
    code, out, _ = await schouw("client", "replay", "--all-dead")
    assert code == 0 and "queued 1" in out
    code, out, _ = await schouw("client", "deliveries", "--state", "pending")
    assert "attempts=0" in out
    code, _, err = await schouw("client", "replay")
    assert code == 1 and "--all-dead" in err
    code, out, _ = await schouw("client", "webhook", "clear", client_id)
    assert code == 0 and "removed" in out
    async with AsyncTestClient(app=create_app(Settings(data_dir=data))) as http:
        assert (await http.get("/health")).status_code == 200  # starts again
