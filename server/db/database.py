"""SQLite access: one writer (group commit, savepoint per unit), read-only readers.

Every write is a plain synchronous function ``fn(conn) -> T`` that runs on the writer's
thread inside ``BEGIN IMMEDIATE … COMMIT``. Units queued while a commit is running are
committed together (group commit), each inside its own savepoint, so a failing unit rolls
back alone and nothing of it is half-applied. A unit's future resolves only after the
commit is durable (``synchronous=FULL``).

Reads are synchronous functions too, run on one of several read-only connections. Running a
whole unit on the connection's thread costs one thread hop instead of one per statement
(about 0.1 ms per await on the development machine; see docs/performance.md).

WAL checkpoints run on the writer's thread between two groups, every CHECKPOINT_INTERVAL
after writes: short and often, so the writer stops for a few milliseconds at a time and the
log stays small (see ``Database._checkpoint_once`` and docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from server.db.migrate import migrate

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], T]

log = logging.getLogger("schouw.db")

MAX_GROUP = 64
# Measured open loop at 5,000-10,000 ops/s (docs/performance.md): every 0.25 s the writer
# stops for about a quarter of what one checkpoint a second cost it, and p99 fell by half.
CHECKPOINT_INTERVAL = 0.25
# After the log starts over, a WAL file larger than this is truncated to it.
WAL_SIZE_LIMIT = 64 * 2**20
# The writer's page cache (KiB). SQLite's default of 2 MiB holds less than one group of units
# touches at 64 devices (each device's answer, index and log pages), so pages were read again
# with a system call each; 8 MiB measured as fast as 32 MiB (docs/performance.md).
WRITER_CACHE_KIB = 8192


def _configure(conn: sqlite3.Connection, *, writer: bool) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    if writer:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Checkpoints run from a background task, not inside committing transactions.
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        conn.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        # Each unit runs in a savepoint, whose journal of original pages SQLite spills to a
        # temporary file past 64 KiB: two writes per page, per unit. In memory it is dropped
        # at the unit's RELEASE.
        conn.execute("PRAGMA temp_store = MEMORY")
    else:
        conn.execute("PRAGMA query_only = ON")


def open_sync(path: Path) -> sqlite3.Connection:
    """A configured synchronous writer connection (CLI and tests)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    _configure(conn, writer=True)
    conn.execute("PRAGMA wal_autocheckpoint = 1000")
    return conn


class _Unit:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future[Any]):
        self.fn = fn
        self.future = future


def _run_group(conn: sqlite3.Connection, units: list[_Unit]) -> list[tuple[bool, Any]]:
    """Run units in one transaction, one savepoint each. Returns (ok, result|exception)."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for unit in units:
            conn.execute("SAVEPOINT unit")
            try:
                result = unit.fn(conn)
            except BaseException as exc:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE unit")
                outcomes.append((True, result))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _snapshot(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """``fn(conn)`` in one read transaction (WAL: a consistent snapshot of the database).

    In autocommit mode each statement would read the newest commit: a reader that runs
    several statements, such as a pull page that loads access and then reads the feed in
    batches, could decide rows written between two of them with what it loaded before
    them (a grant missed, an item sent after its case was left).
    """
    conn.execute("BEGIN")
    try:
        return fn(conn)
    finally:
        conn.execute("COMMIT")  # nothing was written: this ends the snapshot


class Database:
    """The database of one data directory. Create with :meth:`open`, end with :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._reader_cycle: itertools.cycle[aiosqlite.Connection] | None = None
        self._queue: asyncio.Queue[_Unit | None] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._dirty = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def open(cls, path: Path, readers: int = 2) -> Database:
        """Open (creating and migrating if needed) the database at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self = cls(path)
        self._loop = asyncio.get_running_loop()
        try:
            self._writer = await aiosqlite.connect(path, isolation_level=None)
            await self._call(self._writer, lambda c: _configure(c, writer=True))
            await self._call(self._writer, migrate)
            for _ in range(readers):
                reader = await aiosqlite.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None
                )
                self._readers.append(reader)
                await self._call(reader, lambda c: _configure(c, writer=False))
        except BaseException:
            # Each aiosqlite connection owns a non-daemon thread: a failed open (for example
            # a database newer than this program) must not leave one behind.
            for conn in [*self._readers, self._writer]:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            raise
        self._reader_cycle = itertools.cycle(self._readers)
        self._writer_task = asyncio.create_task(self._write_loop(), name="schouw-db-writer")
        self._checkpoint_task = asyncio.create_task(self._checkpoint_loop(), name="schouw-wal")
        return self

    @staticmethod
    async def _call(conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        # aiosqlite runs ``fn`` on the connection's own thread with the underlying
        # sqlite3 connection; one hop for a whole unit of work.
        raw = conn._conn
        result: T = await conn._execute(fn, raw)  # type: ignore[no-untyped-call]
        return result

    def _foreign_loop(self) -> asyncio.AbstractEventLoop | None:
        """The database's own loop when the caller runs on another one, else None."""
        loop = self._loop
        return loop if loop is not None and asyncio.get_running_loop() is not loop else None

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` atomically on the writer; return its result after a durable commit.

        Callable from another event loop too (tests drive the app through a portal thread).
        """
        home = self._foreign_loop()
        if home is not None:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.write(fn), home))
        if self._writer_task is None or self._writer_task.done():
            raise RuntimeError("database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Unit(fn, future))
        return await future

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on a read-only connection, inside one read transaction: every statement
        of ``fn`` sees the database as it was at its first one (writes committed meanwhile
        are not half seen), and every write committed before ``read`` was called."""
        home = self._foreign_loop()
        if home is not None:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.read(fn), home))
        if self._reader_cycle is None:
            raise RuntimeError("database is closed")
        return await self._call(next(self._reader_cycle), functools.partial(_snapshot, fn))

    async def _write_loop(self) -> None:
        writer = self._writer
        if writer is None:
            raise RuntimeError("the writer connection is not open")
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            units = [first]
            while len(units) < MAX_GROUP and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                units.append(nxt)
            units = [u for u in units if not u.future.cancelled()]
            if not units:
                continue
            try:
                outcomes = await self._call(writer, functools.partial(_run_group, units=units))
            except Exception as exc:  # the commit itself failed: every unit failed
                log.exception("write group of %d units failed", len(units))
                for unit in units:
                    if not unit.future.done():
                        unit.future.set_exception(exc)
                continue
            self._dirty = True
            for unit, (ok, value) in zip(units, outcomes, strict=True):
                if unit.future.done():
                    continue
                if ok:
                    unit.future.set_result(value)
                else:
                    unit.future.set_exception(value)

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL)
            if not self._dirty or not self._readers:
                continue
            self._dirty = False
            try:
                await self._checkpoint_once()
            except Exception:
                log.exception("WAL checkpoint failed")

    async def _checkpoint_once(self) -> None:
        """Copy the log into the database file (PASSIVE) on the writer's thread.

        It runs between two write groups, so it has the whole log to itself and the writer's
        next transaction starts the log over (SQLite does that only when the whole log is in
        the database file). A checkpoint on a connection of its own, concurrent with the
        writer, was tried: the log then rarely started over, and near the writer's capacity
        the concurrent copying and fsyncs slowed every commit (p99 twice as high).
        """
        writer = self._writer
        if writer is None:
            return
        await self._call(writer, lambda c: c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())

    async def close(self) -> None:
        """Finish queued writes, checkpoint, and close every connection."""
        for task in (self._checkpoint_task,):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._writer_task is not None:
            self._queue.put_nowait(None)  # drain what is queued, then stop
            await self._writer_task
            self._writer_task = None
        for reader in self._readers:
            await reader.close()
        self._readers.clear()
        if self._writer is not None:
            with contextlib.suppress(sqlite3.Error):
                await self._call(
                    self._writer, lambda c: c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                )
            await self._writer.close()
            self._writer = None
