"""Property test of sync: 2-5 devices of different agencies and roles, unreliable pushes.

Pushes are duplicated, lost (applied, response dropped), dropped (never arrive), delayed
(devices stay offline for many steps) and interleaved across devices with pulls. After
everyone has synced, the invariants of the sync protocol must hold.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db import Database
from server.db.feed import record_change
from server.settings import Settings
from tests.support import insert_user
from tests.sync_support import World, add_note, envelope, quick_session, seed_world, set_answer

VALUES: dict[str, list[Any]] = {
    "open": ["yes", "no", "na"],
    "aantal": [1, 2, 3],
    "opmerking": ["a", "b"],
    "geheim": ["x", "y"],
}
SENSITIVITY = {
    "open": "shareable",
    "aantal": "shareable",
    "opmerking": "private",
    "geheim": "restricted",
    "foto": "shareable",
}
# (user, agency, may write that agency's checklist)
PEOPLE = [
    ("anna", "gemeente-groningen", True),
    ("anna", "gemeente-groningen", True),  # her second device
    ("bert", "politie", True),
    ("tara", "gemeente-groningen", False),  # team lead: reads all of gemeente, writes nothing
    ("otto", "gemeente-groningen", False),  # not assigned: sees nothing of the case
    ("gijs", "gemeente-groningen", True),  # a colleague of anna on the same inspection
]
AGENCIES = ["gemeente-groningen", "politie"]


@dataclass
class Sim:
    """One simulated device."""

    user: str
    agency: str
    session: dict[str, Any]
    outbox: list[dict[str, Any]] = field(default_factory=list)
    acked: int = 0
    cursor: str | None = None
    replica: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)  # answer id -> rev seen
    received: list[dict[str, Any]] = field(default_factory=list)


_edit = st.tuples(
    st.just("edit"),
    st.integers(0, 4),
    st.sampled_from(["own", "own", "own", "other"]),
    st.sampled_from(sorted(VALUES)),
    st.integers(0, 2),
)
_push_step = st.tuples(
    st.just("push"),
    st.integers(0, 4),
    st.integers(1, 6),
    st.sampled_from(["ok", "ok", "lost", "dup", "drop"]),
)
step = st.one_of(
    _edit,
    _edit,
    _edit,
    st.tuples(
        st.just("note"),
        st.integers(0, 4),
        st.sampled_from(["own", "other"]),
        st.sampled_from(["open", "opmerking", None]),
    ),
    _push_step,
    _push_step,
    st.tuples(st.just("pull"), st.integers(0, 4)),
    st.tuples(st.just("release"), st.sampled_from(["open", "aantal"])),
)


async def _push(client: Any, sim: Sim, mode: str, count: int) -> None:
    batch = sim.outbox[sim.acked : sim.acked + count]
    if not batch or mode == "drop":
        return
    body = envelope(sim.session["device_id"], batch)
    for _ in range(2 if mode == "dup" else 1):
        resp = await client.post("/api/v1/sync/push", json=body, headers=sim.session["headers"])
        assert resp.status_code == 200, resp.text
    if mode == "lost":
        return
    result = resp.json()
    sim.acked = result["last_seq"]
    for op, res in zip(batch, result["results"], strict=False):
        rev = res.get("rev")
        if op["op"] == "set_answer" and rev is not None:
            key = f"{op['checklist_id']}/{op['item_key']}"
            sim.known[key] = max(sim.known.get(key, 0), rev)


async def _pull(client: Any, sim: Sim, released: set[tuple[str, str]], world: World) -> None:
    while True:
        params: dict[str, Any] = {"limit": 7}
        if sim.cursor:
            params["cursor"] = sim.cursor
        resp = await client.get("/api/v1/sync/pull", params=params, headers=sim.session["headers"])
        assert resp.status_code == 200, resp.text
        body = resp.json()
        for record in body["changes"]:
            assert _allowed(sim, record, released, world), (sim.user, record)
            sim.received.append(record)
            sim.replica[(record["kind"], record["id"])] = (record["rev"], record["data"])
            if record["kind"] == "answer":
                sim.known[record["id"]] = max(sim.known.get(record["id"], 0), record["rev"])
        sim.cursor = body["cursor"]
        if not body["has_more"]:
            return


def _allowed(
    sim: Sim, record: dict[str, Any], released: set[tuple[str, str]], world: World
) -> bool:
    """The oracle of the projection for this fixed world (access only grows here)."""
    kind = record["kind"]
    if kind == "template":
        return True
    if sim.user == "otto":
        return False
    # Agency records (names) travel with the case records of the cases one is on.
    if kind in ("case", "inspection", "checklist", "release", "agency"):
        return True
    owner = next(a for a, c in world.checklists.items() if c == record["data"]["checklist_id"])
    if owner == sim.agency:
        return True
    if kind in ("conflict", "comment"):
        return False
    item = record["data"].get("item_key")
    return item is not None and SENSITIVITY.get(item) == "shareable" and (owner, item) in released


def _target(sim: Sim, which: str) -> str:
    if which == "own":
        return sim.agency
    return next(a for a in AGENCIES if a != sim.agency)


async def _add_colleague(db: Database, world: World) -> None:
    def fn(conn: sqlite3.Connection) -> None:
        gijs = insert_user(conn, "gijs", "gemeente-groningen", ["inspector"])
        conn.execute("INSERT INTO inspection_inspectors VALUES (?, ?)", (world.inspection_id, gijs))
        record_change(conn, "grant", world.case_id, case_id=world.case_id, user_id=gijs)
        world.users["gijs"] = gijs

    await db.write(fn)


async def _scenario(steps: list[tuple[Any, ...]], chosen: list[int], data_dir: Path) -> None:
    app = create_app(Settings(data_dir=data_dir))
    async with AsyncTestClient(app=app) as client:
        db: Database = app.state.db
        world = await seed_world(db)
        await _add_colleague(db, world)
        sims = []
        for index in chosen:
            user, agency, _ = PEOPLE[index]
            sims.append(Sim(user, agency, await quick_session(db, world.users[user])))
        released: set[tuple[str, str]] = set()
        piet = await quick_session(db, world.users["piet"])
        for s in steps:
            kind = s[0]
            if kind == "release":
                resp = await client.post(
                    f"/api/v1/checklists/{world.checklists['politie']}/releases",
                    json={"item_keys": [s[1]], "basis": "Eigenschapstest"},
                    headers=piet["headers"],
                )
                assert resp.status_code == 201, resp.text
                released.add(("politie", s[1]))
                continue
            sim = sims[s[1] % len(sims)]
            seq = len(sim.outbox) + 1
            if kind == "edit":
                checklist = world.checklists[_target(sim, s[2])]
                key = f"{checklist}/{s[3]}"
                value = VALUES[s[3]][s[4] % len(VALUES[s[3]])]
                sim.outbox.append(set_answer(seq, checklist, s[3], value, sim.known.get(key)))
            elif kind == "note":
                sim.outbox.append(
                    add_note(seq, world.checklists[_target(sim, s[2])], "notitie", s[3])
                )
            elif kind == "push":
                await _push(client, sim, s[3], s[2])
            else:
                await _pull(client, sim, released, world)
        for sim in sims:
            while sim.acked < len(sim.outbox):
                await _push(client, sim, "ok", 500)
        for sim in sims:
            await _pull(client, sim, released, world)
        await _check(client, db, sims, released, world)


async def _check(
    client: Any, db: Database, sims: list[Sim], released: set[tuple[str, str]], world: World
) -> None:
    # Every device's replica equals what the server shows that user from scratch.
    for sim in sims:
        fresh = Sim(sim.user, sim.agency, sim.session)
        await _pull(client, fresh, released, world)
        assert fresh.replica == sim.replica, sim.user
    ops = await db.read(
        lambda c: [
            dict(r)
            for r in c.execute(
                "SELECT rowid, op_id, device_id, seq, kind, payload, status, result FROM ops"
                " ORDER BY rowid"
            )
        ]
    )
    # Applied at most once: one row per op_id, and one note per applied add_note.
    sent = {op["op_id"]: op for sim in sims for op in sim.outbox}
    assert len({o["op_id"] for o in ops}) == len(ops)
    assert {o["op_id"] for o in ops if o["device_id"]} == set(sent)
    notes = await db.read(lambda c: {r[0] for r in c.execute("SELECT op_id FROM notes")})
    assert notes == {
        o["op_id"] for o in ops if o["kind"] == "add_note" and o["status"] == "applied"
    }
    # Permission: only assigned inspectors of the owning agency write.
    device_user = {sim.session["device_id"]: (sim.user, sim.agency) for sim in sims}
    owner = {c: a for a, c in world.checklists.items()}
    for o in ops:
        if o["device_id"] is None:
            continue
        payload = msgspec.json.decode(o["payload"])
        user, agency = device_user[o["device_id"]]
        may = user in ("anna", "bert", "gijs") and owner[payload["checklist_id"]] == agency
        assert (o["status"] != "rejected") == may, (user, payload, o["result"])
    # Merge rule and nothing vanishes, per field, over the writes in server order.
    writers: dict[str, list[dict[str, Any]]] = {}
    seen_revs: set[int] = set()
    for o in ops:
        if o["kind"] != "set_answer" or o["status"] == "rejected":
            continue
        rev = msgspec.json.decode(o["result"])["rev"]
        if rev in seen_revs:
            assert o["status"] == "applied"  # converged on an equal value
            continue
        seen_revs.add(rev)
        payload = msgspec.json.decode(o["payload"])
        key = f"{payload['checklist_id']}/{payload['item_key']}"
        writers.setdefault(key, []).append({**o, "rev": rev, "p": payload})
    n_conflicts = sum(1 for o in ops if o["status"] == "conflict")
    target(float(n_conflicts), label="conflicts")
    event(f"conflicts: {min(n_conflicts, 3)}+")
    event(f"rejected: {any(o['status'] == 'rejected' for o in ops)}")
    event(f"released: {bool(released)}")
    conflicts = await db.read(
        lambda c: [
            (r[0], msgspec.json.decode(r[1]))
            for r in c.execute("SELECT checklist_id || '/' || item_key, candidates FROM conflicts")
        ]
    )
    in_conflict = {(key, cand["op_id"]) for key, cands in conflicts for cand in cands}
    answers = await db.read(
        lambda c: dict(
            c.execute("SELECT checklist_id || '/' || item_key, value FROM answers").fetchall()
        )
    )
    for key, writes in writers.items():
        writes.sort(key=lambda w: w["rev"])
        assert msgspec.json.encode(writes[-1]["p"]["value"]).decode() == answers[key]
        for before, after in itertools.pairwise(writes):
            base = after["p"]["base_rev"]
            seen = (base is not None and before["rev"] <= base) or (
                before["device_id"] == after["device_id"] and before["seq"] < after["seq"]
            )
            assert (after["status"] == "conflict") == (not seen), (key, before, after)
            if not seen:
                assert (key, before["op_id"]) in in_conflict
                assert (key, after["op_id"]) in in_conflict
        assert writes[0]["status"] == "applied" or any(
            (key, writes[0]["op_id"]) == pair for pair in in_conflict
        )


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    extra=st.lists(st.integers(1, 4), max_size=3, unique=True),
    steps=st.lists(step, min_size=10, max_size=50),
)
def test_sync_invariants_hold_under_unreliable_delivery(
    extra: list[int], steps: list[tuple[Any, ...]]
) -> None:
    chosen = [0, 5, *extra]  # two gemeente writers always, plus other agencies and roles
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_scenario(steps, chosen, Path(tmp) / "data"))
