"""Restore without loss: work acknowledged after the backup comes back from the devices.

A device cannot know of a restore before its first request, and a phone pushes its outbox
first. So every test here pushes something new *first* after the restore, the way an outside
client lost 60 acknowledged ops before the fix: the server must apply nothing from that push
and answer ``expected_seq``; the device then re-sends every op it still holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from server.admin.backup import backup_to, restore_from
from server.app import create_app
from server.db import Database
from server.lib.clock import now_iso
from server.lib.ids import uuid7
from server.settings import Settings
from tests.support import login
from tests.sync_support import World, add_note, envelope, push, seed_world, set_answer


def _create_case(seq: int) -> dict[str, Any]:
    return {
        "op": "create_case",
        "op_id": uuid7(),
        "seq": seq,
        "client_time": now_iso(),
        "case_id": uuid7(),
        "inspection_id": uuid7(),
        "checklist_id": uuid7(),
        "template": "sync-test@1",
        "subject": {"business": {"name": "Nagekomen zaak", "kvk": "87654321"}},
        "reason": {"category": "eigen-waarneming", "explanation": "Na de back-up aangemaakt."},
    }


async def push_with_gap(
    client: Any, session: dict[str, Any], ops: list[dict[str, Any]], gap: tuple[int, int]
) -> Any:
    body = envelope(session["device_id"], ops)
    body["gap"] = {"from": gap[0], "to": gap[1]}
    return await client.post("/api/v1/sync/push", json=body, headers=session["headers"])


@dataclass
class Phone:
    """A client written from docs/sync.md: it holds its ops (whatever their status) until the
    retention window passes, and on ``expected_seq`` re-sends every op it still holds from
    there, declaring a gap only for seqs it no longer holds."""

    session: dict[str, Any]
    held: dict[int, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)  # op_id -> last status seen

    async def send(self, client: Any, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """Push new ops; follow ``expected_seq`` until the server has everything held."""
        for op in ops:
            self.held[op["seq"]] = op
        body = await self._post(client, ops, None)
        rounds = 0
        while body["expected_seq"] is not None:
            rounds += 1
            assert rounds < 5, body
            expected = body["expected_seq"]
            resend = [self.held[s] for s in sorted(self.held) if s >= expected]
            gap = (
                (expected, resend[0]["seq"] - 1) if resend and resend[0]["seq"] > expected else None
            )
            body = await self._post(client, resend, gap)
        return body

    async def _post(
        self, client: Any, ops: list[dict[str, Any]], gap: tuple[int, int] | None
    ) -> dict[str, Any]:
        resp = await (
            push(client, self.session, ops)
            if gap is None
            else push_with_gap(client, self.session, ops, gap)
        )
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        for result in body["results"]:
            status = result.get("original_status") or result["status"]
            self.status[self.held[result["seq"]]["op_id"]] = status
        return body


async def op_counts(db: Database) -> dict[str, int]:
    return await db.read(
        lambda c: dict(c.execute("SELECT op_id, count(*) FROM ops GROUP BY op_id").fetchall())
    )


async def answers_of(db: Database, checklist_id: str) -> dict[str, str]:
    return await db.read(
        lambda c: dict(
            c.execute(
                "SELECT item_key, value FROM answers WHERE checklist_id = ?", (checklist_id,)
            ).fetchall()
        )
    )


async def holes(db: Database) -> list[tuple[str, str]]:
    return await db.read(
        lambda c: [
            (r[0], r[1])
            for r in c.execute(
                "SELECT object_id, detail FROM audit_events WHERE action = 'sync.hole' ORDER BY id"
            )
        ]
    )


@dataclass
class Restored:
    """Three ops acknowledged before the backup, three after it, then the restore."""

    settings: Settings
    world: World
    session: dict[str, Any]
    ops: list[dict[str, Any]]


@asynccontextmanager
async def restored(
    tmp_path: Path, *, reject_seq_5: bool = True
) -> AsyncIterator[tuple[Any, Restored]]:
    settings = Settings(data_dir=tmp_path / "data")
    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await seed_world(client.app.state.db)
        anna = await login(client, "anna")
        gem = world.checklists["gemeente-groningen"]
        ops = [
            set_answer(1, gem, "open", "yes"),
            set_answer(2, gem, "aantal", 3),
            add_note(3, gem, "voor de back-up"),
        ]
        before = await push(client, anna, ops)
        assert [r["status"] for r in before.json()["results"]] == ["applied"] * 3
        backup_to(settings, tmp_path / "backup.schouw")
        after = [
            set_answer(4, gem, "aantal", 4),
            # 999 is outside min/max: acknowledged as rejected.
            set_answer(5, gem, "aantal", 999 if reject_seq_5 else 5),
            set_answer(6, gem, "soort", "winkel"),
        ]
        resp = (await push(client, anna, after)).json()
        middle = "rejected" if reject_seq_5 else "applied"
        assert [r["status"] for r in resp["results"]] == ["applied", middle, "applied"]
    restore_from(settings, tmp_path / "backup.schouw")
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client, Restored(settings, world, anna, ops + after)


async def test_first_push_after_a_restore_applies_nothing_and_resending_recovers_all(
    tmp_path: Path,
) -> None:
    async with restored(tmp_path) as (client, r):
        db: Database = client.app.state.db
        gem = r.world.checklists["gemeente-groningen"]
        new = set_answer(7, gem, "tijd", "10:15")
        first = await push(client, r.session, [new])
        assert first.status_code == 200, first.text
        assert first.json() == {
            "last_seq": 3,
            "results": [],
            "missing_blobs": [],
            "expected_seq": 4,
            "epoch": 2,
        }
        counts = await op_counts(db)
        assert new["op_id"] not in counts
        assert sorted(counts) == sorted(op["op_id"] for op in r.ops[:3])

        # The device re-sends everything it holds, whatever its status, from the start.
        held = [*r.ops, new]
        again = await push(client, r.session, held)
        body = again.json()
        assert [(x["seq"], x["status"]) for x in body["results"]] == [
            (1, "duplicate"),
            (2, "duplicate"),
            (3, "duplicate"),
            (4, "applied"),
            (5, "rejected"),
            (6, "applied"),
            (7, "applied"),
        ]
        assert body["results"][4]["problem"]["type"].endswith("/invalid-value")
        assert (body["last_seq"], body["expected_seq"], body["epoch"]) == (7, None, 2)
        counts = await op_counts(db)
        assert {op["op_id"]: 1 for op in held} == counts
        assert await answers_of(db, gem) == {
            "open": '"yes"',
            "aantal": "4",
            "soort": '"winkel"',
            "tijd": '"10:15"',
        }
        assert await holes(db) == []
        # Only the first push after the restore is held back.
        later = await push(client, r.session, [add_note(8, gem, "daarna")])
        assert [x["status"] for x in later.json()["results"]] == ["applied"]
        events = await db.read(
            lambda c: [
                row[0]
                for row in c.execute(
                    "SELECT detail FROM audit_events WHERE action = 'sync.push' ORDER BY id"
                )
            ]
        )
        assert '"expected_seq":4' in events[-3] and '"new_epoch":2' in events[-3]


async def test_a_device_following_the_docs_recovers_from_expected_seq(tmp_path: Path) -> None:
    async with restored(tmp_path) as (client, r):
        db: Database = client.app.state.db
        gem = r.world.checklists["gemeente-groningen"]
        phone = Phone(r.session, held={op["seq"]: op for op in r.ops})
        body = await phone.send(client, [set_answer(7, gem, "tijd", "10:15")])
        assert (body["last_seq"], body["expected_seq"]) == (7, None)
        assert [(x["seq"], x["status"]) for x in body["results"]] == [
            (4, "applied"),
            (5, "rejected"),
            (6, "applied"),
            (7, "applied"),
        ]
        assert await op_counts(db) == {op["op_id"]: 1 for op in phone.held.values()}
        assert await holes(db) == []


async def test_a_device_past_its_retention_window_declares_its_gap_and_continues(
    tmp_path: Path,
) -> None:
    async with restored(tmp_path) as (client, r):
        db: Database = client.app.state.db
        gem = r.world.checklists["gemeente-groningen"]
        # Seqs 1-4 fell out of the phone's retention window; it holds 5 and 6.
        phone = Phone(r.session, held={op["seq"]: op for op in r.ops[4:]})
        body = await phone.send(client, [set_answer(7, gem, "tijd", "10:15")])
        assert (body["last_seq"], body["expected_seq"]) == (7, None)
        assert [(x["seq"], x["status"]) for x in body["results"]] == [
            (5, "rejected"),
            (6, "applied"),
            (7, "applied"),
        ]
        device = r.session["device_id"]
        assert await holes(db) == [(device, '{"first_seq":4,"last_seq":4,"epoch":2}')]
        counts = await op_counts(db)
        assert r.ops[3]["op_id"] not in counts
        assert all(counts[op["op_id"]] == 1 for op in phone.held.values())

        # The same push again (its answer was lost): duplicates, no second hole.
        again = await push_with_gap(client, r.session, list(phone.held.values())[:3], (4, 4))
        assert [x["status"] for x in again.json()["results"]] == ["duplicate"] * 3
        assert len(await holes(db)) == 1
        # An op inside the declared gap that turns up after all is applied, never refused.
        late = await push(client, r.session, [r.ops[3]])
        assert [(x["seq"], x["status"]) for x in late.json()["results"]] == [(4, "applied")]
        assert late.json()["last_seq"] == 7
        assert (await op_counts(db))[r.ops[3]["op_id"]] == 1
        nxt = await push(client, r.session, [add_note(8, gem, "verder")])
        assert [x["status"] for x in nxt.json()["results"]] == ["applied"]


async def test_a_gap_is_never_inferred_and_a_bad_gap_changes_nothing(tmp_path: Path) -> None:
    async with restored(tmp_path) as (client, r):
        db: Database = client.app.state.db
        gem = r.world.checklists["gemeente-groningen"]
        first = await push(client, r.session, [])
        assert (first.json()["expected_seq"], first.json()["epoch"]) == (4, 2)
        # Ops from seq 6 without a gap: stop at 4, never take 4-5 as lost.
        skip = await push(client, r.session, r.ops[5:])
        assert (skip.json()["results"], skip.json()["expected_seq"]) == ([], 4)
        # A gap that does not start where the server is: nothing applied, expected_seq.
        late_gap = await push_with_gap(client, r.session, r.ops[5:], (5, 5))
        assert (late_gap.json()["results"], late_gap.json()["expected_seq"]) == ([], 4)
        # A malformed gap: the whole push is a 400, nothing applied.
        bad = await push_with_gap(client, r.session, r.ops[4:], (5, 3))
        assert bad.status_code == 400, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["errors"][0]["field"] == "$.gap.to"
        assert await holes(db) == []
        counts = await op_counts(db)
        assert sorted(counts) == sorted(op["op_id"] for op in r.ops[:3])
        assert (await answers_of(db, gem))["aantal"] == "3"


async def test_todays_app_that_resends_only_acknowledged_ops_still_recovers(
    tmp_path: Path,
) -> None:
    """The field app before the fix: on a new epoch it puts its acknowledged ops back in the
    outbox (not the rejected ones), ignores ``expected_seq`` and pushes its outbox in seq
    order. It recovers when it holds everything (and no op after the backup was rejected:
    it would not re-send that one and stop there)."""
    async with restored(tmp_path, reject_seq_5=False) as (client, r):
        db: Database = client.app.state.db
        gem = r.world.checklists["gemeente-groningen"]
        held = [*r.ops, set_answer(7, gem, "tijd", "10:15")]
        outbox = {op["seq"]: ("pending" if op["seq"] == 7 else "acked") for op in held}
        by_seq = {op["seq"]: op for op in held}
        epoch = 1

        async def push_outbox() -> None:
            nonlocal epoch
            for _ in range(5):
                pending = [by_seq[s] for s in sorted(outbox) if outbox[s] == "pending"]
                if not pending:
                    return
                body = (await push(client, r.session, pending)).json()
                if body["epoch"] != epoch:
                    epoch = body["epoch"]
                    for s, state in outbox.items():
                        if state == "acked":
                            outbox[s] = "pending"
                answered = {x["seq"] for x in body["results"]}
                for s in answered:
                    outbox[s] = "acked"
                if not answered:
                    return  # no progress: the app stops and retries on its next round

        # One sync round of the app: push, pull (410 → from empty), push what is pending.
        await push_outbox()
        stale = await client.get("/api/v1/sync/pull", headers=r.session["headers"])
        assert stale.json()["epoch"] == 2
        await push_outbox()
        assert set(outbox.values()) == {"acked"}
        counts = await op_counts(db)
        assert counts == {op["op_id"]: 1 for op in held}
        assert (await answers_of(db, gem))["aantal"] == "5"


async def test_several_devices_recover_every_acknowledged_op_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    acked: dict[str, dict[str, Any]] = {}  # op_id -> op, for every op the server acknowledged
    phones: dict[str, Phone] = {}

    async def send(client: Any, who: str, ops: list[dict[str, Any]]) -> None:
        body = await phones[who].send(client, ops)
        results = {x["seq"]: x for x in body["results"]}
        assert {x["status"] for x in body["results"]} == {"applied"}, body
        for op in ops:
            assert results[op["seq"]]["status"] == "applied"
            acked[op["op_id"]] = op

    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await seed_world(client.app.state.db)
        gem, pol = world.checklists["gemeente-groningen"], world.checklists["politie"]
        phones["anna"] = Phone(await login(client, "anna"))
        phones["bert"] = Phone(await login(client, "bert"))
        phones["tablet"] = Phone(await login(client, "anna"))
        await send(client, "anna", [set_answer(1, gem, "open", "yes"), add_note(2, gem, "eerst")])
        await send(client, "bert", [set_answer(1, pol, "aantal", 3)])
        first = await client.get("/api/v1/sync/pull", headers=phones["anna"].session["headers"])
        cursor = first.json()["cursor"]
        backup_to(settings, tmp_path / "backup.schouw")
        await send(
            client,
            "anna",
            [set_answer(3, gem, "soort", "winkel"), add_note(4, gem, "daarna"), _create_case(5)],
        )
        await send(client, "bert", [set_answer(2, pol, "aantal", 4)])
        await send(client, "tablet", [set_answer(1, gem, "tijd", "09:00"), add_note(2, gem, "t")])

    restore_from(settings, tmp_path / "backup.schouw")

    async with AsyncTestClient(app=create_app(settings)) as client:
        db: Database = client.app.state.db
        stale = await client.get(
            "/api/v1/sync/pull",
            params={"cursor": cursor},
            headers=phones["anna"].session["headers"],
        )
        assert stale.status_code == 410
        # The tablet's seq 1 fell out of its retention window: it will declare that gap.
        lost = {phones["tablet"].held.pop(1)["op_id"]}
        # Each device pushes its next new op first, as a phone does.
        await send(client, "anna", [set_answer(6, gem, "tijd", "11:00")])
        await send(client, "bert", [set_answer(3, pol, "tijd", "10:15")])
        await send(client, "tablet", [add_note(3, gem, "tablet")])
        counts = await op_counts(db)
        for op_id in acked:
            assert counts.get(op_id, 0) == (0 if op_id in lost else 1), op_id
        tablet = phones["tablet"].session["device_id"]
        assert await holes(db) == [(tablet, '{"first_seq":1,"last_seq":1,"epoch":2}')]
        value = await db.read(
            lambda c: c.execute(
                "SELECT value FROM answers WHERE checklist_id = ? AND item_key = 'aantal'", (pol,)
            ).fetchone()[0]
        )
        assert value == "4"
