"""The workspace router: every page under ``/regie``, its middleware and guards.

Add a page by adding its handler to :data:`PAGES` (see the package docstring).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.exceptions import HTTPException

from server.lib.errors import DomainError, handle_domain_error, handle_http_exception
from server.workspace import (
    assets,
    casefile,
    caselead,
    caselist,
    devices,
    login,
    overview,
    planning,
    report,
    review,
    signals,
)
from server.workspace.security import PREFIX, SessionMiddleware, csrf_guard

PAGES: list[Any] = [
    assets.static_file,
    login.login_form,
    login.login,
    login.logout,
    overview.overview,
    overview.live,
    caselist.case_list,
    caselist.case_export,
    signals.signals,
    signals.signal_add,
    signals.signal,
    signals.signal_triage,
    signals.signal_dismiss,
    devices.devices,
    devices.revoke,
    devices.disable,
    casefile.dossier,
    casefile.change_status,
    casefile.photo,
    review.return_form,
    review.return_post,
    review.release_form,
    review.release_post,
    review.conflicts_page,
    review.resolve,
    caselead.interventions,
    caselead.intervention_add,
    caselead.intervention_update,
    caselead.close_form,
    caselead.close_post,
    caselead.duplicates,
    caselead.duplicate_link,
    caselead.duplicate_unlink,
    report.report,
    report.build,
    report.download,
    planning.planning_page,
    planning.plan_post,
    planning.assign_post,
    planning.handover_post,
]


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and request.headers.get("hx-request") != "true"


def workspace_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A browser gets an HTML page with the problem's Dutch title and detail; anything else
    (htmx, scripts) gets the same problem as ``application/problem+json``."""
    if isinstance(exc, DomainError):
        response = handle_domain_error(request, exc)
    elif isinstance(exc, HTTPException):
        response = handle_http_exception(request, exc)
    else:
        raise exc
    if not _wants_html(request):
        return response
    problem = exc.problem(request.url.path) if isinstance(exc, DomainError) else None
    title = problem.title if problem else "Fout"
    detail = problem.detail if problem else str(getattr(exc, "detail", "")) or title
    return Response(
        content=_render_error(request, title, detail or title),
        status_code=response.status_code,
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def _render_error(request: Request[Any, Any, Any], title: str, detail: str) -> str:
    template = request.app.template_engine.get_template("error.html")  # type: ignore[union-attr]
    return str(
        template.render(
            title=title,
            problem_title=title,
            detail=detail,
            prefix=PREFIX,
            me=None,
            csrf="",
            nav=(),
            active="",
            partial=False,
        )
    )


def workspace_router() -> Router:
    """All workspace routes: session middleware, CSRF guard, HTML error pages."""
    return Router(
        path=PREFIX,
        route_handlers=PAGES,
        middleware=[SessionMiddleware()],
        guards=[csrf_guard],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        exception_handlers={DomainError: workspace_error, HTTPException: workspace_error},
    )
