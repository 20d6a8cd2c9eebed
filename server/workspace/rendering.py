"""Templates of the workspace: Jinja2 through Litestar's template support.

:func:`page` renders a full page (``base.html`` with the navigation) or, for an htmx
request that targets part of a page, the same template: templates that support partial
rendering check ``partial``. Every page gets ``me`` (the principal), ``csrf`` (the
session's CSRF token, for hidden form fields), ``nav`` and ``active`` (the current section).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from server.auth.principal import Principal
from server.workspace.security import PREFIX, session_of
from server.workspace.values import show_place

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

# The navigation: (section key, Dutch label, path). Pages of the case file (dossier,
# planning, conflicts, …) are reached from a case and mark the section ``zaken``.
NAV: tuple[tuple[str, str, str], ...] = (
    ("overzicht", "Overzicht", PREFIX + "/"),
    ("signalen", "Signalen", PREFIX + "/signalen"),
    ("zaken", "Zaken", PREFIX + "/zaken"),
    ("apparaten", "Apparaten", PREFIX + "/apparaten"),
)

STATUS_LABELS: dict[str, str] = {
    "signal": "Signaal",
    "selected": "Geselecteerd",
    "planned": "Gepland",
    "inspected": "Gecontroleerd",
    "reviewed": "Beoordeeld",
    "intervention": "Interventie",
    "closed": "Afgesloten",
}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    env.filters["nl_datetime"] = nl_datetime
    env.filters["nl_date"] = nl_date
    env.filters["place"] = show_place
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's template configuration (only the workspace renders templates)."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def nl_date(value: str | None) -> str:
    """``2026-05-04`` → ``04-05-2026``; empty for None."""
    if not value:
        return ""
    y, m, d = value[:10].split("-")
    return f"{d}-{m}-{y}"


def nl_datetime(value: str | None) -> str:
    """An ISO UTC timestamp as ``04-05-2026 07:12 UTC``; empty for None."""
    if not value:
        return ""
    return f"{nl_date(value)} {value[11:16]} UTC"


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """True for a request htmx sent (it sets ``HX-Request: true``)."""
    return request.headers.get("hx-request") == "true"


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    active: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render ``template`` with the common page context."""
    session = session_of(request)
    me: Principal = session.principal
    return Template(
        template_name=template,
        context={
            "me": me,
            "csrf": session.csrf,
            "nav": NAV,
            "active": active,
            "title": title,
            "partial": is_htmx(request) and request.headers.get("hx-target") is not None,
            "prefix": PREFIX,
            **context,
        },
        status_code=status_code,
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def public_page(
    template: str,
    *,
    title: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render a page that needs no session (the login page, error pages)."""
    return Template(
        template_name=template,
        context={
            "title": title,
            "prefix": PREFIX,
            "me": None,
            "csrf": "",
            "nav": (),
            "active": "",
            "partial": False,
            **context,
        },
        status_code=status_code,
        media_type="text/html",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def render_fragment(request: Request[Any, Any, Any], template: str, **context: Any) -> str:
    """Render part of a page to a string (server-sent events), with the page context."""
    session = session_of(request)
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the app was built without a template engine")
    return str(
        engine.get_template(template).render(
            me=session.principal, csrf=session.csrf, prefix=PREFIX, partial=True, **context
        )
    )
