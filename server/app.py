"""``create_app(settings)``: the Litestar application, its lifespan and wiring."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from server import __version__
from server.auth.controller import AuthController
from server.auth.middleware import TokenAuthMiddleware
from server.auth.ratelimit import LoginLimiter
from server.auth.refusals import audit_refusal
from server.auth.service import AuthService
from server.auth.sessions import SessionService
from server.cases.routes import ROUTES as CASE_ROUTES
from server.checklists.routes import ROUTES as CHECKLIST_ROUTES
from server.db import Database
from server.db.feed import current_epoch
from server.evidence.routes import ROUTES as EVIDENCE_ROUTES
from server.lib.errors import PROBLEM_BASE, Problem, exception_handlers, problem_response
from server.lib.openapi_problems import ProblemJsonRenderPlugin
from server.lib.openapi_router import openapi_router
from server.lib.security_headers import add_security_headers
from server.partners.headers import add_partner_headers
from server.partners.routes import ROUTES as PARTNER_ROUTES
from server.partners.tokens import TokenService
from server.settings import Settings, load_settings
from server.sync.routes import ROUTES as SYNC_ROUTES
from server.web import hooks
from server.web.static import pwa_router
from server.workspace.rendering import template_config
from server.workspace.routes import workspace_router

PUBLIC = {"exclude_from_auth": True}
DEFAULT_BODY_LIMIT = 1024 * 1024


class Health(msgspec.Struct):
    """Liveness: the process answers and the database can be read."""

    status: str
    version: str
    epoch: int
    schema_version: int


@get(
    "/health",
    opt={**PUBLIC, "response_body": (200, "application/json", Health)},
    tags=["ops"],
    summary="Liveness and database check",
)
async def health(request: Request[Any, Any, State]) -> Response[Any]:
    """200 when the database answers a query; 503 problem+json otherwise."""
    db: Database = request.app.state.db
    try:
        epoch, version = await db.read(
            lambda c: (current_epoch(c), int(c.execute("PRAGMA user_version").fetchone()[0]))
        )
    except Exception:
        return problem_response(
            Problem(
                type=PROBLEM_BASE + "database-unavailable",
                title="Database niet beschikbaar",
                status=503,
                detail="De database antwoordt niet. Controleer de datamap en de schijfruimte.",
                instance="/health",
            )
        )
    return Response(Health(status="ok", version=__version__, epoch=epoch, schema_version=version))


_frozen = False


def _freeze_startup_objects() -> None:
    """Once per process, after the first start-up: what is alive then (modules, routes,
    templates, connections) lives as long as the process, so the cyclic garbage collector
    need not walk it again on every full collection (it took about a tenth of the CPU of a
    partner change-feed page before; docs/performance.md, partner section)."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application for ``settings`` (default: from the environment)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = await Database.open(settings.db_path, readers=settings.readers)
        app.state.db = db
        limiter = LoginLimiter(settings.login_max_failures, settings.login_window)
        app.state.auth = AuthService(db, settings, limiter)
        # The workspace login shares the API login's throttle counters.
        app.state.sessions = SessionService(db, limiter)
        app.state.partner_tokens = TokenService(db, settings)
        try:
            await hooks.startup(app)
            _freeze_startup_objects()
            try:
                yield
            finally:
                await hooks.shutdown(app)
        finally:
            await db.close()

    route_handlers: list[Any] = [
        health,
        AuthController,
        *CHECKLIST_ROUTES,
        *CASE_ROUTES,
        *SYNC_ROUTES,
        *EVIDENCE_ROUTES,
        *PARTNER_ROUTES,
        workspace_router(),
    ]
    if settings.pwa_dir.is_dir():
        route_handlers.append(pwa_router(settings.pwa_dir))

    return Litestar(
        route_handlers=route_handlers,
        lifespan=[lifespan],
        state=State({"settings": settings}),
        middleware=[
            DefineMiddleware(TokenAuthMiddleware, exclude=[r"^/api/v1/openapi", r"^/api/partner/"])
        ],
        exception_handlers=exception_handlers(),
        after_exception=[audit_refusal],
        before_send=[add_security_headers, add_partner_headers],
        template_config=template_config(),
        request_max_body_size=DEFAULT_BODY_LIMIT,
        openapi_config=OpenAPIConfig(
            title="Schouw API",
            version=__version__,
            description="Field inspections for regional intervention teams. Errors are "
            "application/problem+json (RFC 9457).",
            path="/api/v1",
            openapi_router=openapi_router("/api/v1"),
            render_plugins=[ProblemJsonRenderPlugin()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="Opaque access token from /auth/login",
                    ),
                }
            ),
            security=[{"bearer": []}],
        ),
        debug=False,
    )
