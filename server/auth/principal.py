"""Who is calling: a user on a device (or a partner client)."""

from __future__ import annotations

from dataclasses import dataclass

from server.audit.log import Actor

ROLES = ("inspector", "teamlead", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user acting through one registered device."""

    user_id: str
    username: str
    name: str
    agency_id: str
    roles: frozenset[str]
    device_id: str
    ip: str | None = None

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
