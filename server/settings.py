"""Settings from ``SCHOUW_*`` environment variables, validated once at start."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"


class SettingsError(ValueError):
    """A ``SCHOUW_*`` variable holds a value that cannot be used."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration. Every field maps to one ``SCHOUW_*`` variable."""

    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    readers: int = 2
    login_max_failures: int = 5
    login_window: int = 15 * 60
    upload_max_size: int = 64 * 1024 * 1024
    upload_expiry: int = 24 * 3600
    photo_workers: int = 2
    photo_worker_jobs: int = 50
    photo_worker_memory: int = 1024
    photo_worker_cpu: int = 20
    max_image_pixels: int = 50_000_000
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)
    pwa_dir: Path = DEFAULT_PWA_DIR
    partner_token_ttl: int = 10 * 60
    partner_rate_limit: int = 600
    partner_rate_window: int = 60
    webhook_allow_loopback_http: bool = False
    webhook_max_attempts: int = 8
    webhook_retry_base_ms: int = 5000
    webhook_coalesce_ms: int = 10_000

    @property
    def db_path(self) -> Path:
        """The SQLite database file inside the data directory."""
        return self.data_dir / "schouw.db"

    @property
    def blob_dir(self) -> Path:
        """The content-addressed blob store inside the data directory."""
        return self.data_dir / "blobs"

    @property
    def upload_dir(self) -> Path:
        """Partial tus uploads inside the data directory."""
        return self.data_dir / "uploads"


# The variable behind each field (``tests/unit/test_settings.py`` checks that every one is
# documented in docs/configuration.md).
ENV_NAMES: dict[str, str] = {
    "data_dir": "SCHOUW_DATA_DIR",
    "host": "SCHOUW_HOST",
    "port": "SCHOUW_PORT",
    "access_token_ttl": "SCHOUW_ACCESS_TOKEN_TTL",
    "refresh_token_ttl": "SCHOUW_REFRESH_TOKEN_TTL",
    "readers": "SCHOUW_DB_READERS",
    "login_max_failures": "SCHOUW_LOGIN_MAX_FAILURES",
    "login_window": "SCHOUW_LOGIN_WINDOW",
    "upload_max_size": "SCHOUW_UPLOAD_MAX_SIZE",
    "upload_expiry": "SCHOUW_UPLOAD_EXPIRY",
    "photo_workers": "SCHOUW_PHOTO_WORKERS",
    "photo_worker_jobs": "SCHOUW_PHOTO_WORKER_JOBS",
    "photo_worker_memory": "SCHOUW_PHOTO_WORKER_MEMORY",
    "photo_worker_cpu": "SCHOUW_PHOTO_WORKER_CPU",
    "max_image_pixels": "SCHOUW_MAX_IMAGE_PIXELS",
    "trusted_proxies": "SCHOUW_TRUSTED_PROXIES",
    "pwa_dir": "SCHOUW_PWA_DIR",
    "partner_token_ttl": "SCHOUW_PARTNER_TOKEN_TTL",
    "partner_rate_limit": "SCHOUW_PARTNER_RATE_LIMIT",
    "partner_rate_window": "SCHOUW_PARTNER_RATE_WINDOW",
    "webhook_allow_loopback_http": "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP",
    "webhook_max_attempts": "SCHOUW_WEBHOOK_MAX_ATTEMPTS",
    "webhook_retry_base_ms": "SCHOUW_WEBHOOK_RETRY_BASE_MS",
    "webhook_coalesce_ms": "SCHOUW_WEBHOOK_COALESCE_MS",
}


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a whole number; use a value in {low}..{high} "
            f"or leave it unset for the default {default}"
        ) from None
    if not low <= value <= high:
        raise SettingsError(
            f"{name}={value} is outside the allowed range {low}..{high} (default {default})"
        )
    return value


def _proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("SCHOUW_TRUSTED_PROXIES", "").strip()
    if not raw:
        return ()
    out: list[str] = []
    for raw_part in raw.split(","):
        part = raw_part.strip()
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise SettingsError(
                f"SCHOUW_TRUSTED_PROXIES contains {part!r}, which is not an IP address or network"
            ) from None
        out.append(part)
    return tuple(out)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise :class:`SettingsError` naming the bad variable."""
    env = os.environ if env is None else env
    host = env.get("SCHOUW_HOST", "127.0.0.1").strip()
    if not host:
        raise SettingsError("SCHOUW_HOST is empty; use an address such as 127.0.0.1")
    data_dir = Path(env.get("SCHOUW_DATA_DIR", "var") or "var")
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(f"SCHOUW_DATA_DIR={str(data_dir)!r} exists but is not a directory")
    pwa_raw = env.get("SCHOUW_PWA_DIR", "").strip()
    pwa_dir = Path(pwa_raw) if pwa_raw else DEFAULT_PWA_DIR
    if pwa_raw and not pwa_dir.is_dir():
        raise SettingsError(f"SCHOUW_PWA_DIR={pwa_raw!r} is not a directory")
    return Settings(
        data_dir=data_dir,
        host=host,
        port=_int(env, "SCHOUW_PORT", 8000, 1, 65535),
        access_token_ttl=_int(env, "SCHOUW_ACCESS_TOKEN_TTL", 15 * 60, 60, 24 * 3600),
        refresh_token_ttl=_int(env, "SCHOUW_REFRESH_TOKEN_TTL", 30 * 24 * 3600, 3600, 365 * 86400),
        readers=_int(env, "SCHOUW_DB_READERS", 2, 1, 16),
        login_max_failures=_int(env, "SCHOUW_LOGIN_MAX_FAILURES", 5, 1, 100),
        login_window=_int(env, "SCHOUW_LOGIN_WINDOW", 15 * 60, 10, 86400),
        upload_max_size=_int(env, "SCHOUW_UPLOAD_MAX_SIZE", 64 * 1024 * 1024, 1024, 1 << 31),
        upload_expiry=_int(env, "SCHOUW_UPLOAD_EXPIRY", 24 * 3600, 60, 30 * 86400),
        photo_workers=_int(env, "SCHOUW_PHOTO_WORKERS", 2, 1, 16),
        photo_worker_jobs=_int(env, "SCHOUW_PHOTO_WORKER_JOBS", 50, 1, 100_000),
        photo_worker_memory=_int(env, "SCHOUW_PHOTO_WORKER_MEMORY", 1024, 128, 65_536),
        photo_worker_cpu=_int(env, "SCHOUW_PHOTO_WORKER_CPU", 20, 1, 3600),
        max_image_pixels=_int(env, "SCHOUW_MAX_IMAGE_PIXELS", 50_000_000, 1_000_000, 200_000_000),
        trusted_proxies=_proxies(env),
        pwa_dir=pwa_dir,
        partner_token_ttl=_int(env, "SCHOUW_PARTNER_TOKEN_TTL", 10 * 60, 60, 3600),
        partner_rate_limit=_int(env, "SCHOUW_PARTNER_RATE_LIMIT", 600, 1, 1_000_000),
        partner_rate_window=_int(env, "SCHOUW_PARTNER_RATE_WINDOW", 60, 1, 3600),
        webhook_allow_loopback_http=_int(env, "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP", 0, 0, 1) == 1,
        webhook_max_attempts=_int(env, "SCHOUW_WEBHOOK_MAX_ATTEMPTS", 8, 1, 50),
        webhook_retry_base_ms=_int(env, "SCHOUW_WEBHOOK_RETRY_BASE_MS", 5000, 10, 3_600_000),
        webhook_coalesce_ms=_int(env, "SCHOUW_WEBHOOK_COALESCE_MS", 10_000, 0, 3_600_000),
    )
