"""HTTP route handlers of the cases domain, collected for the app."""

from __future__ import annotations

from typing import Any

from server.cases.controllers import CaseController, SignalController

ROUTES: list[Any] = [SignalController, CaseController]
