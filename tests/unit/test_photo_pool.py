"""The photo worker pool: real worker processes, their limits, replacement and recycling."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.evidence import worker
from server.evidence.pool import WorkerLost, WorkerPool
from server.evidence.worker import WorkerLimits
from tests import worker_jobs

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def _pool(*, workers: int = 1, memory_mib: int = 256, jobs: int = 50) -> WorkerPool:
    return WorkerPool(workers, WorkerLimits(memory_mib * MIB, 2, jobs))


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_runs_again(
    tmp_path: Path,
) -> None:
    pool = _pool()
    try:
        [before] = await pool.pids()
        after = await pool.run(worker_jobs.crash_once, tmp_path / "crashed")
        assert after != before
        assert pool.lost == 1
        assert before not in await pool.pids()
    finally:
        await pool.close()


async def test_a_job_that_kills_every_worker_is_lost_and_the_next_job_runs() -> None:
    pool = _pool()
    try:
        with pytest.raises(WorkerLost):
            await pool.run(os.abort)
        assert pool.lost == 2
        assert await pool.run(worker.pid) in await pool.pids()
    finally:
        await pool.close()


async def test_memory_and_cpu_limits_stop_the_job_not_the_server() -> None:
    pool = _pool(memory_mib=128)
    try:
        with pytest.raises(WorkerLost, match="memory"):
            await pool.run(bytearray, 256 * MIB)
        with pytest.raises(WorkerLost, match="died"):
            await pool.run(worker_jobs.spin, 1)
        assert pool.lost == 4
        assert len(await pool.run(bytearray, 8 * MIB)) == 8 * MIB
    finally:
        await pool.close()


async def test_workers_load_neither_the_main_module_nor_the_app() -> None:
    pool = _pool()
    try:
        # Under pytest the main module is pytest's script; under `schouw serve` the CLI.
        assert not await pool.run(worker_jobs.imported, "_pytest")
        assert not await pool.run(worker_jobs.imported, "server.app")
        assert not await pool.run(worker_jobs.imported, "server.db")
        assert await pool.run(worker_jobs.imported, "PIL.Image")
    finally:
        await pool.close()


async def test_a_check_does_not_wait_for_a_running_derivative_job(tmp_path: Path) -> None:
    pool = _pool(workers=1)
    started, go = tmp_path / "started", tmp_path / "go"
    try:
        busy = asyncio.create_task(pool.run(worker_jobs.wait_for, started, go))
        await asyncio.to_thread(worker_jobs.wait_for_file, started)
        # The only general worker is held until "go" exists; the check gets the reserved one.
        checker = await asyncio.wait_for(pool.run(worker.pid, urgent=True), timeout=30)
        go.touch()
        assert await busy != checker
    finally:
        go.touch()
        await pool.close()


async def test_workers_leave_ctrl_c_and_stop_signals_to_the_server() -> None:
    pool = _pool()
    try:
        [pid] = await pool.pids()
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGTERM)
        assert await pool.run(worker.pid) == pid
        assert pool.lost == 0
    finally:
        await pool.close()


SERVER = """
import asyncio, json
from server.evidence.pool import WorkerPool
from server.evidence.worker import WorkerLimits
from tests import worker_jobs

async def main():
    pool = WorkerPool(1, WorkerLimits(256 << 20, 2, 50))
    await pool.start()
    pids = await pool.pids()
    pids.append(await pool.run(worker_jobs.parent_pid))
    print(json.dumps(pids), flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_and_their_fork_server_exit_when_the_server_is_killed() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as server:
        try:
            assert server.stdout is not None
            pids = json.loads(server.stdout.readline())
        finally:
            server.kill()
    assert len(pids) == 2  # the worker and the fork server
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pids if _running(pid)]


async def test_a_worker_is_recycled_after_its_jobs() -> None:
    pool = _pool(jobs=2)
    try:
        first = await pool.run(worker.pid)
        assert await pool.run(worker.pid) == first
        fresh = await pool.run(worker.pid)
        assert fresh != first
        assert pool.recycled == 1
        assert pool.lost == 0
    finally:
        await pool.close()


async def test_background_workers_yield_to_the_worker_a_client_waits_for() -> None:
    """Derivative jobs run niced; the reserved worker (the verdict on a last upload request)
    keeps the server's priority, so a busy machine delays the background, not the client."""
    pool = _pool()
    try:
        server = os.nice(0)
        urgent = await pool.run(os.nice, 0, urgent=True)
        background = await pool.run(os.nice, 0)
        assert urgent == server
        assert background == min(server + worker.BACKGROUND_NICE, 19)
    finally:
        await pool.close()
