"""The partner audit trail: every call, with the client, what was read and how many records."""

from __future__ import annotations

from typing import Any

from server.audit.log import append
from server.db import Database
from server.partners.clients import PartnerCaller


async def audit_call(
    db: Database,
    caller: PartnerCaller,
    action: str,
    *,
    object_type: str,
    object_id: str | None = None,
    records: int,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit event for a partner call (its own write)."""
    full = {"records": records, **(detail or {})}
    await db.write(
        lambda c: append(
            c,
            caller.actor(),
            action,
            result=result,
            object_type=object_type,
            object_id=object_id,
            detail=full,
        )
    )
