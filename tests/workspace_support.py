"""Helpers for workspace tests: log in through the form, CSRF token, same-origin headers."""

from __future__ import annotations

import re
from typing import Any

from tests.support import PASSWORD

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
_CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


async def ws_login(client: Any, username: str, password: str = PASSWORD) -> Any:
    """Post the login form (same-origin); return the response (303 on success)."""
    return await client.post(
        "/regie/login",
        data={"username": username, "password": password, "next": "/regie/"},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )


def session_cookie(client: Any) -> str:
    """The workspace session cookie the client holds ('' when none)."""
    for cookie in client.cookies.jar:
        if cookie.name in ("schouw_regie", "__Host-schouw_regie"):
            return str(cookie.value)
    return ""


async def csrf_of(client: Any) -> str:
    """The CSRF token of the client's session, read from the dashboard's logout form."""
    resp = await client.get("/regie/", follow_redirects=False)
    assert resp.status_code == 200, resp.text
    match = _CSRF.search(resp.text)
    assert match, "no CSRF field on the page"
    return match.group(1)


def use_cookie(client: Any, token: str) -> None:
    """Make the client present ``token`` as its (only) workspace session cookie."""
    client.cookies.clear()
    client.cookies.set("schouw_regie", token, domain="testserver.local", path="/regie")
