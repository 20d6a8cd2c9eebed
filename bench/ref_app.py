"""Bare reference endpoint for bench/sync.py: Litestar + aiosqlite inserting the same rows.

No merge, no audit, no sequencing checks: one transaction per request that inserts each op
into an op log and its answer or note row (``synchronous=FULL``, WAL). Run it with
``REF_DB=/tmp/ref.db uvicorn --factory bench.ref_app:create_app``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import msgspec
from litestar import Litestar, Request, Response, get, post

SCHEMA = """
CREATE TABLE IF NOT EXISTS ops (op_id TEXT PRIMARY KEY, device_id TEXT NOT NULL,
  seq INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, received_at TEXT NOT NULL,
  UNIQUE (device_id, seq)) STRICT;
CREATE TABLE IF NOT EXISTS answers (checklist_id TEXT NOT NULL, item_key TEXT NOT NULL,
  value TEXT NOT NULL, op_id TEXT NOT NULL, PRIMARY KEY (checklist_id, item_key))
  STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, checklist_id TEXT NOT NULL,
  text TEXT NOT NULL, op_id TEXT NOT NULL) STRICT;
"""


class Envelope(msgspec.Struct):
    """The push envelope with loosely typed ops."""

    device_id: str
    ops: list[dict[str, Any]]


_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder()


def create_app() -> Litestar:
    """The reference app; the database path comes from ``REF_DB``."""
    path = os.environ["REF_DB"]
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.executescript(SCHEMA)
        state["conn"], state["lock"] = conn, asyncio.Lock()
        try:
            yield
        finally:
            await conn.close()

    @post("/push", status_code=200)
    async def push(request: Request[Any, Any, Any]) -> Response[bytes]:
        envelope = _decoder.decode(await request.body())
        now = "2026-11-28T00:00:00.000Z"
        ops, answers, notes = [], [], []
        for op in envelope.ops:
            ops.append(
                (
                    op["op_id"],
                    envelope.device_id,
                    op["seq"],
                    op["op"],
                    _encoder.encode(op).decode(),
                    now,
                )
            )
            if op["op"] == "set_answer":
                answers.append(
                    (
                        op["checklist_id"],
                        op["item_key"],
                        _encoder.encode(op["value"]).decode(),
                        op["op_id"],
                    )
                )
            else:
                notes.append((op["note_id"], op["checklist_id"], op["text"], op["op_id"]))
        conn: aiosqlite.Connection = state["conn"]
        async with state["lock"]:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.executemany("INSERT INTO ops VALUES (?, ?, ?, ?, ?, ?)", ops)
            await conn.executemany(
                "INSERT INTO answers VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " value = excluded.value, op_id = excluded.op_id",
                answers,
            )
            await conn.executemany("INSERT INTO notes VALUES (?, ?, ?, ?)", notes)
            await conn.execute("COMMIT")
        last_seq = max((op[2] for op in ops), default=0)
        return Response(
            _encoder.encode({"accepted": len(ops), "last_seq": last_seq}),
            media_type="application/json",
        )

    @get("/health")
    async def health() -> dict[str, str]:
        """Readiness for the benchmark's server helper."""
        return {"status": "ok"}

    return Litestar(route_handlers=[push, health], lifespan=[lifespan], debug=False)
