"""Apparaten: the devices of the team lead's agency (user, label, last sync, unsent work
from the phone's last report) with a revoke action for a lost phone; admins see every
agency's devices and the users, and can disable a user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.auth import management
from server.auth.guards import requires_admin
from server.auth.repository import list_users
from server.db import Database
from server.lib.clock import parse_iso, utc_now
from server.lib.errors import Conflict, Unprocessable
from server.sync.monitor import DeviceLine, devices_of_agency
from server.workspace.dashboard import STALE_AFTER
from server.workspace.rendering import page
from server.workspace.security import PREFIX, session_of

PAGE_SIZE = 100


def _age(device: DeviceLine, now: datetime) -> int | None:
    if device.report_received_at is None:
        return None
    return int((now - parse_iso(device.report_received_at)).total_seconds() // 60)


async def _page(
    request: Request[Any, Any, Any], after: str | None, message: str | None, status: int = 200
) -> Template:
    me = session_of(request).principal
    db: Database = request.app.state.db
    admin = me.has_role("admin")
    agency = None if admin else me.agency_id
    devices = await db.read(
        lambda c: devices_of_agency(c, agency, after=after, limit=PAGE_SIZE + 1)
    )
    users = await db.read(list_users) if admin else []
    now = utc_now()
    stale_minutes = int(STALE_AFTER.total_seconds() // 60)
    rows = [(d, _age(d, now)) for d in devices[:PAGE_SIZE]]
    return page(
        request,
        "apparaten.html",
        active="apparaten",
        title="Apparaten",
        rows=rows,
        stale_minutes=stale_minutes,
        next_after=devices[PAGE_SIZE - 1].id if len(devices) > PAGE_SIZE else None,
        users=[{**dict(u), "roles": ", ".join(msgspec.json.decode(u["roles"]))} for u in users],
        admin=admin,
        message=message,
        status_code=status,
    )


@get("/apparaten", include_in_schema=False, name="workspace-devices")
async def devices(request: Request[Any, Any, Any], after: FromQuery[str | None] = None) -> Template:
    """The devices (and for admins, the users)."""
    return await _page(request, (after or "")[:64] or None, None)


@post("/apparaten/{device_id:str}/intrekken", include_in_schema=False, name="workspace-revoke")
async def revoke(request: Request[Any, Any, Any], device_id: FromPath[str]) -> Any:
    """Revoke a lost phone (audited); it wipes itself on its next call."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    try:
        await db.write(lambda c: management.revoke_device(c, me, device_id))
    except Conflict as exc:
        return await _page(request, None, exc.detail, 409)
    return Redirect(path=f"{PREFIX}/apparaten", status_code=303)


@post(
    "/gebruikers/{user_id:str}/uitschakelen",
    include_in_schema=False,
    name="workspace-user-disable",
    guards=[requires_admin],
)
async def disable(request: Request[Any, Any, Any], user_id: FromPath[str]) -> Any:
    """Disable a user (admins): their tokens and sessions end at once (audited)."""
    me = session_of(request).principal
    db: Database = request.app.state.db
    try:
        await db.write(lambda c: management.disable_user(c, me, user_id))
    except (Conflict, Unprocessable) as exc:
        return await _page(request, None, exc.detail, exc.status)
    return Redirect(path=f"{PREFIX}/apparaten#gebruikers", status_code=303)
