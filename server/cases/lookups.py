"""Read-only lookups the case services validate against (users, agencies, duplicates)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from server.cases.subject import Subject

_json = msgspec.json.Encoder()


def find_possible_duplicates(
    conn: sqlite3.Connection, subject: Subject, exclude: str | None = None
) -> list[str]:
    """Open cases about the same business (KvK), the same address or the same BAG object,
    for the team lead."""
    ids: set[str] = set()
    if subject.business is not None and subject.business.kvk:
        for (case_id,) in conn.execute(
            "SELECT id FROM cases WHERE kvk = ? AND status != 'closed'", (subject.business.kvk,)
        ):
            ids.add(case_id)
    address = subject.address
    if address is not None:
        for (case_id,) in conn.execute(
            "SELECT id FROM cases WHERE postcode = ? AND huisnummer = ?"
            " AND COALESCE(toevoeging, '') = ? AND status != 'closed'",
            (address.postcode, address.huisnummer, address.toevoeging or ""),
        ):
            ids.add(case_id)
        if address.bag_id:
            for (case_id,) in conn.execute(
                "SELECT id FROM cases WHERE bag_id = ? AND status != 'closed'", (address.bag_id,)
            ):
                ids.add(case_id)
    ids.discard(exclude or "")
    return sorted(ids)


def load_users(conn: sqlite3.Connection, user_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    """Users by id (id, name, agency_id, roles, disabled_at); unknown ids are absent."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT id, name, agency_id, roles, disabled_at FROM users"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (_json.encode(wanted).decode(),),
    ).fetchall()
    return {r["id"]: r for r in rows}


def known_agencies(conn: sqlite3.Connection, agency_ids: Iterable[str]) -> set[str]:
    """The subset of ``agency_ids`` that exist."""
    wanted = list(dict.fromkeys(agency_ids))
    rows = conn.execute(
        "SELECT id FROM agencies WHERE id IN (SELECT value FROM json_each(?))",
        (_json.encode(wanted).decode(),),
    )
    return {r[0] for r in rows}


def device_labels(conn: sqlite3.Connection, device_ids: Iterable[str]) -> dict[str, str]:
    """Device id → label (the id itself when the label is empty); unknown ids are absent."""
    wanted = [d for d in dict.fromkeys(device_ids) if d]
    if not wanted:
        return {}
    rows = conn.execute(
        "SELECT id, label FROM devices WHERE id IN (SELECT value FROM json_each(?))",
        (_json.encode(wanted).decode(),),
    )
    return {r[0]: r[1] or r[0] for r in rows}


def active_users_with_role(
    conn: sqlite3.Connection, role: str, agency_id: str | None = None
) -> list[sqlite3.Row]:
    """Active users holding ``role`` (optionally of one agency), by name."""
    return conn.execute(
        "SELECT u.id, u.name, u.agency_id FROM users u, json_each(u.roles) r"
        " WHERE r.value = ? AND u.disabled_at IS NULL AND (? IS NULL OR u.agency_id = ?)"
        " ORDER BY u.name",
        (role, agency_id, agency_id),
    ).fetchall()


def all_agencies(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every agency as ``(id, name)``, by name (reference data, visible to every user)."""
    return [(r[0], r[1]) for r in conn.execute("SELECT id, name FROM agencies ORDER BY name")]
