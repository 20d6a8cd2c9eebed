"""Fuzzing: schemathesis over every operation of ``/api/v1/openapi.json`` against the real server.

The real app runs under uvicorn on a loopback port. Three people are logged in: an inspector,
a team lead and an admin. First a hand-written good request per operation builds a world with
real ids (a case, an inspection, a checklist with answers, a conflict, photos, an upload, a
signal, an intervention, a duplicate link); each such request goes through the same checks.
Then schemathesis generates requests for every operation, for every role, with a fixed seed:
schema-valid ones and schema-violating ones, half of them aimed at the world's real ids. Every
response must be "not a server error" and must conform to the documented schema (status
documented, body valid against its schema). Login, refresh and logout are left out: they end
or rotate the session the rest runs with (tests/integration/test_auth.py covers them).

At the end every operation must have answered 2xx at least once.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.lib.ids import uuid7
from server.settings import Settings
from tests.evidence_support import LiveServer, live_server, noisy_jpeg
from tests.support import PASSWORD, insert_user, seed_agencies
from tests.sync_support import publish_test_template

pytestmark = pytest.mark.slow
# tus PATCH bodies are plain bytes, sent like application/octet-stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

SEED = 20261207
MAX_EXAMPLES = 6
"""Generated requests per operation, per role and per mode (schema-valid, schema-violating)."""
CHECKS = [not_a_server_error, response_schema_conformance]
LEFT_OUT = {
    ("POST", "/api/v1/auth/login"): "creates sessions; fuzzed logins would hit the throttle",
    ("POST", "/api/v1/auth/refresh"): "rotates the refresh token the session depends on",
    ("POST", "/api/v1/auth/logout"): "ends the session the rest of the run uses",
}
# Operations that may never answer 2xx here, and why. Empty: every operation must.
NO_2XX: dict[tuple[str, str], str] = {}
ROLES = ("inspector", "teamlead", "admin")
REASON = {"category": "signaal", "explanation": "Meerdere meldingen van overlast."}
SUBJECT = {
    "address": {"postcode": "9712 AB", "huisnummer": 14, "city": "Groningen"},
    "business": {"name": "Fuzz BV", "kvk": "90000012"},
}


@dataclass
class Session:
    """One logged-in device."""

    username: str
    user_id: str
    device_id: str
    headers: dict[str, str]
    seq: int = 0

    def ops(self, *ops: dict[str, Any]) -> dict[str, Any]:
        """A push envelope with the next seqs of this device."""
        out = []
        for op in ops:
            self.seq += 1
            out.append(
                {"op_id": uuid7(), "seq": self.seq, "client_time": "2026-05-04T09:30:00Z", **op}
            )
        return {"device_id": self.device_id, "schema_version": 1, "ops": out}


@dataclass
class Run:
    """The schema, the sessions and what each operation answered."""

    schema: Any
    url: str
    sessions: dict[str, Session]
    statuses: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    """Statuses of generated requests, by operation."""
    written: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    """Statuses of the hand-written requests, by operation."""
    ids: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        role: str,
        *,
        expect: int | None = None,
        path_parameters: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        media_type: str | None = None,
    ) -> Any:
        """A hand-written request through schemathesis: sent, checked, recorded."""
        operation = self.schema[path][method]
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs["body"] = body
            kwargs["media_type"] = media_type or "application/json"
        case = operation.Case(path_parameters=path_parameters, query=query, **kwargs)
        sent = {**self.sessions[role].headers, **(headers or {})}
        response = case.call(base_url=self.url, headers=sent)
        case.validate_response(response, checks=CHECKS, headers=sent)
        self.written[(method, path)].append(response.status_code)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.text)
        return response


def _login(url: str, username: str, user_id: str) -> Session:
    device = uuid7()
    resp = requests.post(
        f"{url}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD, "device_id": device},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    return Session(username, user_id, device, {"Authorization": f"Bearer {token}"})


def _seed_users(server: LiveServer) -> dict[str, str]:
    def fn(conn: Any) -> dict[str, str]:
        seed_agencies(conn)
        publish_test_template(conn)
        return {
            "inspector": insert_user(conn, "anna", "gemeente-groningen", ["inspector"]),
            "teamlead": insert_user(conn, "tara", "gemeente-groningen", ["teamlead"]),
            "successor": insert_user(conn, "tom", "gemeente-groningen", ["teamlead"]),
            "admin": insert_user(conn, "beheer", "gemeente-groningen", ["admin"]),
        }

    return server.write(fn)


def _build_world(run: Run, server: LiveServer, successor: str) -> None:
    """One good request per operation, in an order that yields the ids the next ones need."""
    ids = run.ids
    anna, tablet = run.sessions["inspector"], run.sessions["tablet"]
    run.call("GET", "/health", "admin", expect=200)
    run.call("GET", "/api/v1/templates", "inspector", expect=200)
    run.call(
        "GET",
        "/api/v1/templates/{slug}/{version}",
        "inspector",
        path_parameters={"slug": "sync-test", "version": 1},
        expect=200,
    )
    signal = run.call(
        "POST",
        "/api/v1/signals",
        "teamlead",
        body={"source": "resident", "description": "Geluidsoverlast", "subject": SUBJECT},
        expect=201,
    ).json()
    run.call("GET", "/api/v1/signals", "teamlead", expect=200)
    run.call(
        "POST",
        "/api/v1/signals/{signal_id}/dismiss",
        "teamlead",
        path_parameters={"signal_id": signal["id"]},
        body={"reason": "Dubbele melding"},
        expect=200,
    )
    case = run.call(
        "POST", "/api/v1/cases", "teamlead", body={"reason": REASON, "subject": SUBJECT}, expect=201
    ).json()
    other = run.call(
        "POST", "/api/v1/cases", "teamlead", body={"reason": REASON, "subject": SUBJECT}, expect=201
    ).json()
    closing = run.call(
        "POST", "/api/v1/cases", "teamlead", body={"reason": REASON, "subject": SUBJECT}, expect=201
    ).json()
    ids["case_id"], ids["other_case_id"] = case["id"], other["id"]
    plan = {
        "date": "2026-05-04",
        "time": "09:30",
        "checklists": [{"agency": "gemeente-groningen", "template": "sync-test@1"}],
        "inspectors": [anna.user_id],
    }
    view = run.call(
        "POST",
        "/api/v1/cases/{case_id}/inspections",
        "teamlead",
        path_parameters={"case_id": ids["case_id"]},
        body=plan,
        expect=201,
    ).json()
    inspection = view["inspections"][0]
    ids["inspection_id"] = inspection["id"]
    ids["checklist_id"] = inspection["checklists"][0]["id"]
    run.call(
        "PUT",
        "/api/v1/cases/{case_id}/inspections/{inspection_id}/inspectors",
        "teamlead",
        path_parameters={"case_id": ids["case_id"], "inspection_id": ids["inspection_id"]},
        body={"inspectors": [anna.user_id]},
        expect=200,
    )
    run.call("GET", "/api/v1/cases", "teamlead", expect=200)
    run.call(
        "GET",
        "/api/v1/cases/{case_id}",
        "inspector",
        path_parameters={"case_id": ids["case_id"]},
        expect=200,
    )
    cl = ids["checklist_id"]
    jpeg = noisy_jpeg(64, 48)
    digest = hashlib.sha256(jpeg).hexdigest()
    tus_jpeg = noisy_jpeg(80, 60)
    tus_digest = hashlib.sha256(tus_jpeg).hexdigest()
    ids["photo_id"], ids["tus_photo_id"], ids["gone_photo_id"] = uuid7(), uuid7(), uuid7()
    attach = {"op": "attach_photo", "checklist_id": cl, "mime": "image/jpeg", "item_key": "foto"}
    first = anna.ops(
        {
            "op": "set_answer",
            "checklist_id": cl,
            "item_key": "aantal",
            "value": 4,
            "base_rev": None,
        },
        {
            "op": "set_answer",
            "checklist_id": cl,
            "item_key": "open",
            "value": "yes",
            "base_rev": None,
        },
        {"op": "add_note", "note_id": uuid7(), "checklist_id": cl, "text": "Achterdeur op slot"},
        {**attach, "photo_id": ids["photo_id"], "sha256": digest, "size": len(jpeg)},
        {**attach, "photo_id": ids["tus_photo_id"], "sha256": tus_digest, "size": len(tus_jpeg)},
        {**attach, "photo_id": ids["gone_photo_id"], "sha256": "0" * 64, "size": 10},
    )
    pushed = run.call("POST", "/api/v1/sync/push", "inspector", body=first, expect=200).json()
    assert {r["status"] for r in pushed["results"]} == {"applied"}, pushed
    clash = tablet.ops(
        {"op": "set_answer", "checklist_id": cl, "item_key": "aantal", "value": 5, "base_rev": None}
    )
    clashed = run.call("POST", "/api/v1/sync/push", "tablet", body=clash, expect=200).json()
    assert clashed["results"][0]["status"] == "conflict", clashed
    ids["conflict_id"] = clashed["results"][0]["conflict_id"]
    run.call("GET", "/api/v1/sync/pull", "inspector", expect=200)
    run.call("GET", "/api/v1/sync/pull", "teamlead", expect=200)
    run.call("GET", "/api/v1/conflicts", "teamlead", expect=200)
    run.call(
        "POST",
        "/api/v1/conflicts/{conflict_id}/resolve",
        "teamlead",
        path_parameters={"conflict_id": ids["conflict_id"]},
        body={"candidate": 1, "reason": "De tweede telling klopt."},
        expect=200,
    )
    run.call(
        "POST",
        "/api/v1/photos",
        "inspector",
        body={"photo_id": ids["photo_id"], "sha256": digest, "file": jpeg},
        media_type="multipart/form-data",
        expect=201,
    )
    metadata = ",".join(
        f"{key} {base64.b64encode(value.encode()).decode()}"
        for key, value in (("photo_id", ids["tus_photo_id"]), ("sha256", tus_digest))
    )
    tus = {"Tus-Resumable": "1.0.0"}
    created = run.call(
        "POST",
        "/api/v1/uploads",
        "inspector",
        headers={**tus, "Upload-Length": str(len(tus_jpeg)), "Upload-Metadata": metadata},
        expect=201,
    )
    ids["upload_id"] = created.headers["location"][0].rsplit("/", 1)[-1]
    run.call(
        "HEAD",
        "/api/v1/uploads/{upload_id}",
        "inspector",
        path_parameters={"upload_id": ids["upload_id"]},
        headers=tus,
        expect=200,
    )
    half = len(tus_jpeg) // 2
    run.call(
        "PATCH",
        "/api/v1/uploads/{upload_id}",
        "inspector",
        path_parameters={"upload_id": ids["upload_id"]},
        headers={**tus, "Upload-Offset": "0"},
        body=tus_jpeg[:half],
        media_type="application/offset+octet-stream",
        expect=204,
    )
    run.call(
        "DELETE",
        "/api/v1/uploads/{upload_id}",
        "inspector",
        path_parameters={"upload_id": ids["upload_id"]},
        headers=tus,
        expect=204,
    )
    server.idle()
    run.call(
        "GET",
        "/api/v1/photos/{photo_id}/{variant}",
        "inspector",
        path_parameters={"photo_id": ids["photo_id"], "variant": "thumb"},
        expect=200,
    )
    run.call(
        "POST",
        "/api/v1/checklists/{checklist_id}/comments",
        "teamlead",
        path_parameters={"checklist_id": cl},
        body={"text": "Graag een foto van de achterdeur.", "item_key": "open"},
        expect=201,
    )
    run.call(
        "POST",
        "/api/v1/checklists/{checklist_id}/releases",
        "teamlead",
        path_parameters={"checklist_id": cl},
        body={"item_keys": ["open"], "basis": "Afspraak in het RIEC-overleg."},
        expect=201,
    )
    submit = anna.ops({"op": "submit_checklist", "checklist_id": cl})
    submitted = run.call("POST", "/api/v1/sync/push", "inspector", body=submit, expect=200).json()
    assert submitted["results"][0]["status"] == "applied", submitted
    run.call(
        "POST",
        "/api/v1/checklists/{checklist_id}/return",
        "teamlead",
        path_parameters={"checklist_id": cl},
        body={"text": "Vul de telling aan.", "item_keys": ["aantal"]},
        expect=200,
    )
    run.call(
        "GET",
        "/api/v1/cases/{case_id}/evidence-package",
        "teamlead",
        path_parameters={"case_id": ids["case_id"]},
        expect=200,
    )
    intervention = run.call(
        "POST",
        "/api/v1/cases/{case_id}/interventions",
        "teamlead",
        path_parameters={"case_id": ids["case_id"]},
        body={"agency": "gemeente-groningen", "type": "waarschuwing"},
        expect=201,
    ).json()
    ids["intervention_id"] = intervention["interventions"][-1]["id"]
    run.call(
        "PATCH",
        "/api/v1/cases/{case_id}/interventions/{intervention_id}",
        "teamlead",
        path_parameters={"case_id": ids["case_id"], "intervention_id": ids["intervention_id"]},
        body={"status": "opgelegd"},
        expect=200,
    )
    linked = run.call(
        "POST",
        "/api/v1/cases/{case_id}/duplicate-links",
        "teamlead",
        path_parameters={"case_id": ids["other_case_id"]},
        body={"duplicate_of": ids["case_id"], "reason": "Zelfde adres"},
        expect=201,
    ).json()
    ids["link_id"] = linked["links"][-1]["id"]
    run.call(
        "DELETE",
        "/api/v1/cases/{case_id}/duplicate-links/{link_id}",
        "teamlead",
        path_parameters={"case_id": ids["other_case_id"], "link_id": ids["link_id"]},
        expect=200,
    )
    run.call(
        "POST",
        "/api/v1/cases/{case_id}/status",
        "teamlead",
        path_parameters={"case_id": ids["other_case_id"]},
        body={"status": "planned"},
        expect=200,
    )
    run.call(
        "POST",
        "/api/v1/cases/{case_id}/close",
        "teamlead",
        path_parameters={"case_id": closing["id"]},
        body={"category": "dubbel-dossier", "text": "Dubbel met de andere zaak."},
        expect=200,
    )
    run.call(
        "POST",
        "/api/v1/cases/{case_id}/handover",
        "teamlead",
        path_parameters={"case_id": ids["other_case_id"]},
        body={"teamlead_id": successor, "reason": "Vakantie"},
        expect=200,
    )


def _fuzz(run: Run, method: str, path: str, role: str, real: Callable[[], dict[str, Any]]) -> None:
    """Generated requests for one operation and role: schema-valid and schema-violating ones,
    with generated path ids and with the world's real ids."""
    operation = run.schema[path][method]
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        wanted = real()
        if wanted:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=wanted))
    headers = run.sessions[role].headers
    session = requests.Session()

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES * 2,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @hypothesis.given(case=st.one_of(strategies))
    def fuzz(case: Any) -> None:
        sent = {**headers, **dict(case.headers or {})}
        response = case.call(base_url=run.url, headers=headers, session=session)
        case.validate_response(response, checks=CHECKS, headers=sent)
        run.statuses[(method, path)].append(response.status_code)

    fuzz()


def test_every_operation_survives_fuzzing(tmp_path: Path) -> None:
    started = time.monotonic()
    settings = Settings(data_dir=tmp_path / "data")
    with live_server(settings) as server:
        users = _seed_users(server)
        sessions = {
            "inspector": _login(server.url, "anna", users["inspector"]),
            "tablet": _login(server.url, "anna", users["inspector"]),
            "teamlead": _login(server.url, "tara", users["teamlead"]),
            "admin": _login(server.url, "beheer", users["admin"]),
        }
        document = requests.get(f"{server.url}/api/v1/openapi.json", timeout=30).json()
        schema = schemathesis.openapi.from_dict(document)
        run = Run(schema, server.url, sessions)
        operations = [
            (method.upper(), path)
            for path, item in document["paths"].items()
            for method in item
            if method in ("get", "post", "put", "patch", "delete", "head")
        ]
        _build_world(run, server, users["successor"])

        def real_ids(path: str) -> Callable[[], dict[str, Any]]:
            names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
            aliases = {"slug": "sync-test", "version": 1, "variant": "thumb"}
            return lambda: {n: run.ids.get(n, aliases.get(n)) for n in names if n}

        destructive = ("/close", "/handover", "/status", "/inspectors")
        ordered = sorted(operations, key=lambda op: any(op[1].endswith(d) for d in destructive))
        for method, path in ordered:
            if (method, path) in LEFT_OUT:
                continue
            for role in ROLES:
                _fuzz(run, method, path, role, real_ids(path))
    elapsed = time.monotonic() - started
    print(
        f"\nfuzzed {len(operations)} operations in {elapsed:.0f} s (statuses of generated requests)"
    )
    for op in sorted(operations):
        got = run.statuses.get(op, [])
        counts = {s: got.count(s) for s in sorted(set(got))}
        print(f"  {op[0]:6} {op[1]}: {counts}")
    ok = {op for op in operations if any(200 <= s < 300 for s in run.statuses.get(op, []))}
    ok |= {op for op in operations if any(200 <= s < 300 for s in run.written.get(op, []))}
    missing = sorted(
        f"{method} {path}"
        for method, path in operations
        if (method, path) not in LEFT_OUT
        and (method, path) not in NO_2XX
        and (method, path) not in ok
    )
    assert not missing, "never answered 2xx:\n" + "\n".join(missing)
    stale = sorted(f"{m} {p}" for m, p in NO_2XX if (m, p) not in operations)
    assert not stale, "NO_2XX names operations that do not exist:\n" + "\n".join(stale)
