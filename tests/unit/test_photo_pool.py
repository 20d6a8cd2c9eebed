"""The photo worker pool: real worker processes, their limits, replacement and recycling."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from server.evidence import worker
from server.evidence.pool import WorkerLost, WorkerPool
from server.evidence.worker import WorkerLimits
from tests import worker_jobs

MIB = 1024 * 1024


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
