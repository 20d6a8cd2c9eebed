"""Device and user management from the workspace: revoke a lost phone, disable a user.

A team lead manages the devices of their own agency's users; an admin manages every
device and user. A device or user outside the caller's reach answers like one that does not
exist (404). Every action is audited in the same transaction.
"""

from __future__ import annotations

import sqlite3

from server.audit.log import append
from server.auth import repository
from server.auth.principal import Principal
from server.auth.sessions import end_user_sessions
from server.auth.tokens import end_user_tokens
from server.lib.errors import Conflict, NotFound, Unprocessable


def _device_owner_agency(conn: sqlite3.Connection, device_id: str) -> str | None:
    row = conn.execute(
        "SELECT u.agency_id FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?",
        (device_id,),
    ).fetchone()
    return None if row is None else str(row[0])


def may_manage_agency(principal: Principal, agency_id: str) -> bool:
    """Admins manage every agency's devices; team leads their own agency's."""
    return principal.has_role("admin") or (
        principal.has_role("teamlead") and principal.agency_id == agency_id
    )


def revoke_device(conn: sqlite3.Connection, principal: Principal, device_id: str) -> None:
    """Revoke a device: every call with its tokens is refused from now on with
    ``device-revoked``, which tells the phone to wipe itself. The tokens are kept (not
    deleted) so that the phone's next call, refresh included, can still be told so."""
    agency = _device_owner_agency(conn, device_id)
    if agency is None or not may_manage_agency(principal, agency):
        raise NotFound("Dit apparaat bestaat niet of valt niet onder uw organisatie.")
    if repository.revoke_device(conn, device_id) is False:
        raise Conflict("Dit apparaat is al ingetrokken.", slug="device-already-revoked")
    append(conn, principal.actor(), "device.revoke", object_type="device", object_id=device_id)


def disable_user(conn: sqlite3.Connection, principal: Principal, user_id: str) -> None:
    """Disable a user (admins only): tokens and workspace sessions end at once."""
    row = conn.execute("SELECT disabled_at FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None or not principal.has_role("admin"):
        raise NotFound("Deze gebruiker bestaat niet.")
    if user_id == principal.user_id:
        raise Unprocessable(
            "U kunt uzelf niet uitschakelen; vraag een andere beheerder.", slug="self-disable"
        )
    if row[0] is not None:
        raise Conflict("Deze gebruiker is al uitgeschakeld.", slug="user-already-disabled")
    repository.disable_user(conn, user_id)
    tokens = end_user_tokens(conn, user_id)
    sessions = end_user_sessions(conn, user_id)
    append(
        conn,
        principal.actor(),
        "user.disable",
        object_type="user",
        object_id=user_id,
        detail={"tokens_ended": tokens, "sessions_ended": sessions},
    )
