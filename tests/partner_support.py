"""Helpers for partner API tests: clients with known secrets, tokens, audit lookups."""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

import msgspec

from server.auth import repository
from server.auth.passwords import hash_password
from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.support import seed_agencies

ROOT = "/api/partner/v1"
ALL_SCOPES = ["cases:read", "changes:read", "notifications", "photos:read", "signals:write"]
_HASHES: dict[str, str] = {}


def secret_hash(secret: str) -> str:
    """An argon2id hash of ``secret`` (cached: hashing is deliberately slow)."""
    if secret not in _HASHES:
        _HASHES[secret] = hash_password(secret)
    return _HASHES[secret]


def insert_client(
    conn: sqlite3.Connection,
    agency: str,
    scopes: list[str] | None = None,
    secret: str = "partner-secret-0123456789",
    name: str = "Koppeling",
) -> str:
    """Insert an API client as ``schouw client add`` does; return its id."""
    seed_agencies(conn)
    client_id = uuid7()
    repository.insert_client(
        conn,
        client_id,
        name=name,
        agency_id=agency,
        secret_hash=secret_hash(secret),
        scopes=sorted(scopes if scopes is not None else ALL_SCOPES),
    )
    return client_id


async def add_client(
    db: Database,
    agency: str,
    scopes: list[str] | None = None,
    secret: str = "partner-secret-0123456789",
) -> str:
    """Insert a client through the app's writer; return its id."""
    return await db.write(lambda c: insert_client(c, agency, scopes, secret))


def basic(client_id: str, secret: str) -> dict[str, str]:
    """An HTTP Basic ``Authorization`` header."""
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


async def token_call(
    http: Any,
    client_id: str,
    secret: str = "partner-secret-0123456789",
    scope: str | None = None,
    grant_type: str = "client_credentials",
) -> Any:
    """POST the token request; return the response."""
    form = {"grant_type": grant_type}
    if scope is not None:
        form["scope"] = scope
    return await http.post(f"{ROOT}/oauth/token", data=form, headers=basic(client_id, secret))


async def bearer(
    http: Any, client_id: str, secret: str = "partner-secret-0123456789", scope: str | None = None
) -> dict[str, str]:
    """Get a token and return the ``Authorization: Bearer`` header."""
    resp = await token_call(http, client_id, secret, scope)
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def audit_rows(db: Database, action: str) -> list[dict[str, Any]]:
    """Audit events of ``action``, oldest first, with ``detail`` decoded."""
    rows = await db.read(
        lambda c: c.execute(
            "SELECT * FROM audit_events WHERE action = ? ORDER BY id", (action,)
        ).fetchall()
    )
    out = []
    for r in rows:
        d = dict(r)
        d["detail"] = msgspec.json.decode(d["detail"])
        out.append(d)
    return out


def put_answer(conn: sqlite3.Connection, world: Any, agency: str, key: str, value: Any) -> None:
    """Write an answer into ``agency``'s checklist of the world's case (with its change row)."""
    from server.db.feed import record_change

    checklist_id = world.checklists[agency]
    rev = record_change(
        conn, "answer", f"{checklist_id}/{key}", case_id=world.case_id, checklist_id=checklist_id
    )
    author = next(iter(world.users.values()))
    conn.execute(
        "INSERT INTO answers (checklist_id, item_key, value, rev, op_id, author_id, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (checklist_id, item_key) DO UPDATE SET"
        " value = excluded.value, rev = excluded.rev",
        (checklist_id, key, msgspec.json.encode(value).decode(), rev, uuid7(), author, now_iso()),
    )


def release(conn: sqlite3.Connection, world: Any, agency: str, keys: list[str]) -> None:
    """Release ``keys`` of ``agency``'s checklist into the shared summary."""
    from server.db.feed import record_change

    checklist_id = world.checklists[agency]
    release_id = uuid7()
    rev = record_change(
        conn, "release", release_id, case_id=world.case_id, checklist_id=checklist_id
    )
    author = next(iter(world.users.values()))
    conn.execute(
        "INSERT INTO releases (id, checklist_id, item_keys, basis, author_id, op_id, created_at,"
        " rev) VALUES (?, ?, ?, 'Convenant', ?, ?, ?, ?)",
        (
            release_id,
            checklist_id,
            msgspec.json.encode(keys).decode(),
            author,
            uuid7(),
            now_iso(),
            rev,
        ),
    )
    conn.executemany(
        "INSERT INTO released_items (checklist_id, item_key, release_id) VALUES (?, ?, ?)",
        [(checklist_id, k, release_id) for k in keys],
    )


def submit(conn: sqlite3.Connection, world: Any, agency: str) -> None:
    """Mark ``agency``'s checklist submitted (with its change row)."""
    from server.db.feed import record_change

    checklist_id = world.checklists[agency]
    rev = record_change(
        conn, "checklist", checklist_id, case_id=world.case_id, checklist_id=checklist_id
    )
    conn.execute(
        "UPDATE checklists SET status = 'submitted', submitted_at = ?, rev = ? WHERE id = ?",
        (now_iso(), rev, checklist_id),
    )
