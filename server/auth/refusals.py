"""Every refusal of an authenticated request is audited (403 and 404), in one place.

An ``after_exception`` hook of the app sees each exception before its handler turns it into
a problem response: guards' role refusals, "not on the case" 404s, authority 403s. Code that
already wrote a more specific audit event for its refusal marks the error
(:meth:`~server.lib.errors.DomainError.mark_audited`) and is not logged twice.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.exceptions import HTTPException

from server.audit.log import append
from server.auth.principal import Principal
from server.lib.errors import DomainError

log = logging.getLogger("schouw.audit")

REFUSALS = {403: "denied", 404: "not-found"}
# Path parameters naming the object of a request, most specific first.
OBJECT_PARAMS = (
    "conflict_id",
    "photo_id",
    "upload_id",
    "intervention_id",
    "inspection_id",
    "checklist_id",
    "signal_id",
    "case_id",
)


def _refusal(exc: Exception) -> tuple[int, str] | None:
    if isinstance(exc, DomainError):
        return (exc.status, exc.slug) if exc.status in REFUSALS and not exc.audited else None
    if isinstance(exc, HTTPException) and exc.status_code in REFUSALS:
        return exc.status_code, "not-found" if exc.status_code == 404 else "forbidden"
    return None


async def audit_refusal(exc: Exception, scope: Any) -> None:
    """Write ``request.refused`` for a 403/404 answered to an authenticated caller."""
    refusal = _refusal(exc)
    user = scope.get("user")
    if refusal is None or not isinstance(user, Principal):
        return
    status, slug = refusal
    params: dict[str, Any] = scope.get("path_params") or {}
    name = next((p for p in OBJECT_PARAMS if p in params), None)
    detail = {
        "method": scope.get("method"),
        "route": scope.get("path_template") or scope.get("path"),
        "status": status,
        "problem": slug,
    }
    try:
        await scope["app"].state.db.write(
            lambda c: append(
                c,
                user.actor(),
                "request.refused",
                result=REFUSALS[status],
                object_type=name.removesuffix("_id") if name else None,
                object_id=str(params[name])[:64] if name else None,
                detail=detail,
            )
        )
    except Exception:  # the refusal is answered even if the audit write fails; say so loudly
        log.exception("could not audit a refused %s %s", detail["method"], detail["route"])
