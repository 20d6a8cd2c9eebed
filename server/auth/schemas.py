"""Wire structs of the authentication endpoints."""

from __future__ import annotations

from typing import Annotated

import msgspec

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
DeviceId = Annotated[str, msgspec.Meta(min_length=36, max_length=36, description="UUIDv7")]
Label = Annotated[str, msgspec.Meta(max_length=200)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=False):
    """Log in on a device; the device is registered to the user at first login."""

    username: Username
    password: Password
    device_id: DeviceId
    device_label: Label | None = None


class RefreshRequest(msgspec.Struct):
    """Exchange a refresh token for a new pair; the old one stops working."""

    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    device_id: DeviceId


class UserInfo(msgspec.Struct):
    """The logged-in user."""

    id: str
    name: str
    username: str
    agency: str
    roles: list[str]


class LoginResponse(msgspec.Struct):
    """Tokens and the user they belong to."""

    access_token: str
    refresh_token: str
    expires_in: int
    user: UserInfo
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


class LogoutResponse(msgspec.Struct):
    """Confirmation of a logout."""

    ended_tokens: int
