"""Who is calling: a user on a device, a user in a workspace session (no device)."""

from __future__ import annotations

from dataclasses import dataclass

from server.audit.log import Actor
from server.lib.errors import Unauthorized

ROLES = ("inspector", "teamlead", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user acting through one registered device (bearer tokens) or
    through a workspace session at a desk (``session_id`` set, no device)."""

    user_id: str
    username: str
    name: str
    agency_id: str
    roles: frozenset[str]
    device_id: str | None
    ip: str | None = None
    session_id: str | None = None

    @property
    def device(self) -> str:
        """The device of a bearer-token principal; 401 for a principal without one."""
        if self.device_id is None:
            raise Unauthorized(
                "Deze actie vraagt een aangemeld apparaat; de werkplek is geen apparaat.",
                slug="device-required",
            )
        return self.device_id

    def has_role(self, role: str) -> bool:
        """True when the user holds ``role``."""
        return role in self.roles

    def actor(self) -> Actor:
        """This principal as the actor of an audit event."""
        return Actor(
            type="user",
            id=self.user_id,
            agency_id=self.agency_id,
            role=",".join(sorted(self.roles)),
            device_id=self.device_id,
            ip=self.ip,
        )
