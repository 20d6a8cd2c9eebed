"""The database layer on real SQLite files: group commit, isolation of failing units, readers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from server.admin.common import write as cli_write
from server.db import Database
from server.db.database import WAL_SIZE_LIMIT, WRITER_CACHE_KIB, open_sync
from server.db.migrate import available
from server.db.rows import MAX_ROWS, insert_rows
from server.lib.errors import Conflict


def _insert(name: str, fail: bool = False) -> Callable[[sqlite3.Connection], str]:
    def fn(conn: sqlite3.Connection) -> str:
        conn.execute(
            "INSERT INTO agencies (id, name, kind) VALUES (?, ?, 'gemeente')", (name, name)
        )
        if fail:
            raise Conflict(f"{name} faalt")
        return name

    return fn


async def test_a_failing_unit_rolls_back_alone(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.db")
    try:
        # Queued together, so they share one transaction; each has its own savepoint.
        results = await asyncio.gather(
            *(db.write(_insert(f"a{i}", fail=(i == 3))) for i in range(8)),
            return_exceptions=True,
        )
        assert isinstance(results[3], Conflict) and results[3].detail == "a3 faalt"
        ok: list[object] = [r for i, r in enumerate(results) if i != 3]
        assert ok == [f"a{i}" for i in range(8) if i != 3]
        names = await db.read(lambda c: [r[0] for r in c.execute("SELECT id FROM agencies")])
        assert sorted(names) == sorted(f"a{i}" for i in range(8) if i != 3)
    finally:
        await db.close()


async def test_writes_survive_close_and_reopen(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.db")
    await db.write(_insert("blijft"))
    await db.close()
    assert not (tmp_path / "t.db-wal").exists() or (tmp_path / "t.db-wal").stat().st_size == 0
    conn = sqlite3.connect(tmp_path / "t.db")
    assert conn.execute("SELECT id FROM agencies").fetchall() == [("blijft",)]
    conn.close()


async def test_readers_are_read_only_and_pragmas_are_set(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.db")
    try:
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            await db.read(lambda c: c.execute("INSERT INTO agencies VALUES ('x', 'x', 'gemeente')"))
        pragmas = await db.write(
            lambda c: (
                c.execute("PRAGMA journal_mode").fetchone()[0],
                c.execute("PRAGMA synchronous").fetchone()[0],
                c.execute("PRAGMA foreign_keys").fetchone()[0],
            )
        )
        assert pragmas == ("wal", 2, 1)  # WAL, synchronous=FULL, foreign keys enforced
    finally:
        await db.close()


async def test_a_units_savepoint_journal_stays_in_memory(tmp_path: Path) -> None:
    """A unit that changes many existing pages journals their old content for its savepoint;
    the writer keeps that journal in memory (no temporary file per unit) and holds a page
    cache of WRITER_CACHE_KIB."""
    db = await Database.open(tmp_path / "t.db")

    def temp_files() -> list[str]:
        fds = Path("/proc/self/fd")
        links = []
        for fd in fds.iterdir():
            try:
                links.append(str(fd.readlink()))
            except OSError:
                continue
        return [link for link in links if "etilqs" in link]

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE scratch (n INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO scratch VALUES (?, ?)", [(i, "x" * 900) for i in range(400)])

    def rewrite(conn: sqlite3.Connection) -> tuple[list[str], int]:
        conn.execute("UPDATE scratch SET body = 'y' || body")  # about 100 pages journaled
        return temp_files(), conn.execute("PRAGMA cache_size").fetchone()[0]

    try:
        await db.write(fill)
        files, cache = await db.write(rewrite)
        assert files == []
        assert cache == -WRITER_CACHE_KIB
    finally:
        await db.close()


async def test_a_checkpoint_lets_the_log_start_over_and_keeps_every_commit(
    tmp_path: Path,
) -> None:
    wal = tmp_path / "t.db-wal"
    db = await Database.open(tmp_path / "t.db")
    try:
        for batch in range(20):
            await asyncio.gather(*(db.write(_insert(f"a{batch}-{i}")) for i in range(10)))
        grown = wal.stat().st_size
        await db.write(_insert("nog een"))
        assert wal.stat().st_size > grown  # without a checkpoint every commit appends
        grown = wal.stat().st_size
        await db._checkpoint_once()
        for batch in range(10):
            await asyncio.gather(*(db.write(_insert(f"b{batch}-{i}")) for i in range(10)))
        # The log started over: these commits overwrote it from the start instead of
        # appending (the file does not shrink below journal_size_limit).
        assert wal.stat().st_size == grown
        limit = await db.write(lambda c: c.execute("PRAGMA journal_size_limit").fetchone()[0])
        assert limit == WAL_SIZE_LIMIT
        count = await db.read(lambda c: c.execute("SELECT count(*) FROM agencies").fetchone()[0])
        assert count == 301
    finally:
        await db.close()


async def test_a_database_newer_than_the_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    conn = open_sync(path)
    conn.execute(f"PRAGMA user_version = {len(available()) + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this program"):
        await Database.open(path)


def test_cli_write_is_all_or_nothing(tmp_path: Path) -> None:
    conn = open_sync(tmp_path / "t.db")
    from server.db.migrate import migrate

    migrate(conn)

    def two_then_fail(c: sqlite3.Connection) -> None:
        _insert("een")(c)
        _insert("twee", fail=True)(c)

    with pytest.raises(Conflict):
        cli_write(conn, two_then_fail)
    assert conn.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    assert not conn.in_transaction
    conn.close()


def _table(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, v INTEGER,"
        " prev INTEGER) STRICT"
    )
    return conn


def test_insert_rows_chunks_at_the_variable_limit_and_keeps_the_order(tmp_path: Path) -> None:
    conn = _table(tmp_path / "t.db")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 7)  # three rows of two per statement
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn, "INSERT INTO t (k, v)", "(?, ?)", [(f"k{i}", i) for i in range(8)])
    conn.set_trace_callback(None)
    assert [s.count("(") - 1 for s in statements] == [3, 3, 2]  # rows per statement
    rows = conn.execute("SELECT seq, k, v FROM t ORDER BY seq").fetchall()
    assert rows == [(i + 1, f"k{i}", i) for i in range(8)]
    insert_rows(conn, "INSERT INTO t (k, v)", "(?, ?)", [])  # nothing to insert: no statement
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (8,)


def test_insert_rows_caps_the_rows_per_statement(tmp_path: Path) -> None:
    conn = _table(tmp_path / "t.db")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    insert_rows(conn, "INSERT INTO t (v)", "(?)", [(i,) for i in range(MAX_ROWS + 1)])
    assert [s.count("(") - 1 for s in statements] == [MAX_ROWS, 1]
    assert conn.execute("SELECT count(*), sum(v) FROM t").fetchone() == (
        MAX_ROWS + 1,
        MAX_ROWS * (MAX_ROWS + 1) // 2,
    )


def test_insert_rows_upserts_row_after_row(tmp_path: Path) -> None:
    """A later row of one statement sees what an earlier row wrote (as executemany did)."""
    conn = _table(tmp_path / "t.db")
    insert_rows(
        conn,
        "INSERT INTO t (k, v, prev)",
        "(?, ?, NULL)",
        [("a", 1), ("b", 2), ("a", 3), ("a", 4)],
        " ON CONFLICT (k) DO UPDATE SET prev = t.v, v = excluded.v",
    )
    assert conn.execute("SELECT k, v, prev FROM t ORDER BY k").fetchall() == [
        ("a", 4, 3),
        ("b", 2, None),
    ]


def test_insert_rows_is_all_or_nothing_per_statement(tmp_path: Path) -> None:
    conn = _table(tmp_path / "t.db")
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, "INSERT INTO t (k, v)", "(?, ?)", [("a", 1), ("b", 2), ("a", 3)])
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_insert_rows_binds_a_shared_value_once_and_stores_what_each_row_holds(
    tmp_path: Path,
) -> None:
    """Columns with one value in every row are bound once; every row still stores exactly
    its own value and type (an int column with a float equal to its ints is not shared)."""
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE u (n INTEGER PRIMARY KEY, a ANY, b ANY, c ANY, d ANY) STRICT")
    rows = [
        (1, "same", 7, None, b"\x00"),
        (2, "same", 7.0, None, b"\x00"),
        (3, "same", 7, None, b"\x00"),
    ]
    insert_rows(conn, "INSERT INTO u (n, a, b, c, d)", "(?, ?, ?, ?, ?)", rows)
    stored = conn.execute("SELECT n, a, typeof(a), b, typeof(b), c, d FROM u ORDER BY n").fetchall()
    assert stored == [
        (1, "same", "text", 7, "integer", None, b"\x00"),
        (2, "same", "text", 7.0, "real", None, b"\x00"),
        (3, "same", "text", 7, "integer", None, b"\x00"),
    ]
    # Shared columns in a chunked list, with an upsert tail that reads them.
    conn.execute("CREATE TABLE w (k TEXT PRIMARY KEY, v INTEGER, at TEXT, prev INTEGER) STRICT")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 9)  # three rows per statement
    insert_rows(
        conn,
        "INSERT INTO w (k, v, at, prev)",
        "(?, ?, ?, NULL)",
        [("a", 1, "t"), ("b", 1, "t"), ("a", 2, "t"), ("c", 1, "t"), ("a", 3, "t")],
        " ON CONFLICT (k) DO UPDATE SET prev = w.v, v = excluded.v, at = excluded.at",
    )
    assert conn.execute("SELECT k, v, at, prev FROM w ORDER BY k").fetchall() == [
        ("a", 3, "t", 2),
        ("b", 1, "t", None),
        ("c", 1, "t", None),
    ]
