"""Settings validation names the bad variable; every setting is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from server.settings import ENV_NAMES, Settings, SettingsError, load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults_are_safe() -> None:
    s = load_settings({})
    assert s.host == "127.0.0.1"  # not reachable from the network unless asked
    assert s.port == 8000
    assert s.access_token_ttl == 900 and s.refresh_token_ttl == 30 * 86400
    assert s.trusted_proxies == ()
    assert s.data_dir == Path("var")
    assert s == Settings()


def test_values_are_read(tmp_path: Path) -> None:
    s = load_settings(
        {
            "SCHOUW_DATA_DIR": str(tmp_path),
            "SCHOUW_HOST": "0.0.0.0",
            "SCHOUW_PORT": " 8443 ",
            "SCHOUW_DB_READERS": "4",
            "SCHOUW_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1",
            "SCHOUW_PWA_DIR": str(tmp_path),
        }
    )
    assert (s.data_dir, s.host, s.port, s.readers) == (tmp_path, "0.0.0.0", 8443, 4)
    assert s.trusted_proxies == ("10.0.0.1", "192.168.0.0/16", "::1")
    assert s.pwa_dir == tmp_path
    assert s.db_path == tmp_path / "schouw.db" and s.blob_dir == tmp_path / "blobs"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"SCHOUW_PORT": "abc"},
            r"SCHOUW_PORT='abc' is not a whole number; use a value in 1\.\.65535",
        ),
        ({"SCHOUW_PORT": "0"}, r"SCHOUW_PORT=0 is outside the allowed range 1\.\.65535"),
        ({"SCHOUW_PORT": "70000"}, r"SCHOUW_PORT=70000 is outside"),
        ({"SCHOUW_ACCESS_TOKEN_TTL": "5"}, r"SCHOUW_ACCESS_TOKEN_TTL=5 is outside .*60\.\.86400"),
        ({"SCHOUW_DB_READERS": "1.5"}, r"SCHOUW_DB_READERS='1.5' is not a whole number"),
        ({"SCHOUW_LOGIN_MAX_FAILURES": "0"}, r"SCHOUW_LOGIN_MAX_FAILURES=0"),
        ({"SCHOUW_HOST": "  "}, r"SCHOUW_HOST is empty"),
        (
            {"SCHOUW_TRUSTED_PROXIES": "10.0.0.1,proxy.local"},
            r"SCHOUW_TRUSTED_PROXIES .*'proxy.local'",
        ),
        ({"SCHOUW_PWA_DIR": "/nonexistent/pwa"}, r"SCHOUW_PWA_DIR='/nonexistent/pwa' is not a dir"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("x")
    with pytest.raises(SettingsError, match=r"SCHOUW_DATA_DIR=.* exists but is not a directory"):
        load_settings({"SCHOUW_DATA_DIR": str(file)})


def test_every_setting_has_a_variable() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert fields == set(ENV_NAMES), "add the new field to ENV_NAMES and docs/configuration.md"


def _documented() -> dict[str, str]:
    """Variable name -> its table row in docs/configuration.md."""
    rows: dict[str, str] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`(SCHOUW_[A-Z_]+)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def test_every_variable_is_documented_with_its_default() -> None:
    rows = _documented()
    missing = sorted(set(ENV_NAMES.values()) - set(rows))
    assert not missing, f"document these in docs/configuration.md: {missing}"
    unknown = sorted(set(rows) - set(ENV_NAMES.values()))
    assert not unknown, f"docs/configuration.md documents variables that do not exist: {unknown}"
    defaults = Settings()
    for name, env in ENV_NAMES.items():
        value = getattr(defaults, name)
        if isinstance(value, bool):  # a 0/1 switch in the environment
            value = int(value)
        if isinstance(value, int):
            cells = [c.strip() for c in rows[env].split("|")]
            assert f"`{value}`" in cells[2], f"{env}: default {value} not in its row"


def test_documented_ranges_match_validation() -> None:
    """The `low..high` range in the docs is exactly what load_settings accepts."""
    for env, row in _documented().items():
        match = re.search(r"`(\d+)\.\.(\d+)`", row)
        if not match:
            continue
        low, high = int(match.group(1)), int(match.group(2))
        load_settings({env: str(low)})
        load_settings({env: str(high)})
        with pytest.raises(SettingsError, match=env):
            load_settings({env: str(low - 1)})
        with pytest.raises(SettingsError, match=env):
            load_settings({env: str(high + 1)})
