"""Sync benchmark (``make bench``): push capacity, push latency, a bare reference, pull.

The server runs as a real uvicorn process (uvloop + httptools, ``synchronous=FULL``) pinned
to CPU 0; the aiohttp load generator runs in another process pinned to CPU 1. Each phase is
bounded to a few seconds. Prints a table, writes ``bench/results/sync.json`` and the sync
section of ``docs/performance.md``. Reproduce: ``.venv/bin/python bench/sync.py``;
``--help`` lists the options (``--only push|pull|reference|openloop``, ``--rounds N``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.lib.ids import uuid7  # noqa: E402
from tests.live_server import LiveServer, uvicorn_command  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "sync.json"
DOC = ROOT / "docs" / "performance.md"
LEVELS = tuple(int(n) for n in os.environ.get("SYNC_BENCH_LEVELS", "1,16,64,256").split(","))
PHASE_SECONDS = 4.0
OPEN_SECONDS = 6.0
PULL_RECORDS = 20_000
OPEN_LEVELS = tuple(
    int(n) for n in os.environ.get("SYNC_BENCH_OPEN_LEVELS", "50,100,150,200").split(",")
)  # devices x one 50-op batch a second
OPEN_LOOP_SECONDS = 8
TARGETS = {
    "push_ops_per_s_at_64": 12_000,
    "open_p99_ms_at_64": 150,
    "ratio_to_reference": 0.25,
    "pull_records_per_s": 20_000,
    "openloop_p99_ms_at_10000": 50,
}
ITEMS = [(f"vraag-{i:02d}", ("yes_no_na", "number", "text", "choice")[i % 4]) for i in range(40)]
TEMPLATE = {
    "slug": "bench-controle",
    "version": 1,
    "title": "Benchmarkcontrole",
    "agency_kinds": ["*"],
    "legal_basis": "Benchmark",
    "sections": [
        {
            "key": "alles",
            "title": "Alles",
            "items": [
                {
                    "key": k,
                    "type": t,
                    "label": f"Vraag {k}",
                    "sensitivity": "shareable",
                    **(
                        {"options": [{"key": "a", "label": "A"}, {"key": "b", "label": "B"}]}
                        if t == "choice"
                        else {}
                    ),
                    **({"min": 0, "max": 1000} if t == "number" else {}),
                }
                for k, t in ITEMS
            ],
        }
    ],
}
VALUES: dict[str, Any] = {
    "yes_no_na": lambda s: ("yes", "no", "na")[s % 3],
    "number": lambda s: s % 1000,
    "text": lambda s: f"Bevinding {s}: deur aan de achterzijde geblokkeerd door pallets",
    "choice": lambda s: "ab"[s % 2],
}


def make_batch(device_id: str, checklist_id: str, seq0: int, n: int = 50) -> bytes:
    """A realistic 50-op push: four answers to one note."""
    ops: list[dict[str, Any]] = []
    for seq in range(seq0, seq0 + n):
        base = {
            "op_id": uuid7(),
            "seq": seq,
            "client_time": "2026-05-04T09:12:03.120+02:00",
            "checklist_id": checklist_id,
        }
        if seq % 5 == 0:
            ops.append(
                {
                    "op": "add_note",
                    **base,
                    "note_id": uuid7(),
                    "text": f"Notitie {seq}: eigenaar verklaart dat het pand wordt verhuurd",
                }
            )
        else:
            key, kind = ITEMS[seq % len(ITEMS)]
            ops.append(
                {
                    "op": "set_answer",
                    **base,
                    "item_key": key,
                    "value": VALUES[kind](seq),
                    "base_rev": None,
                }
            )
    return json.dumps({"device_id": device_id, "schema_version": 1, "ops": ops}).encode()


# ---------------------------------------------------------------- setup (orchestrator)


def seed(data_dir: Path, devices: int) -> dict[str, Any]:
    """Users, devices with tokens, one case/checklist per device, and a puller's 20k records."""
    from server.admin.common import connect, write
    from server.auth import repository
    from server.auth.tokens import issue_pair
    from server.checklists.library import load_dir, publish
    from server.checklists.model import template_decoder
    from server.db.feed import record_change
    from server.lib.clock import now_iso

    conn = connect_settings(data_dir, connect)

    def fn(c: sqlite3.Connection) -> dict[str, Any]:
        now = now_iso()
        repository.insert_agency(c, "gemeente-groningen", "Gemeente", "gemeente")
        publish(c, [*load_dir(), template_decoder.decode(json.dumps(TEMPLATE).encode())])
        out: list[dict[str, str]] = []
        for i in range(devices + 1):
            user, device, case, insp, cl = uuid7(), uuid7(), uuid7(), uuid7(), uuid7()
            repository.insert_user(
                c,
                user,
                username=f"u{i}",
                name=f"U {i}",
                agency_id="gemeente-groningen",
                roles=["inspector"],
                password_hash="x",
            )
            c.execute(
                "INSERT INTO devices (id, user_id, registered_at, last_seen_at)"
                " VALUES (?, ?, ?, ?)",
                (device, user, now, now),
            )
            token = issue_pair(c, user, device, 3600, 7200).access_token
            rev = record_change(c, "case", case, case_id=case)
            c.execute(
                "INSERT INTO cases (id, reference, business_name, reason, status,"
                " created_by, created_at, rev) VALUES (?, ?, 'B', '{}', 'planned', ?,"
                " ?, ?)",
                (case, f"RIT-BENCH-{i:05d}", user, now, rev),
            )
            c.execute("INSERT INTO case_agencies VALUES (?, 'gemeente-groningen')", (case,))
            rev = record_change(c, "inspection", insp, case_id=case)
            c.execute(
                "INSERT INTO inspections (id, case_id, scheduled_date, created_by,"
                " created_at, rev) VALUES (?, ?, '2026-05-04', ?, ?, ?)",
                (insp, case, user, now, rev),
            )
            c.execute("INSERT INTO inspection_inspectors VALUES (?, ?)", (insp, user))
            rev = record_change(c, "checklist", cl, case_id=case, checklist_id=cl)
            c.execute(
                "INSERT INTO checklists (id, inspection_id, case_id, agency_id,"
                " template_slug, template_version, created_at, rev) VALUES"
                " (?, ?, ?, 'gemeente-groningen', 'bench-controle', 1, ?, ?)",
                (cl, insp, case, now, rev),
            )
            out.append({"device_id": device, "token": token, "checklist_id": cl, "case_id": case})
        puller = out.pop()
        for n in range(PULL_RECORDS):
            note = uuid7()
            rev = record_change(
                c, "note", note, case_id=puller["case_id"], checklist_id=puller["checklist_id"]
            )
            c.execute(
                "INSERT INTO notes (id, checklist_id, item_key, text, author_id, op_id,"
                " created_at, rev) VALUES (?, ?, ?, ?, (SELECT user_id FROM devices"
                " WHERE id = ?), ?, ?, ?)",
                (
                    note,
                    puller["checklist_id"],
                    ITEMS[n % 40][0],
                    f"Notitie {n}",
                    puller["device_id"],
                    uuid7(),
                    now,
                    rev,
                ),
            )
        return {"devices": out, "puller": puller}

    world: dict[str, Any] = write(conn, fn)
    conn.close()
    return world


def connect_settings(data_dir: Path, connect: Any) -> sqlite3.Connection:
    """Open the data directory's database through the CLI's helper."""
    from server.settings import Settings

    result: sqlite3.Connection = connect(Settings(data_dir=data_dir))
    return result


def pinned(cpu: int) -> list[str]:
    """``taskset -c cpu`` when available and the machine has two cores."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


def start_server(data_dir: Path, factory: str, env: dict[str, str]) -> LiveServer:
    """uvicorn on CPU 0 (uvloop, httptools), started and answering /health."""
    server = LiveServer(
        data_dir,
        env=env,
        command=lambda port: [
            *pinned(0),
            *uvicorn_command(
                port, "--loop", "uvloop", "--http", "httptools", "--no-access-log", factory=factory
            ),
        ],
    )
    return server.start()


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MiB."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def loadgen(job: dict[str, Any]) -> dict[str, Any]:
    """Run one load phase in a separate process on CPU 1; returns its JSON result."""
    cmd = [*pinned(1), sys.executable, str(Path(__file__)), "loadgen"]
    out = subprocess.run(
        cmd, input=json.dumps(job).encode(), stdout=subprocess.PIPE, check=True, cwd=ROOT
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# ---------------------------------------------------------------- load generator process


def couch_docs(batch: bytes) -> bytes:
    """A push body as a CouchDB ``_bulk_docs`` body: every op a new document (``_id`` = op id)."""
    envelope = json.loads(batch)
    docs = [
        {"_id": op["op_id"], "device_id": envelope["device_id"], **op} for op in envelope["ops"]
    ]
    return json.dumps({"docs": docs}).encode()


async def _closed(job: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    devices = job["devices"]
    url = job["url"]
    couch = job.get("protocol") == "couchdb"  # PouchDB Server's _bulk_docs (bench/peers.py)
    seqs = {d["device_id"]: d["seq"] for d in devices}
    counted = {"ops": 0, "requests": 0, "errors": 0, "ops_total": 0}
    start = time.monotonic()
    measure_from, end = start + 0.5, start + 0.5 + job["seconds"]

    async def device(session: Any, d: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {d['token']}", "Content-Type": "application/json"}
        while time.monotonic() < end:
            body = make_batch(d["device_id"], d["checklist_id"], seqs[d["device_id"]])
            if couch:
                body = couch_docs(body)
            async with session.post(url, data=body, headers=headers) as resp:
                result = await resp.json(content_type=None)
            now = time.monotonic()
            if resp.status not in (200, 201):
                counted["errors"] += 1
                continue
            if couch:
                seqs[d["device_id"]] += 50
                accepted = sum(1 for r in result if r.get("ok"))
            else:
                seqs[d["device_id"]] = result["last_seq"] + 1
                accepted = result.get("accepted")
                if accepted is None:
                    accepted = sum(
                        1 for r in result["results"] if r["status"] in ("applied", "conflict")
                    )
            counted["ops_total"] += accepted
            if measure_from <= now <= end:
                counted["ops"] += accepted
                counted["requests"] += 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(device(session, d) for d in devices))
    return {**counted, "ops_per_s": counted["ops"] / job["seconds"], "seqs": seqs}


async def _open(job: dict[str, Any]) -> dict[str, Any]:
    """Open loop: every device sends one batch a second on a fixed schedule.

    Latency counts from the scheduled send time, not from when the request left, so a stall
    shows in every batch it delays (no coordinated omission). A device keeps its batches in
    seq order (as a phone does: the server refuses a seq gap), so a batch scheduled while the
    device's previous one is still unanswered waits for it, and that wait counts.
    """
    import aiohttp

    devices = job["devices"]
    url = job["url"]
    seconds = int(job["seconds"])
    seqs = {d["device_id"]: d["seq"] for d in devices}
    # Bodies are built before the clock starts: the schedule must not wait for the client.
    bodies: dict[str, list[bytes]] = {}
    for d in devices:
        seq0 = seqs[d["device_id"]]
        bodies[d["device_id"]] = [
            make_batch(d["device_id"], d["checklist_id"], seq0 + 50 * k) for k in range(seconds)
        ]
        seqs[d["device_id"]] = seq0 + 50 * seconds
    latencies: list[float] = []
    errors = 0
    ops = 0
    t0 = time.monotonic() + 0.2

    async def send(session: Any, d: dict[str, Any], body: bytes, at: float) -> None:
        nonlocal errors, ops
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        headers = {"Authorization": f"Bearer {d['token']}", "Content-Type": "application/json"}
        async with session.post(url, data=body, headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                errors += 1
            else:
                ops += 50
        latencies.append(time.monotonic() - at)

    n = len(devices)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        # Each device's batches go one after another (seq order); devices are spread evenly.
        async def device(i: int, d: dict[str, Any]) -> None:
            for k, body in enumerate(bodies[d["device_id"]]):
                await send(session, d, body, t0 + i / n + k)

        await asyncio.gather(*(device(i, d) for i, d in enumerate(devices)))
    elapsed = time.monotonic() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "offered_ops_per_s": 50 * n,
        "ops_per_s": ops / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": 1000 * latencies[-1],
        "requests": len(latencies),
        "errors": errors,
        "seqs": seqs,
    }


async def _pull(job: dict[str, Any]) -> dict[str, Any]:
    import aiohttp

    couch = job.get("protocol") == "couchdb"  # PouchDB Server's _changes (bench/peers.py)
    # PouchDB answers text/plain unless the client asks for JSON.
    headers = {"Accept": "application/json"}
    if job.get("token"):
        headers["Authorization"] = f"Bearer {job['token']}"
    records, pages, cursor = 0, 0, None
    start = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while True:
            if couch:
                params = {"include_docs": "true", "limit": "500", "since": cursor or "0"}
            else:
                params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
            async with session.get(job["url"], params=params, headers=headers) as resp:
                body = await resp.json()
            pages += 1
            if couch:
                # No has_more in CouchDB: a short page is the last one.
                records += len(body["results"])
                cursor = str(body["last_seq"])
                if len(body["results"]) < 500:
                    break
                continue
            records += len(body["changes"])
            cursor = body["cursor"]
            if not body["has_more"]:
                break
    seconds = time.monotonic() - start
    return {
        "records": records,
        "pages": pages,
        "seconds": seconds,
        "records_per_s": records / seconds,
    }


def run_loadgen() -> None:
    """Entry of the load-generator process: job JSON on stdin, result JSON on stdout."""
    import uvloop

    job = json.loads(sys.stdin.read())
    fn = {"closed": _closed, "open": _open, "pull": _pull}[job["mode"]]
    print(json.dumps(uvloop.run(fn(job))))


# ---------------------------------------------------------------- orchestration and report


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
        "pinned": bool(pinned(0)),
    }


PHASES = ("push", "pull", "reference", "openloop")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_loop_level(url: str, pid: int, wal: Path, devices: list[dict[str, Any]]) -> dict[str, Any]:
    """One open-loop phase with the server's CPU time, the WAL's peak size and the load."""
    peak = [0]
    done = threading.Event()

    def watch_wal() -> None:
        while not done.wait(0.02):
            with contextlib.suppress(FileNotFoundError):
                peak[0] = max(peak[0], wal.stat().st_size)

    watcher = threading.Thread(target=watch_wal, daemon=True)
    watcher.start()
    cpu0 = cpu_seconds(pid)
    try:
        out = loadgen(
            {"mode": "open", "url": url, "devices": devices, "seconds": OPEN_LOOP_SECONDS}
        )
    finally:
        done.set()
        watcher.join()
    cpu = cpu_seconds(pid) - cpu0
    ops = out["ops_per_s"] * OPEN_LOOP_SECONDS
    return {
        **out,
        "server_cpu_ms_per_1000_ops": 1000 * cpu / max(1.0, ops / 1000),
        "wal_peak_mib": peak[0] / 2**20,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _median_round(rounds: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The round with the median ``key`` (the lower middle one for an even count), plus all."""
    ordered = sorted(rounds, key=lambda r: r[key])
    return {**ordered[(len(ordered) - 1) // 2], "rounds": [r[key] for r in rounds]}


def measure(tmp: Path, phases: tuple[str, ...] = PHASES, rounds: int = 1) -> dict[str, Any]:
    """Run the chosen phases ``rounds`` times each; return the results document.

    With more than one round, each measure reports its median round and lists every round.
    """
    world = seed(tmp / "data", max(LEVELS[-1], 200))
    devices = [{**d, "seq": 1} for d in world["devices"]]
    results: dict[str, Any] = {}

    def advance(seqs: dict[str, int]) -> None:
        for d in devices:
            d["seq"] = seqs.get(d["device_id"], d["seq"])

    if {"pull", "push", "openloop"} & set(phases):
        server = start_server(tmp / "data", "server.app:create_app", {})
        url = server.url
        try:
            if "pull" in phases:
                pulls = []
                for _ in range(rounds):
                    rss_before = rss_mib(server.pid)
                    pull = loadgen(
                        {
                            "mode": "pull",
                            "url": f"{url}/api/v1/sync/pull",
                            "token": world["puller"]["token"],
                        }
                    )
                    rss_after = rss_mib(server.pid)
                    pulls.append(
                        {
                            **pull,
                            "rss_before_mib": rss_before[0],
                            "rss_after_mib": rss_after[0],
                            "peak_rss_mib": rss_after[1],
                        }
                    )
                results["pull"] = _median_round(pulls, "records_per_s")
            if "push" in phases:
                push_url = f"{url}/api/v1/sync/push"
                results["push_closed"], results["push_open"] = {}, {}
                for n in LEVELS:
                    outs = []
                    for _ in range(rounds):
                        out = loadgen(
                            {
                                "mode": "closed",
                                "url": push_url,
                                "devices": devices[:n],
                                "seconds": PHASE_SECONDS,
                            }
                        )
                        advance(out.pop("seqs"))
                        outs.append(out)
                    results["push_closed"][str(n)] = _median_round(outs, "ops_per_s")
                for n in (64, 200):
                    outs = []
                    for _ in range(rounds):
                        out = loadgen(
                            {
                                "mode": "open",
                                "url": push_url,
                                "devices": devices[:n],
                                "seconds": OPEN_SECONDS,
                            }
                        )
                        advance(out.pop("seqs"))
                        outs.append(out)
                    results["push_open"][str(n)] = _median_round(outs, "p99_ms")
            if "openloop" in phases:
                # Warm-up (not measured): the first batches after a start pay for caches.
                warm = loadgen(
                    {
                        "mode": "open",
                        "url": f"{url}/api/v1/sync/push",
                        "devices": devices[:50],
                        "seconds": 2,
                    }
                )
                advance(warm["seqs"])
                results["openloop"] = {}
                for n in OPEN_LEVELS:
                    outs = []
                    for _ in range(rounds):
                        out = open_loop_level(
                            f"{url}/api/v1/sync/push",
                            server.pid,
                            tmp / "data" / "schouw.db-wal",
                            devices[:n],
                        )
                        advance(out.pop("seqs"))
                        outs.append(out)
                    results["openloop"][str(n)] = _median_round(outs, "p99_ms")
            results["server_peak_rss_mib"] = rss_mib(server.pid)[1]
        finally:
            server.stop()
    if "reference" in phases:
        ref = start_server(
            tmp / "ref-data", "bench.ref_app:create_app", {"REF_DB": str(tmp / "ref.db")}
        )
        try:
            fresh = [{**d, "seq": 1} for d in devices[:64]]
            outs = []
            for _ in range(rounds):
                out = loadgen(
                    {
                        "mode": "closed",
                        "url": f"{ref.url}/push",
                        "devices": fresh,
                        "seconds": PHASE_SECONDS,
                    }
                )
                for d in fresh:
                    d["seq"] = out["seqs"].get(d["device_id"], d["seq"])
                out.pop("seqs")
                outs.append(out)
            results["reference_closed_64"] = _median_round(outs, "ops_per_s")
        finally:
            ref.stop()
    if "push" in phases and "reference" in phases:
        ours = results["push_closed"]["64"]["ops_per_s"]
        ref_ops = results["reference_closed_64"]["ops_per_s"]
        results["ratio_to_reference"] = ours / max(1.0, ref_ops)
    return results


def verdicts(r: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(measure, value, target, met) rows."""
    push64 = r["push_closed"]["64"]["ops_per_s"]
    p99 = r["push_open"]["64"]["p99_ms"]
    pull = r["pull"]["records_per_s"]
    ratio = r["ratio_to_reference"]
    open200 = r["openloop"][str(OPEN_LEVELS[-1])]
    return [
        (
            "push ops/s at 64 devices (closed loop)",
            f"{push64:,.0f}",
            f">= {TARGETS['push_ops_per_s_at_64']:,}",
            push64 >= TARGETS["push_ops_per_s_at_64"],
        ),
        (
            "push p99 at 64 devices x 1 batch/s",
            f"{p99:.1f} ms",
            f"<= {TARGETS['open_p99_ms_at_64']} ms",
            p99 <= TARGETS["open_p99_ms_at_64"],
        ),
        (
            "ratio to bare aiosqlite reference",
            f"{ratio:.2f}",
            f">= {TARGETS['ratio_to_reference']}",
            ratio >= TARGETS["ratio_to_reference"],
        ),
        (
            "pull records/s (20,000 records, pages of 500)",
            f"{pull:,.0f}",
            f">= {TARGETS['pull_records_per_s']:,}",
            pull >= TARGETS["pull_records_per_s"],
        ),
        (
            "push p99 at 200 devices x 1 batch/s (10,000 ops/s offered)",
            f"{open200['p99_ms']:.1f} ms",
            f"<= {TARGETS['openloop_p99_ms_at_10000']} ms",
            open200["p99_ms"] <= TARGETS["openloop_p99_ms_at_10000"] and not open200["errors"],
        ),
    ]


def sustained(r: dict[str, Any]) -> int:
    """The highest offered open-loop rate (ops/s) whose p99 met the target, 0 if none."""
    met = [
        v["offered_ops_per_s"]
        for v in r["openloop"].values()
        if v["p99_ms"] <= TARGETS["openloop_p99_ms_at_10000"] and not v["errors"]
    ]
    return max(met, default=0)


def openloop_table(r: dict[str, Any]) -> str:
    """The open-loop rate sweep as a markdown table, with the target."""
    lines = [
        "| open loop, 1 batch of 50 ops/s per device | offered ops/s | done ops/s | p50 | p99 |"
        " max | errors | server CPU per 1,000 ops | WAL peak | load avg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, v in r["openloop"].items():
        lines.append(
            f"| {n} devices | {v['offered_ops_per_s']:,} | {v['ops_per_s']:,.0f} |"
            f" {v['p50_ms']:.1f} ms | {v['p99_ms']:.1f} ms | {v['max_ms']:.1f} ms |"
            f" {v['errors']} | {v['server_cpu_ms_per_1000_ops']:.0f} ms |"
            f" {v['wal_peak_mib']:.1f} MiB | {v['load_average_1min']:.2f} |"
        )
    best = sustained(r)
    lines += [
        "",
        f"Target: p99 <= {TARGETS['openloop_p99_ms_at_10000']} ms at 10,000 ops/s offered "
        "(200 devices). Latency counts from each batch's scheduled send time. Highest offered "
        f"rate with p99 within the target in this run: {best:,} ops/s.",
    ]
    return "\n".join(lines)


def table(r: dict[str, Any]) -> str:
    """The markdown tables of a result document."""
    lines = ["| devices | push ops/s (closed loop) | requests | errors |", "|---:|---:|---:|---:|"]
    for n, v in r["push_closed"].items():
        lines.append(f"| {n} | {v['ops_per_s']:,.0f} | {v['requests']} | {v['errors']} |")
    lines += [
        "",
        "| open loop (1 batch of 50 ops/s per device) | p50 | p99 | max | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for n, v in r["push_open"].items():
        lines.append(
            f"| {n} devices ({int(n) * 50:,} ops/s offered) | {v['p50_ms']:.1f} ms |"
            f" {v['p99_ms']:.1f} ms | {v['max_ms']:.1f} ms | {v['errors']} |"
        )
    ref = r["reference_closed_64"]["ops_per_s"]
    p = r["pull"]
    lines += [
        "",
        f"Bare aiosqlite reference (`bench/ref_app.py`, same rows, 64 devices): {ref:,.0f} ops/s.",
        f"Pull: {p['records']:,} records in {p['pages']} pages, {p['seconds']:.2f} s "
        f"({p['records_per_s']:,.0f} records/s); server RSS {p['rss_before_mib']:.0f} → "
        f"{p['rss_after_mib']:.0f} MiB (peak {p['peak_rss_mib']:.0f} MiB).",
        "",
        openloop_table(r),
        "",
        "| target | measured | goal | met |",
        "|---|---:|---:|:---:|",
    ]
    for name, value, goal, met in verdicts(r):
        lines.append(f"| {name} | {value} | {goal} | {'yes' if met else '**no**'} |")
    return "\n".join(lines)


def write_doc(r: dict[str, Any]) -> None:
    """Replace the sync section of docs/performance.md."""
    m = r["machine"]
    body = "\n".join(
        [
            "<!-- section:sync -->",
            "## Sync (bench/sync.py)",
            "",
            f"Measured {r['date']} on {m['cpus']} x {m['cpu']}, Python {m['python']}, SQLite "
            f"{m['sqlite']}; server (uvicorn + uvloop + httptools, `synchronous=FULL`) pinned to "
            f"CPU 0, aiohttp load generator on CPU 1 (`taskset`: {m['pinned']}). "
            "Realistic 50-op batches (four answers to one note). Reproduce: "
            "`.venv/bin/python bench/sync.py` (or `make bench`).",
            "",
            table(r),
            "",
            r.get("notes", ""),
            "<!-- /section:sync -->",
        ]
    )
    text = DOC.read_text()
    start, end = text.index("<!-- section:sync -->"), text.index("<!-- /section:sync -->")
    DOC.write_text(text[:start] + body + text[end + len("<!-- /section:sync -->") :])


def explain(r: dict[str, Any]) -> str:
    """Say by how much each missed target was missed, and the known reasons."""
    missed = []
    push64 = r["push_closed"]["64"]["ops_per_s"]
    if push64 < TARGETS["push_ops_per_s_at_64"]:
        short = 100 * (1 - push64 / TARGETS["push_ops_per_s_at_64"])
        ref = r["reference_closed_64"]["ops_per_s"]
        missed.append(
            f"Push capacity at 64 devices missed the target by {short:.0f} %. In the same run "
            f"the bare reference reached {ref:,.0f} ops/s, so Schouw runs at "
            f"{r['ratio_to_reference']:.2f} of this machine's ceiling at that moment (the VM "
            "is shared with other builds; the reference reached ~50,000 ops/s on a quiet "
            "machine). Per op the push does what the reference does not: op-log row with "
            "payload hash and result, change-feed row, merge read of the current answer, "
            "permission and template checks, the audit event, and the device's sequence; "
            "event loop and writer thread share one core."
        )
    p99 = r["push_open"]["64"]["p99_ms"]
    if p99 > TARGETS["open_p99_ms_at_64"]:
        missed.append(f"Open-loop p99 at 64 devices is {p99:.0f} ms, over the 150 ms target.")
    if r["ratio_to_reference"] < TARGETS["ratio_to_reference"]:
        missed.append("The ratio to the reference is below 0.25.")
    pull = r["pull"]["records_per_s"]
    if pull < TARGETS["pull_records_per_s"]:
        missed.append(f"Pull reached {pull:,.0f} records/s, under the 20,000 target.")
    p99 = r["openloop"][str(OPEN_LEVELS[-1])]["p99_ms"]
    if p99 > TARGETS["openloop_p99_ms_at_10000"]:
        missed.append(
            f"Open-loop p99 at 10,000 ops/s offered is {p99:.0f} ms, over the 50 ms target; "
            f"the highest offered rate within it was {sustained(r):,} ops/s."
        )
    return " ".join(missed) or "All targets met in this run."


def partial_table(r: dict[str, Any]) -> str:
    """The lines of a run of some phases only (``--only``)."""
    lines = []
    if "pull" in r:
        p = r["pull"]
        lines.append(
            f"pull: {p['records']:,} records in {p['pages']} pages, {p['seconds']:.2f} s, "
            f"{p['records_per_s']:,.0f} records/s (rounds: "
            + ", ".join(f"{v:,.0f}" for v in p["rounds"])
            + ")"
        )
    for n, v in r.get("push_closed", {}).items():
        lines.append(f"push, {n} devices, closed loop: {v['ops_per_s']:,.0f} ops/s")
    for n, v in r.get("push_open", {}).items():
        lines.append(
            f"push, {n} devices, open loop: p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms"
        )
    if "reference_closed_64" in r:
        ref = r["reference_closed_64"]["ops_per_s"]
        lines.append(f"reference, 64 devices, closed loop: {ref:,.0f} ops/s")
    if "openloop" in r:
        lines += ["", openloop_table(r)]
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(
        prog="bench/sync.py",
        description="Sync benchmark: push capacity and latency, pull, and a bare reference. "
        "A full run prints a table, writes bench/results/sync.json and the sync section of "
        "docs/performance.md. A run with --only prints its numbers (and, with --json, writes "
        "them) but leaves the results file and the docs alone.",
    )
    parser.add_argument(
        "--only",
        choices=PHASES,
        action="append",
        help="run only this phase (repeatable): push (closed and open loop), pull "
        "(20,000 records in pages of 500), reference (bare Litestar + aiosqlite, 64 devices), "
        "openloop (50-200 devices x one 50-op batch a second, p99 from the scheduled send "
        "time; target p99 <= 50 ms at 10,000 ops/s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        metavar="N",
        help="measure each phase N times and report the median round (default 1)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="with --only: also write the results document to PATH",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.json and not args.only:
        parser.error("--json goes with --only (a full run writes bench/results/sync.json)")
    return args


def main(argv: list[str]) -> int:
    """Run the benchmark; publish the results of a full run."""
    args = parse_args(argv)
    phases = tuple(p for p in PHASES if p in (args.only or PHASES))
    with tempfile.TemporaryDirectory(prefix="schouw-bench-") as tmp:
        results = measure(Path(tmp), phases, args.rounds)
    results["machine"] = machine()
    results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["rounds_per_measure"] = args.rounds
    results["load_average_1min"] = round(os.getloadavg()[0], 2)
    if args.only:
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(partial_table(results))
        return 0
    results["targets"] = TARGETS
    results["met"] = {name: met for name, _, _, met in verdicts(results)}
    results["notes"] = explain(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    write_doc(results)
    print(table(results))
    return 0


if __name__ == "__main__":
    # The load generator runs as a child process of this script (see ``loadgen``).
    if sys.argv[1:2] == ["loadgen"]:
        run_loadgen()
    else:
        raise SystemExit(main(sys.argv[1:]))
