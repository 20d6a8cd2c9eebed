"""The shared registry of the authorization matrices: which test module covers which route.

Every route of the app (``METHOD path`` exactly as in ``app.routes``, ``OPTIONS`` left out)
must be covered by a row of some matrix file; ``tests/integration/test_authz_matrix.py``
fails on any route without one.

**Adding a route?** Add its row to the matrix file of its area:

- ``/api/v1/...``, ``/health`` and the field app's static files:
  ``tests/integration/test_authz_matrix.py`` (add an entry to its ``ROWS``).
- Another area with its own matrix file: list the module in :data:`MATRIX_MODULES` and, at
  import, call :func:`cover` with the routes its rows exercise.

:data:`PENDING` names the areas whose matrix file does not exist yet, each with its reason;
their routes are reported by the coverage test but do not fail it. Remove an entry as soon
as its matrix file covers the area.
"""

from __future__ import annotations

MATRIX_MODULES: tuple[str, ...] = (
    "tests.integration.test_authz_matrix",
    "tests.integration.test_partner_authz",
    "tests.integration.test_authz_matrix_workspace",
)
"""Modules that register rows with :func:`cover` when imported."""

PENDING: dict[str, str] = {}

COVERED: dict[tuple[str, str], str] = {}
"""``(METHOD, path template)`` → the module whose rows exercise it."""


def cover(module: str, routes: list[tuple[str, str]]) -> None:
    """Record that ``module`` has rows for ``routes``."""
    for route in routes:
        COVERED[route] = module
