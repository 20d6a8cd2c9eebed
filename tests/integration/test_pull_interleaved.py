"""Pull paged one page at a time while writes land between the pages (review of the pull's
item runs): every device ends with what a fresh pull shows, never receives an older state of
a record after a newer one, and never receives what its user may not see at that moment."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.db import Database
from server.db.feed import record_change
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from tests.sync_support import World, add_note, envelope, quick_session, seed_world, set_answer

SHAREABLE = {"open", "aantal", "soort", "foto"}
KEYS = ["open", "aantal", "opmerking", "geheim"]
VALUES: dict[str, list[Any]] = {
    "open": ["yes", "no"],
    "aantal": [1, 2],
    "opmerking": ["a", "b"],
    "geheim": ["x", "y"],
}


@dataclass
class Device:
    user: str
    agency: str
    session: dict[str, Any]
    cursor: str | None = None
    done: bool = True
    replica: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)


@dataclass
class Writer:
    user: str
    checklist: str
    session: dict[str, Any]
    seq: int = 0
    known: dict[str, int] = field(default_factory=dict)
    photos: list[str] = field(default_factory=list)


def _allowed(device: Device, record: dict[str, Any], world: World, state: dict[str, Any]) -> bool:
    kind = record["kind"]
    if kind in ("template", "agency", "evict"):
        return True
    if device.user == "otto" and not state["otto"]:
        return False
    if kind in ("case", "inspection", "checklist", "release"):
        return True
    owner = next(a for a, c in world.checklists.items() if c == record["data"]["checklist_id"])
    if owner == device.agency:
        return True
    if kind in ("conflict", "comment"):
        return False
    item = record["data"].get("item_key")
    return item in SHAREABLE and (owner, item) in state["released"]


def _apply(device: Device, record: dict[str, Any]) -> None:
    key = (record["kind"], record["id"])
    if record["kind"] == "evict":
        data = record["data"]
        if data["scope"] == "case":
            device.replica = {
                k: v for k, v in device.replica.items() if k[0] in ("template", "agency")
            }
        else:
            device.replica = {
                k: v
                for k, v in device.replica.items()
                if (v[1] or {}).get("checklist_id") != data["checklist_id"]
                and not (k[0] == "checklist" and k[1] == data["checklist_id"])
            }
        return
    old = device.replica.get(key)
    assert old is None or old[0] <= record["rev"], ("older state after newer", key, old, record)
    device.replica[key] = (record["rev"], record["data"])


async def _page(
    client: Any, device: Device, world: World, state: dict[str, Any], limit: int
) -> None:
    params: dict[str, Any] = {"limit": limit}
    if device.cursor:
        params["cursor"] = device.cursor
    resp = await client.get("/api/v1/sync/pull", params=params, headers=device.session["headers"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    for record in body["changes"]:
        assert _allowed(device, record, world, state), (device.user, record)
        _apply(device, record)
    device.cursor = body["cursor"]
    device.done = not body["has_more"]


async def _drain(client: Any, device: Device, world: World, state: dict[str, Any]) -> None:
    device.done = False
    while not device.done:
        await _page(client, device, world, state, 500)


async def _push(client: Any, writer: Writer, ops: list[dict[str, Any]]) -> None:
    resp = await client.post(
        "/api/v1/sync/push",
        json=envelope(writer.session["device_id"], ops),
        headers=writer.session["headers"],
    )
    assert resp.status_code == 200, resp.text
    for op, result in zip(ops, resp.json()["results"], strict=True):
        if op["op"] == "set_answer" and result.get("rev"):
            writer.known[f"{op['checklist_id']}/{op['item_key']}"] = result["rev"]


async def _write(
    client: Any,
    db: Database,
    rnd: random.Random,
    writers: list[Writer],
    world: World,
    state: dict[str, Any],
    piet: dict[str, Any],
) -> None:
    what = rnd.random()
    if what < 0.08:
        # otto's access flips: assigned (grant) or withdrawn (evict)
        otto = world.users["otto"]

        def flip(conn: Any) -> None:
            if state["otto"]:
                conn.execute("DELETE FROM inspection_inspectors WHERE user_id = ?", (otto,))
                record_change(conn, "evict", world.case_id, case_id=world.case_id, user_id=otto)
            else:
                conn.execute(
                    "INSERT INTO inspection_inspectors VALUES (?, ?)", (world.inspection_id, otto)
                )
                record_change(conn, "grant", world.case_id, case_id=world.case_id, user_id=otto)
            rev = record_change(conn, "inspection", world.inspection_id, case_id=world.case_id)
            conn.execute("UPDATE inspections SET rev = ? WHERE id = ?", (rev, world.inspection_id))

        await db.write(flip)
        state["otto"] = not state["otto"]
        return
    if what < 0.12:
        key = rnd.choice(["open", "aantal"])
        if ("politie", key) not in state["released"]:
            resp = await client.post(
                f"/api/v1/checklists/{world.checklists['politie']}/releases",
                json={"item_keys": [key], "basis": "Review"},
                headers=piet["headers"],
            )
            assert resp.status_code == 201, resp.text
            state["released"].add(("politie", key))
        return
    writer = rnd.choice(writers)
    ops: list[dict[str, Any]] = []
    for _ in range(rnd.randint(1, 8)):
        writer.seq += 1
        r = rnd.random()
        if r < 0.55:
            key = rnd.choice(KEYS)
            value = rnd.choice(VALUES[key])
            ops.append(
                set_answer(
                    writer.seq,
                    writer.checklist,
                    key,
                    value,
                    writer.known.get(f"{writer.checklist}/{key}"),
                )
            )
        elif r < 0.8:
            ops.append(add_note(writer.seq, writer.checklist, "n", rnd.choice([*KEYS, None])))
        elif r < 0.93 or not writer.photos:
            photo_id = uuid7()
            writer.photos.append(photo_id)
            ops.append(
                {
                    "op": "attach_photo",
                    "op_id": uuid7(),
                    "seq": writer.seq,
                    "client_time": now_iso(),
                    "photo_id": photo_id,
                    "checklist_id": writer.checklist,
                    "item_key": rnd.choice(["foto", "opmerking"]),
                    "sha256": f"{rnd.randrange(16**8):08x}" * 8,
                    "size": 1234,
                    "mime": "image/jpeg",
                }
            )
        else:
            ops.append(
                {
                    "op": "withdraw_photo",
                    "op_id": uuid7(),
                    "seq": writer.seq,
                    "client_time": now_iso(),
                    "photo_id": writer.photos.pop(),
                    "reason": "mislukt",
                }
            )
    await _push(client, writer, ops)


@pytest.mark.parametrize("seed", range(int(os.environ.get("PULL_SEEDS", "8"))))
async def test_paging_with_writes_between_pages_converges(
    client: AsyncTestClient[Any], db: Database, seed: int
) -> None:
    rnd = random.Random(seed)
    world = await seed_world(db)
    users = world.users
    gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
    writers = [
        Writer("anna", gem, await quick_session(db, users["anna"])),
        Writer("bert", pol, await quick_session(db, users["bert"])),
    ]
    piet = await quick_session(db, users["piet"])
    devices = [
        Device("anna", "gemeente-groningen", await quick_session(db, users["anna"])),
        Device("bert", "politie", await quick_session(db, users["bert"])),
        Device("tara", "gemeente-groningen", await quick_session(db, users["tara"])),
        Device("otto", "gemeente-groningen", await quick_session(db, users["otto"])),
    ]
    state: dict[str, Any] = {"otto": False, "released": set()}
    for _ in range(30):  # some history first
        await _write(client, db, rnd, writers, world, state, piet)
    for _ in range(250):
        if rnd.random() < 0.45:
            await _write(client, db, rnd, writers, world, state, piet)
        else:
            device = rnd.choice(devices)
            await _page(client, device, world, state, rnd.choice([1, 2, 3, 5, 8]))
    for device in devices:
        await _drain(client, device, world, state)
        fresh = Device(device.user, device.agency, device.session)
        await _drain(client, fresh, world, state)
        mine = {k: v for k, v in device.replica.items() if k[0] != "agency"}
        theirs = {k: v for k, v in fresh.replica.items() if k[0] != "agency"}
        missing = sorted(set(theirs) - set(mine))
        extra = sorted(set(mine) - set(theirs))
        stale = sorted(k for k in set(mine) & set(theirs) if mine[k] != theirs[k])
        assert not (missing or extra or stale), (device.user, missing, extra, stale)
