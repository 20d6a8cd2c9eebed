"""HTTP route handlers of the cases domain, collected for the app."""

from __future__ import annotations

from typing import Any

from server.cases.casefile_routes import CaseFileController
from server.cases.controllers import CaseController
from server.cases.signals import SignalController

ROUTES: list[Any] = [SignalController, CaseController, CaseFileController]
