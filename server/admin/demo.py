"""``schouw demo [--if-empty]``: fictional but realistic Groningen demo data.

Everything goes through the same services and repository functions as the REST API, so
the demo cases carry change-feed rows (the PWA's pull sees them) and audit events. All
people, businesses, streets and KvK numbers are invented (KvK numbers start with 9000).
"""

from __future__ import annotations

import argparse
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from server.admin.common import CliError, connect, write
from server.admin.demo_data import AGENCIES, CASES, SIGNALS, USERS, DemoCase
from server.audit.log import SYSTEM, append
from server.auth import repository as auth_repository
from server.auth.passwords import hash_password
from server.auth.principal import Principal
from server.cases import planning, repository, service
from server.cases.schemas import (
    AgencyChecklist,
    CaseCreate,
    InspectionPlan,
    InspectorsChange,
    InterventionCreate,
    SignalCreate,
    StatusChange,
)
from server.checklists.library import load_dir, publish
from server.lib.ids import uuid7
from server.partners.clients import SCOPES
from server.settings import Settings

# Deliberately public: printed with the demo logins; only ever set on demo users.
DEMO_PASSWORD = "schouw-demo-2026"  # noqa: S105
DEMO_DEVICE = "demo-seed"
# The demo partner API client (one agency, every scope); its secret is as public as the above.
DEMO_CLIENT_NAME = "Demo-koppeling Gemeente Groningen"
DEMO_CLIENT_AGENCY = "gemeente-groningen"
DEMO_CLIENT_SECRET = "schouw-demo-partner-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoSummary:
    """What the demo seeded."""

    users: int
    cases: int
    inspections_today: int


def local_today() -> date:
    """Today's date in the Netherlands (inspections are planned in local days)."""
    try:
        return datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    except ZoneInfoNotFoundError:
        return datetime.now().astimezone().date()


def _principals(conn: sqlite3.Connection) -> dict[str, Principal]:
    out: dict[str, Principal] = {}
    for r in auth_repository.list_users(conn):
        out[r["username"]] = Principal(
            user_id=r["id"],
            username=r["username"],
            name=r["name"],
            agency_id=r["agency_id"],
            roles=frozenset(msgspec.json.decode(r["roles"])),
            device_id=DEMO_DEVICE,
        )
    return out


def _insert_people(conn: sqlite3.Connection, password_hash: str) -> None:
    auth_repository.ensure_agencies(conn, AGENCIES)
    for username, name, agency, roles in USERS:
        user_id = uuid7()
        auth_repository.insert_user(
            conn,
            user_id,
            username=username,
            name=name,
            agency_id=agency,
            roles=list(roles),
            password_hash=password_hash,
        )
        append(
            conn,
            SYSTEM,
            "user.add",
            object_type="user",
            object_id=user_id,
            detail={"username": username, "agency": agency, "roles": list(roles), "demo": True},
        )


def _seed_case(
    conn: sqlite3.Connection, people: dict[str, Principal], case: DemoCase, today: date
) -> int:
    lead = people[case.teamlead]
    signal_id = None
    if case.signal is not None:
        signal_id = service.create_signal(conn, lead, msgspec.convert(case.signal, SignalCreate)).id
    case_id = service.create_case(
        conn,
        lead,
        msgspec.convert(
            {**case.body, "signal_id": signal_id, "agencies": list(case.agencies)}, CaseCreate
        ),
    )
    today_count = 0
    for visit in case.inspections:
        day = today + timedelta(days=visit.day_offset)
        # Each agency's team lead assigns that agency's own inspectors.
        staff = [people[u] for u in visit.inspectors]
        plan = InspectionPlan(
            date=day.isoformat(),
            time=visit.time,
            checklists=[AgencyChecklist(agency=a, template=t) for a, t in visit.checklists],
            inspectors=[p.user_id for p in staff if p.agency_id == lead.agency_id],
        )
        inspection_id = planning.plan_inspection(conn, lead, case_id, plan)
        assigned = list(plan.inspectors)
        for agency in dict.fromkeys(p.agency_id for p in staff if p.agency_id != lead.agency_id):
            agency_lead = next(
                p for p in people.values() if p.agency_id == agency and p.has_role("teamlead")
            )
            assigned += [p.user_id for p in staff if p.agency_id == agency]
            planning.reassign_inspectors(
                conn, agency_lead, case_id, inspection_id, InspectorsChange(inspectors=assigned)
            )
        if visit.day_offset < 0:
            repository.set_inspection_status(conn, case_id, inspection_id, "done")
        today_count += visit.day_offset == 0
    for status in case.then_statuses:
        service.change_status(
            conn, lead, case_id, msgspec.convert({"status": status}, StatusChange)
        )
    for by, body in case.interventions:
        due = body.get("due_in_days")
        data = {k: v for k, v in body.items() if k != "due_in_days"}
        if due is not None:
            data["due_date"] = (today + timedelta(days=int(due))).isoformat()
        planning.add_intervention(
            conn, people[by], case_id, msgspec.convert(data, InterventionCreate)
        )
    return today_count


def password_hash_of_client_secret() -> str:
    """The argon2id hash of the demo client's secret."""
    return hash_password(DEMO_CLIENT_SECRET)


def seed(conn: sqlite3.Connection, today: date, password_hash: str) -> DemoSummary:
    """Insert agencies, users, signals and cases (one transaction, the caller's)."""
    publish(conn, load_dir())
    _insert_people(conn, password_hash)
    people = _principals(conn)
    today_count = sum(_seed_case(conn, people, case, today) for case in CASES)
    for username, body in SIGNALS:
        service.create_signal(conn, people[username], msgspec.convert(body, SignalCreate))
    auth_repository.insert_client(
        conn,
        uuid7(),
        name=DEMO_CLIENT_NAME,
        agency_id=DEMO_CLIENT_AGENCY,
        secret_hash=password_hash_of_client_secret(),
        scopes=list(SCOPES),
    )
    append(conn, SYSTEM, "demo.seed", detail={"cases": len(CASES), "users": len(USERS)})
    return DemoSummary(users=len(USERS), cases=len(CASES), inspections_today=today_count)


def print_logins(conn: sqlite3.Connection) -> None:
    """The demo logins as a table (only demo users that exist in this database)."""
    demo = {u[0] for u in USERS}
    rows = [r for r in auth_repository.list_users(conn) if r["username"] in demo]
    if not rows:
        return
    print(f"{'gebruikersnaam':<12} {'naam':<22} {'organisatie':<26} rollen")
    print(f"{'-' * 12} {'-' * 22} {'-' * 26} {'-' * 20}")
    for r in rows:
        roles = ", ".join(msgspec.json.decode(r["roles"]))
        print(f"{r['username']:<12} {r['name']:<22} {r['agency_id']:<26} {roles}")
    print(f"\nWachtwoord voor alle demo-gebruikers: {DEMO_PASSWORD}")
    leads = [
        r["username"] for r in rows if {"teamlead", "admin"} & set(msgspec.json.decode(r["roles"]))
    ]
    if leads:
        print(f"Werkplek /regie/ (teamleiders en beheerders): {', '.join(leads)}")
    for client in auth_repository.list_clients(conn):
        if client["name"] == DEMO_CLIENT_NAME and client["revoked_at"] is None:
            print(
                f"\nPartner-API ({client['agency_id']}, alle scopes): /api/partner/v1\n"
                f"  client id: {client['id']}\n  geheim:    {DEMO_CLIENT_SECRET}"
            )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo data into an empty database; refuse (or skip) when users exist."""
    conn = connect(settings)
    try:
        users = auth_repository.count_users(conn)
        if users:
            if args.if_empty:
                print(f"Demo data not loaded: {settings.db_path} already holds {users} users.")
                print_logins(conn)
                return 0
            raise CliError(
                f"{settings.db_path} already holds {users} users; demo data only goes into an "
                "empty database. Use --if-empty to skip quietly, or point SCHOUW_DATA_DIR at a "
                "new directory."
            )
        password_hash = hash_password(DEMO_PASSWORD)
        summary: DemoSummary = write(conn, lambda c: seed(c, local_today(), password_hash))
        print(
            f"Demo data loaded into {settings.db_path}: {summary.users} users, "
            f"{summary.cases} cases, {summary.inspections_today} inspections today.\n"
        )
        print_logins(conn)
        return 0
    finally:
        conn.close()


def register(sub: Any) -> None:
    """Add ``schouw demo`` to the ``schouw`` parser."""
    p = sub.add_parser("demo", help="load fictional Groningen demo data into an empty database")
    p.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (but list the demo logins) when the database already has users",
    )
    p.set_defaults(func=cmd_demo)
