"""HTTP route handlers of the partners domain, collected for the app."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
