"""Rapport (printable case report) and the bewijspakket download."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import File, Template

from server.evidence.package import PackagePlan
from server.evidence.package_routes import build_package, package_file
from server.lib.errors import NotFound
from server.workspace.casefile import case_file_of
from server.workspace.rendering import page
from server.workspace.security import session_of

MAX_WAITING = 50  # built packages waiting for their download, per process


@dataclass(frozen=True, slots=True)
class Waiting:
    """A built package: whose it is, and where."""

    user_id: str
    case_id: str
    plan: PackagePlan
    path: Path


def _waiting(request: Request[Any, Any, Any]) -> dict[str, Waiting]:
    state = request.app.state
    if not hasattr(state, "evidence_packages"):
        state.evidence_packages = {}
    found: dict[str, Waiting] = state.evidence_packages
    return found


@get("/zaken/{case_id:str}/rapport", include_in_schema=False, name="workspace-report")
async def report(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Everything the reader may see of the case, laid out for printing."""
    file = await case_file_of(request, case_id)
    return page(
        request,
        "rapport.html",
        active="zaken",
        title=f"Rapport {file.view.reference}",
        view=file.view,
        file=file,
        case_tab="rapport",
    )


@post("/zaken/{case_id:str}/bewijspakket", include_in_schema=False, name="workspace-evidence-build")
async def build(request: Request[Any, Any, Any], case_id: FromPath[str]) -> Template:
    """Build the own agency's package; show the manifest's sha256 and the download link."""
    me = session_of(request).principal
    file = await case_file_of(request, case_id)
    state = request.app.state
    plan, path = await build_package(
        state.db, state.photos.store, me, case_id, state.settings.data_dir / "packages"
    )
    waiting = _waiting(request)
    while len(waiting) >= MAX_WAITING:  # the oldest unclaimed package goes first
        oldest = next(iter(waiting))
        waiting.pop(oldest).path.unlink(missing_ok=True)
    package_id = secrets.token_urlsafe(16)
    waiting[package_id] = Waiting(me.user_id, case_id, plan, path)
    return page(
        request,
        "bewijspakket.html",
        active="zaken",
        title=f"Bewijspakket {file.view.reference}",
        view=file.view,
        file=file,
        case_tab="rapport",
        plan=plan,
        package_id=package_id,
    )


@get(
    "/zaken/{case_id:str}/bewijspakket/{package_id:str}",
    include_in_schema=False,
    name="workspace-evidence-download",
)
async def download(
    request: Request[Any, Any, Any], case_id: FromPath[str], package_id: FromPath[str]
) -> File:
    """The ZIP, once, for the team lead who built it; removed after sending."""
    me = session_of(request).principal
    item = _waiting(request).get(package_id)
    if item is None or item.user_id != me.user_id or item.case_id != case_id:
        raise NotFound(
            "Dit bewijspakket is niet (meer) beschikbaar; stel het opnieuw samen.",
            slug="package-not-found",
        )
    del _waiting(request)[package_id]
    return package_file(item.plan, item.path)
