"""Authorization matrix of the partner API: every route x every kind of caller -> status.

Callers: no token; a token of the owning agency's client without the route's scope; the
owning agency's client (on the case); a client of another participating agency; a client of
an agency not on the case. Every row must hold; every partner route must have rows.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from server.db import Database
from tests import authz_rows
from tests.evidence_support import insert_photo, noisy_jpeg, seed_case, sha256
from tests.partner_support import ROOT, add_client, bearer
from tests.support import add_user, login

Client = AsyncTestClient[Litestar]
OWNER, OTHER, OUTSIDER = "gemeente-groningen", "politie", "nvwa"
REASON = '{"category": "steekproef", "explanation": "Steekproef voor de test."}'
SIGNAL = {
    "description": "Matrix",
    "subject": {"address": {"postcode": "9711AB", "huisnummer": 1}},
}

# (method, route template, scope) -> {caller: status}
MATRIX: dict[tuple[str, str, str], dict[str, int]] = {
    ("GET", "/cases", "cases:read"): {
        "anonymous": 401,
        "no-scope": 403,
        "owner": 200,
        "other": 200,
        "outsider": 200,
    },
    ("GET", "/cases/{caseId}", "cases:read"): {
        "anonymous": 401,
        "no-scope": 403,
        "owner": 200,
        "other": 200,
        "outsider": 404,
    },
    ("GET", "/cases/{caseId}/photos/{photoId}/{variant}", "photos:read"): {
        # the photo hangs on a shareable item that is not released: owner only
        "anonymous": 401,
        "no-scope": 403,
        "owner": 200,
        "other": 404,
        "outsider": 404,
    },
    ("GET", "/changes", "changes:read"): {
        "anonymous": 401,
        "no-scope": 403,
        "owner": 200,
        "other": 200,
        "outsider": 200,
    },
    ("POST", "/signals", "signals:write"): {
        "anonymous": 401,
        "no-scope": 403,
        "owner": 201,
        "other": 201,
        "outsider": 201,
    },
}
MATRIX |= {
    # Public: the document for everyone; the token call wants HTTP Basic client credentials,
    # so a bearer token (or nothing) is refused.
    ("GET", "/openapi.json", ""): dict.fromkeys(
        ("anonymous", "no-scope", "owner", "other", "outsider"), 200
    ),
    ("POST", "/oauth/token", ""): dict.fromkeys(
        ("anonymous", "no-scope", "owner", "other", "outsider"), 401
    ),
}
authz_rows.cover(
    __name__,
    [(m, ROOT + re.sub(r"\{(\w+)\}", r"{\1:str}", t)) for m, t, _ in MATRIX],
)


async def test_every_partner_route_and_caller(app: Litestar, client: Client, db: Database) -> None:
    data = noisy_jpeg(400, 300)
    await add_user(db, "ines", OWNER, ["inspector"])

    def seed(conn: sqlite3.Connection) -> tuple[str, str]:
        world = seed_case(conn, "ines", OWNER, (OTHER,))
        conn.execute("UPDATE cases SET reason = ?", (REASON,))
        return world.case_id, insert_photo(conn, world, data)

    case_id, photo_id = await db.write(seed)
    ines = (await login(client, "ines"))["headers"]
    upload = await client.post(
        "/api/v1/photos",
        headers=ines,
        data={"photo_id": photo_id, "sha256": sha256(data)},
        files={"file": ("foto.jpg", data, "image/jpeg")},
    )
    assert upload.status_code == 201, upload.text
    all_scopes = ["cases:read", "changes:read", "photos:read", "signals:write"]
    callers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, agency in (("owner", OWNER), ("other", OTHER), ("outsider", OUTSIDER)):
        callers[name] = await bearer(client, await add_client(db, agency, all_scopes))
    callers["no-scope"] = await bearer(client, await add_client(db, OWNER, ["notifications"]))
    values = {"caseId": case_id, "photoId": photo_id, "variant": "thumb"}
    failures = []
    n = 0
    for (method, template, _scope), expected in MATRIX.items():
        path = ROOT + template.format(**values)
        for caller, status in expected.items():
            n += 1
            kwargs: dict[str, Any] = {"headers": callers[caller]}
            if template == "/signals":
                kwargs["json"] = SIGNAL | {"id": f"matrix-{n}"}
            elif template == "/oauth/token":
                kwargs["data"] = {"grant_type": "client_credentials"}
            resp = await client.request(method, path, **kwargs)
            if resp.status_code != status:
                failures.append((method, template, caller, status, resp.status_code))
            if resp.status_code >= 400:
                assert resp.headers["content-type"].startswith("application/problem+json")
    assert not failures, failures
    # Every partner route has rows (or is public).
    routes = {
        (m, r.path_format.removeprefix(ROOT))
        for r in app.routes
        if r.path.startswith(ROOT + "/")
        for h in getattr(r, "route_handlers", [])
        if isinstance(h, HTTPRouteHandler)
        for m in h.http_methods
        if m not in {"OPTIONS", "HEAD"}
    }
    assert routes == {(m, t) for m, t, _ in MATRIX}
