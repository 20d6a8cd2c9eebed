"""Contract test: schemathesis drives every partner operation, as a client of each scope,
against the real server over HTTP. No 5xx, every response conforms to the document, and
every operation reaches a 2xx at least once (the failure names those that did not)."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hyp_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.cases import repository as repo
from server.settings import Settings
from tests.evidence_support import insert_photo, live_server, noisy_jpeg, seed_case, sha256
from tests.partner_support import ALL_SCOPES, ROOT, basic, insert_client, put_answer, release
from tests.support import PASSWORD, insert_user, seed_agencies
from tests.sync_support import insert_case, publish_test_template

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
AGENCY = "gemeente-groningen"
SECRET = "partner-secret-0123456789"
REASON = '{"category": "steekproef", "explanation": "Steekproef voor de test."}'


def _seed(conn: sqlite3.Connection, photo: bytes) -> dict[str, Any]:
    seed_agencies(conn)
    publish_test_template(conn)
    tara = insert_user(conn, "tara", AGENCY, ["teamlead"])
    world = insert_case(conn, agencies=[AGENCY, "politie"], inspectors=[], creator=tara)
    world.users = {"tara": tara}
    put_answer(conn, world, AGENCY, "open", "ja")
    put_answer(conn, world, "politie", "aantal", 4)
    release(conn, world, "politie", ["aantal"])
    repo.upsert_intervention(
        conn,
        intervention_id="iv-1",
        case_id=world.case_id,
        agency_id="politie",
        type="proces-verbaal",
        status="open",
        due_date="2026-06-01",
        description="Geheim voor anderen",
        created_by=tara,
    )
    insert_user(conn, "ines", AGENCY, ["inspector"])
    photo_world = seed_case(conn, "ines", AGENCY, ("politie",))
    conn.execute("UPDATE cases SET reason = ? WHERE id = ?", (REASON, photo_world.case_id))
    photo_id = insert_photo(conn, photo_world, photo)
    clients = {scope: insert_client(conn, AGENCY, [scope]) for scope in ALL_SCOPES}
    return {
        "case": world.case_id,
        "photo_case": photo_world.case_id,
        "photo": photo_id,
        "clients": clients,
    }


def _known_good(op_label: str, ids: dict[str, Any], signal_n: int) -> dict[str, Any]:
    """Arguments for ``operation.Case`` that must succeed for a client with the scope."""
    good: dict[str, dict[str, Any]] = {
        "POST /oauth/token": {
            "body": {"grant_type": "client_credentials"},
            "media_type": "application/x-www-form-urlencoded",
        },
        "GET /cases": {"query": {"limit": 5}},
        "GET /cases/{caseId}": {"path_parameters": {"caseId": ids["case"]}},
        "GET /cases/{caseId}/photos/{photoId}/{variant}": {
            "path_parameters": {
                "caseId": ids["photo_case"],
                "photoId": ids["photo"],
                "variant": "thumb",
            }
        },
        "GET /changes": {"query": {"limit": 50}},
        "POST /signals": {
            "body": {
                "id": f"contract-{signal_n}",
                "description": "Signaal uit de contracttest.",
                "subject": {"address": {"postcode": "9711AB", "huisnummer": 12}},
            },
            "media_type": "application/json",
        },
    }
    return good[op_label]


def _drive(op: Any, base_url: str, auth: dict[str, str], statuses: set[int]) -> None:
    """Generated cases of one operation, sent with ``auth``; every response validated."""

    @hyp_settings(
        max_examples=6,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy())
    def drive(case: Any) -> None:
        response = case.call(base_url=base_url, headers=auth)
        case.validate_response(response, checks=CHECKS, headers=auth)
        statuses.add(response.status_code)

    drive()


def test_every_operation_as_a_client_of_each_scope(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", partner_rate_limit=1_000_000)
    photo = noisy_jpeg(400, 300)
    with live_server(settings) as srv:
        ids = srv.write(lambda c: _seed(c, photo))
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            login = http.post(
                "/api/v1/auth/login",
                json={"username": "ines", "password": PASSWORD, "device_id": ids["photo"]},
            )
            assert login.status_code == 200, login.text
            upload = http.post(
                "/api/v1/photos",
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
                data={"photo_id": ids["photo"], "sha256": sha256(photo)},
                files={"file": ("foto.jpg", photo, "image/jpeg")},
            )
            assert upload.status_code == 201, upload.text
            srv.idle()
            tokens = {}
            for scope, client_id in ids["clients"].items():
                resp = http.post(
                    f"{ROOT}/oauth/token",
                    data={"grant_type": "client_credentials"},
                    headers=basic(client_id, SECRET),
                )
                assert resp.status_code == 200, resp.text
                tokens[scope] = resp.json()["access_token"]
        schema = schemathesis.openapi.from_url(srv.url + ROOT + "/openapi.json")
        base_url = srv.url + ROOT
        reached: dict[str, set[int]] = defaultdict(set)
        operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
        assert len(operations) == 6
        signal_n = 0
        for scope in ALL_SCOPES:
            if_token = {"Authorization": f"Bearer {tokens[scope]}"}
            for op in operations:
                label = f"{op.method.upper()} {op.path}"
                auth = (
                    basic(ids["clients"][scope], SECRET) if op.path == "/oauth/token" else if_token
                )

                _drive(op, base_url, auth, reached[label])
                signal_n += 1
                case = op.Case(**_known_good(label, ids, signal_n))
                response = case.call(base_url=base_url, headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)
                reached[label].add(response.status_code)
        missing = sorted(
            label
            for label in (f"{op.method.upper()} {op.path}" for op in operations)
            if not any(200 <= code < 300 for code in reached[label])
        )
        assert not missing, f"never reached a 2xx: {missing} ({dict(reached)})"
