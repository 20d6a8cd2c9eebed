"""Partner API benchmark: change feed paging, case summaries under concurrency, webhook
delivery, and push throughput with notification clients registered.

Targets (issue: partner API): change feed >= 20,000 events/s paged; case summary p99 <= 100 ms
with 20 concurrent clients on a 5,000-case database; webhook delivery to a local receiver
>= 200 events/s; with 10 clients registered for notifications, push throughput at 64 devices
(the closed loop of ``bench/sync.py``) drops by <= 10 %.

The server is a real uvicorn process (uvloop, httptools, ``synchronous=FULL``) pinned to CPU 0;
this process (clients, webhook receiver) and the push load generator run on CPU 1. Besides wall
clock rates each phase reports the server's CPU time per unit (``/proc/<pid>/stat``), which the
other builds on a shared machine disturb much less. ``--help`` lists the options. A full run
prints a table, writes ``bench/results/partner.json`` and the partner section of
``docs/performance.md``; a run with ``--only`` leaves both alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sync as syncbench  # noqa: E402
from server.admin.common import connect, write  # noqa: E402
from server.partners.clients import clear_webhook, set_webhook  # noqa: E402
from server.partners.webhooks import new_secret  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.live_server import LiveServer, free_port, uvicorn_command  # noqa: E402
from tests.partner_support import insert_client, put_answer  # noqa: E402
from tests.support import insert_user, seed_agencies  # noqa: E402
from tests.sync_support import World, insert_case, publish_test_template  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "partner.json"
DOC = ROOT / "docs" / "performance.md"
SECRET = "partner-secret-0123456789"
CASES = 5000
UPDATES = 20_000
FEED_PAGE = 5000
CONCURRENCY = 20
SUMMARY_REQUESTS = 3000
NOTIFY_CLIENTS = 10
NOTIFY_CASES = 1000
PUSH_DEVICES = 64
PUSH_SECONDS = 4.0
PHASES = ("feed", "summary", "delivery", "push")
TARGETS = {
    "feed_events_per_s": 20_000,
    "summary_p99_ms": 100,
    "delivery_per_s": 200,
    "push_ratio": 0.90,
}
AGENCIES = ["gemeente-groningen", "politie", "belastingdienst", "nla", "nvwa", "brandweer"]
SERVER_ENV = {
    "SCHOUW_PARTNER_RATE_LIMIT": "1000000",
    "SCHOUW_WEBHOOK_ALLOW_LOOPBACK_HTTP": "1",
    "SCHOUW_WEBHOOK_COALESCE_MS": "10000",
}
BOOT = (
    "import os, runpy, sys; tree = sys.argv[1]; os.chdir(tree); sys.path.insert(0, tree);"
    " sys.argv = ['uvicorn', *sys.argv[2:]]; runpy.run_module('uvicorn', run_name='__main__')"
)
"""Starts uvicorn with the ``server`` package of another checkout (``--server-tree``)."""


# ---------------------------------------------------------------- setup


def seed(data_dir: Path) -> dict[str, Any]:
    """5,000 cases of two or three agencies each, answers, then 20,000 interleaved updates."""
    conn = connect(Settings(data_dir=data_dir))
    rng = random.Random(7)

    def fn(c: sqlite3.Connection) -> dict[str, Any]:
        seed_agencies(c)
        publish_test_template(c)
        lead = insert_user(c, "lead", "gemeente-groningen", ["teamlead"])
        worlds: list[World] = []
        for n in range(CASES):
            others = rng.sample(AGENCIES[1:], rng.choice([1, 2]))
            world = insert_case(
                c,
                agencies=["gemeente-groningen", *others],
                inspectors=[],
                creator=lead,
                reference=f"RIT-2026-{n:05d}",
            )
            world.users = {"lead": lead}
            for agency in world.checklists:
                put_answer(c, world, agency, "open", "ja")
                put_answer(c, world, agency, "opmerking", "tekst " * 20)
            worlds.append(world)
        for n in range(UPDATES):
            world = worlds[rng.randrange(CASES)]
            put_answer(c, world, "gemeente-groningen", "aantal", n % 100)
        feed = insert_client(c, "gemeente-groningen", ["cases:read", "changes:read"], SECRET)
        return {"cases": [w.case_id for w in worlds], "client": feed}

    out: dict[str, Any] = write(conn, fn)
    out["changes"] = conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0]
    conn.close()
    return out


def start(data_dir: Path, tree: Path | None, env: dict[str, str] | None = None) -> LiveServer:
    """The server on CPU 0 (uvloop, httptools); ``tree``: run another checkout's code."""
    options = ("--loop", "uvloop", "--http", "httptools", "--no-access-log")

    def command(port: int) -> list[str]:
        if tree is None:
            return [*syncbench.pinned(0), *uvicorn_command(port, *options)]
        args = uvicorn_command(port, *options)[3:]  # after "python -m uvicorn"
        return [*syncbench.pinned(0), sys.executable, "-c", BOOT, str(tree), *args]

    return LiveServer(data_dir, env={**SERVER_ENV, **(env or {})}, command=command).start()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def on_cpu1() -> Iterator[None]:
    """Run this process on CPU 1 (the server has CPU 0) while measuring."""
    if not syncbench.pinned(1):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {1})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def token(url: str, client_id: str) -> dict[str, str]:
    """A bearer header for ``client_id``."""
    raw = base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()
    with httpx.Client(base_url=url, timeout=60) as http:
        resp = http.post(
            "/api/partner/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {raw}"},
        )
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def median_round(rounds: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The round with the median ``key`` (the lower middle one), plus every round's value."""
    ordered = sorted(rounds, key=lambda r: r[key])
    return {**ordered[(len(ordered) - 1) // 2], "rounds": [r[key] for r in rounds]}


# ---------------------------------------------------------------- phases


def feed(url: str, pid: int, headers: dict[str, str], rows: int) -> dict[str, Any]:
    """Read the whole change feed in pages of 5,000 feed rows, as a partner catching up."""
    events = pages = 0
    cursor = None
    with httpx.Client(base_url=url, timeout=120) as http, on_cpu1():
        cpu0, start = cpu_seconds(pid), time.perf_counter()
        while True:
            params: dict[str, Any] = {"limit": FEED_PAGE} | ({"cursor": cursor} if cursor else {})
            resp = http.get("/api/partner/v1/changes", params=params, headers=headers)
            resp.raise_for_status()
            page = resp.json()
            events += len(page["events"])
            pages += 1
            cursor = page["cursor"]
            if not page["more"]:
                break
        seconds, cpu = time.perf_counter() - start, cpu_seconds(pid) - cpu0
    return {
        "events": events,
        "rows": rows,
        "pages": pages,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "rows_per_s": rows / seconds,
        "server_cpu_s": cpu,
        "server_cpu_us_per_event": cpu / events * 1e6,
        "load_average": os.getloadavg()[0],
    }


async def _summaries(url: str, headers: dict[str, str], case_ids: list[str]) -> dict[str, Any]:
    rng = random.Random(11)
    latencies: list[float] = []
    errors = 0
    queue = [rng.choice(case_ids) for _ in range(SUMMARY_REQUESTS)]

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while queue:
            case_id = queue.pop()
            t0 = time.perf_counter()
            async with http.get(f"{url}/api/partner/v1/cases/{case_id}", headers=headers) as r:
                await r.read()
                errors += r.status != 200
            latencies.append((time.perf_counter() - t0) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        start = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "requests": len(latencies),
        "errors": errors,
        "per_s": len(latencies) / seconds,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1],
    }


def summaries(url: str, pid: int, headers: dict[str, str], case_ids: list[str]) -> dict[str, Any]:
    """3,000 summary calls from 20 concurrent clients (each calls again at once)."""
    with on_cpu1():
        cpu0 = cpu_seconds(pid)
        out = asyncio.run(_summaries(url, headers, case_ids))
        cpu = cpu_seconds(pid) - cpu0
    return {
        **out,
        "server_cpu_ms_per_request": cpu / out["requests"] * 1000,
        "load_average": os.getloadavg()[0],
    }


class Receiver:
    """A local webhook receiver (aiohttp) on its own thread; counts what arrives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.arrivals: list[float] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def handle(request: web.Request) -> web.Response:
            await request.read()
            self.arrivals.append(time.perf_counter())
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/hook", handle)
        runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._ready.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    def wait_for(self, count: int, timeout: float) -> None:
        """Until ``count`` notifications arrived or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.05)


def register(data_dir: Path, agency: str, url: str, names: list[str]) -> list[str]:
    """Clients of ``agency`` with the ``notifications`` scope and an endpoint at ``url``."""
    conn = connect(Settings(data_dir=data_dir))

    def fn(c: sqlite3.Connection) -> list[str]:
        ids = []
        for name in names:
            client = insert_client(c, agency, ["notifications"], SECRET, name)
            set_webhook(c, client, url, new_secret(), timedelta(0))
            ids.append(client)
        return ids

    ids: list[str] = write(conn, fn)
    conn.close()
    return ids


def endpoints(data_dir: Path, clients: list[str], url: str | None) -> None:
    """Register ``url`` (a fresh secret each) for ``clients``, or clear their endpoints."""
    conn = connect(Settings(data_dir=data_dir))

    def fn(c: sqlite3.Connection) -> None:
        for client in clients:
            if url is None:
                clear_webhook(c, client)
            else:
                set_webhook(c, client, url, new_secret(), timedelta(0))

    write(conn, fn)
    conn.close()


def delivery(data_dir: Path, pid: int, round_no: int) -> dict[str, Any]:
    """10 registered clients; one change to each of 1,000 cases; time until all arrived."""
    expected = NOTIFY_CASES * NOTIFY_CLIENTS
    with Receiver() as receiver, on_cpu1():
        names = [f"hook-{round_no}-{n}" for n in range(NOTIFY_CLIENTS)]
        clients = register(data_dir, "gemeente-groningen", receiver.url, names)
        time.sleep(1.0)  # the worker sees the subscribers and skips to the present
        conn = connect(Settings(data_dir=data_dir))
        worlds = conn.execute(
            "SELECT case_id, id FROM checklists WHERE agency_id = 'gemeente-groningen'"
            " ORDER BY case_id LIMIT ?",
            (NOTIFY_CASES,),
        ).fetchall()
        lead = conn.execute("SELECT id FROM users LIMIT 1").fetchone()[0]

        def change(c: sqlite3.Connection) -> None:
            for case_id, checklist_id in worlds:
                world = World(case_id, "", {"gemeente-groningen": checklist_id}, {"lead": lead})
                put_answer(c, world, "gemeente-groningen", "aantal", 99)

        cpu0, start = cpu_seconds(pid), time.perf_counter()
        write(conn, change)
        receiver.wait_for(expected, 300)  # fewer arrivals are reported, not hidden
        got = len(receiver.arrivals)
        seconds = (receiver.arrivals[-1] if got else time.perf_counter()) - start
        cpu = cpu_seconds(pid) - cpu0
        conn.close()
        endpoints(data_dir, clients, None)
    return {
        "notifications": got,
        "expected": expected,
        "seconds": seconds,
        "per_s": got / seconds if seconds > 0 else 0.0,
        "server_cpu_ms_per_notification": cpu / max(1, got) * 1000,
        "load_average": os.getloadavg()[0],
    }


def push(tmp: Path, tree: Path | None, rounds: int) -> dict[str, Any]:
    """Closed-loop push of 64 devices (``bench/sync.py``), alternately with no notification
    client and with 10 clients registered at a live receiver (order rotated per round)."""
    data_dir = tmp / "push-data"
    world = syncbench.seed(data_dir, PUSH_DEVICES)
    devices = [{**d, "seq": 1} for d in world["devices"][:PUSH_DEVICES]]
    server = start(data_dir, tree)
    out: list[dict[str, Any]] = []
    try:
        with Receiver() as receiver, on_cpu1():
            names = [f"push-hook-{n}" for n in range(NOTIFY_CLIENTS)]
            clients = register(data_dir, "gemeente-groningen", receiver.url, names)
            endpoints(data_dir, clients, None)
            for r in range(rounds):
                cell: dict[str, Any] = {"round": r + 1}
                for mode in ("none", "ten") if r % 2 == 0 else ("ten", "none"):
                    if mode == "ten":
                        endpoints(data_dir, clients, receiver.url)
                        time.sleep(0.5)  # the worker sees its subscribers
                    arrived = len(receiver.arrivals)
                    cpu0 = cpu_seconds(server.pid)
                    result = syncbench.loadgen(
                        {
                            "mode": "closed",
                            "url": f"{server.url}/api/v1/sync/push",
                            "devices": devices,
                            "seconds": PUSH_SECONDS,
                        }
                    )
                    cell[f"{mode}_cpu_us_per_op"] = (
                        (cpu_seconds(server.pid) - cpu0) / max(1, result["ops_total"]) * 1e6
                    )
                    for d in devices:
                        d["seq"] = result["seqs"].get(d["device_id"], d["seq"])
                    cell[mode] = result["ops_per_s"]
                    if mode == "ten":
                        time.sleep(1.0)  # what the phase queued arrives
                        cell["notifications"] = len(receiver.arrivals) - arrived
                        endpoints(data_dir, clients, None)
                cell["ratio"] = cell["ten"] / max(1.0, cell["none"])
                cell["load_average"] = os.getloadavg()[0]
                out.append(cell)
    finally:
        server.stop()
    return {"rounds": out, "median_ratio": statistics.median(c["ratio"] for c in out)}


def measure(
    tmp: Path, phases: tuple[str, ...], rounds: int, tree: Path | None = None
) -> dict[str, Any]:
    """Run the chosen phases (each ``rounds`` times; median round reported)."""
    results: dict[str, Any] = {"load_average_start": os.getloadavg()[0]}
    if set(phases) & {"feed", "summary", "delivery"}:
        data_dir = tmp / "data"
        t0 = time.perf_counter()
        world = seed(data_dir)
        results["seed_seconds"] = time.perf_counter() - t0
        results["cases"], results["changes"] = CASES, world["changes"]
        server = start(data_dir, tree)
        try:
            headers = token(server.url, world["client"])
            if "feed" in phases:
                runs = [
                    feed(server.url, server.pid, headers, world["changes"]) for _ in range(rounds)
                ]
                results["feed"] = median_round(runs, "events_per_s")
            if "summary" in phases:
                runs = [
                    summaries(server.url, server.pid, headers, world["cases"])
                    for _ in range(rounds)
                ]
                results["summary"] = median_round(runs, "p99_ms")
            if "delivery" in phases:
                runs = [delivery(data_dir, server.pid, n) for n in range(rounds)]
                results["delivery"] = median_round(runs, "per_s")
        finally:
            server.stop()
    if "push" in phases:
        results["push"] = push(tmp, tree, max(rounds, 2))
    results["load_average_end"] = os.getloadavg()[0]
    return results


# ---------------------------------------------------------------- report


def verdicts(r: dict[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(what, measured, goal, met) for each target the run measured."""
    out = []
    if "feed" in r:
        f = r["feed"]["events_per_s"]
        out.append(
            (
                f"change feed events/s (pages of {FEED_PAGE:,} feed rows)",
                f"{f:,.0f}",
                f">= {TARGETS['feed_events_per_s']:,}",
                f >= TARGETS["feed_events_per_s"],
            )
        )
    if "summary" in r:
        s = r["summary"]["p99_ms"]
        out.append(
            (
                f"case summary p99, {CONCURRENCY} concurrent clients",
                f"{s:.1f} ms",
                f"<= {TARGETS['summary_p99_ms']} ms",
                s <= TARGETS["summary_p99_ms"],
            )
        )
    if "delivery" in r:
        d = r["delivery"]["per_s"]
        out.append(
            (
                f"webhook deliveries/s ({NOTIFY_CLIENTS} clients)",
                f"{d:,.0f}",
                f">= {TARGETS['delivery_per_s']}",
                d >= TARGETS["delivery_per_s"],
            )
        )
    if "push" in r:
        p = r["push"]["median_ratio"]
        out.append(
            (
                f"push at {PUSH_DEVICES} devices, {NOTIFY_CLIENTS} notification clients vs none",
                f"{p:.3f}",
                f">= {TARGETS['push_ratio']}",
                p >= TARGETS["push_ratio"],
            )
        )
    return out


def lines(r: dict[str, Any]) -> list[str]:
    """The measured details, one bullet per phase."""
    out = []
    if "feed" in r:
        f = r["feed"]
        out.append(
            f"- Feed: {f['events']:,} events from {f['rows']:,} feed rows in {f['pages']} "
            f"pages, {f['seconds']:.2f} s: {f['events_per_s']:,.0f} events/s, "
            f"{f['rows_per_s']:,.0f} feed rows/s; server CPU {f['server_cpu_s']:.2f} s "
            f"({f['server_cpu_us_per_event']:.0f} µs per event); rounds (events/s): "
            + ", ".join(f"{v:,.0f}" for v in f["rounds"])
            + f"; load {f['load_average']:.1f}."
        )
    if "summary" in r:
        s = r["summary"]
        out.append(
            f"- Summaries: {s['requests']:,} requests, {s['per_s']:,.0f}/s, p50 "
            f"{s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms, "
            f"{s['errors']} errors; server CPU {s['server_cpu_ms_per_request']:.2f} ms per "
            "request (token check, summary, audit event); rounds (p99 ms): "
            + ", ".join(f"{v:.0f}" for v in s["rounds"])
            + f"; load {s['load_average']:.1f}."
        )
    if "delivery" in r:
        d = r["delivery"]
        out.append(
            f"- Webhooks: {d['notifications']:,} of {d['expected']:,} notifications in "
            f"{d['seconds']:.2f} s; server CPU {d['server_cpu_ms_per_notification']:.2f} ms per "
            "notification; rounds (per s): "
            + ", ".join(f"{v:,.0f}" for v in d["rounds"])
            + f"; load {d['load_average']:.1f}."
        )
    if "push" in r:
        for c in r["push"]["rounds"]:
            out.append(
                f"- Push round {c['round']}: no client {c['none']:,.0f} ops/s "
                f"({c['none_cpu_us_per_op']:.0f} µs CPU per op), 10 clients {c['ten']:,.0f} "
                f"ops/s ({c['ten_cpu_us_per_op']:.0f} µs CPU per op, {c['notifications']:,} "
                f"notifications), ratio {c['ratio']:.3f}; load {c['load_average']:.1f}."
            )
    return out


def table(r: dict[str, Any]) -> str:
    """The details and the verdict table."""
    head = []
    if "changes" in r:
        head.append(
            f"{r['cases']:,} cases, {r['changes']:,} change-feed rows (seeded in "
            f"{r['seed_seconds']:.0f} s). Load average (1 min) at start and end: "
            f"{r['load_average_start']:.1f} / {r['load_average_end']:.1f}."
        )
        head.append("")
    rows = ["| target | measured | goal | met |", "|---|---:|---:|:---:|"]
    for name, value, goal, met in verdicts(r):
        rows.append(f"| {name} | {value} | {goal} | {'yes' if met else '**no**'} |")
    return "\n".join([*head, *lines(r), "", *rows])


NOTES = """\
**What is counted.** A feed *event* is one entry of a page as the partner receives it: one
case with the types of its changes in that page (changes of a case within a page coalesce).
That is what a partner processes (one summary to re-read per entry), so the target is judged
on events emitted, the stricter count; the feed rows consumed per second are shown beside it
(a page covers 5,000 feed rows: about 1,300 entries in the interleaved updates, a few hundred
in the seeded history, where each case's rows are adjacent). Every feed page, summary and
notification runs through the real server and writes its audit event (`synchronous=FULL`;
concurrent calls share a commit). The push phase alternates rounds without and with 10
notification clients (order rotated) and judges the median ratio.

**Where the time goes.** Wall-clock rates follow the machine's load (other builds share
both cores; the server then gets only part of CPU 0), so each phase also reports the server's
CPU per unit, which moves much less. A feed page is one SQL statement per page and agency
(visibility as SQL conditions): 20-30 µs of server CPU per event, i.e. 33,000-50,000 events
per second of one core. On a quieter machine (load 1.1-1.6) the feed ran at 27,000-46,000 events/s
per round in two full runs;
at load averages 5-8 the same code gave 12,000-19,000. Before this work the feed decided
visibility per row in Python (105-124 µs per event in the same bench) and notifications were
sent with httpx (3.2-4.2 ms of CPU per notification, 139-190/s) instead of aiohttp (0.3-0.4
ms). A summary costs 0.9-1.4 ms of server CPU (HTTP, token check, the projection, the audit
event; about 0.1 ms of it the audit write; concurrent calls share one commit): p99 27-33 ms
at load 2, 84-192 ms at load 5-8, where pauses of 150-200 ms hit all 20 clients at once
(the process descheduled or the writer's WAL checkpoint; not pinned down).
With 10 notification clients, pushes pay for one fill a second (a page's feed rows grouped per
case and event type in SQL on a reader, under 1 µs per feed row, plus one small write) and the
deliveries (about 0.3 ms of CPU each, nearly all of it aiohttp; 640 per phase here, 64 cases x
10 clients, and 1,280 when the previous phase's coalesced notifications fall due in this one),
on the one core the server shares with the pushes. Before the fill was grouped and batched
(2026-12-07, load 1.6) the median ratio was 0.842 (rounds 0.78-0.96); afterwards three runs at
load 1.0-1.6 gave 0.899, 0.974 and the 0.908 above, with single rounds from 0.73 to 1.19:
the target holds at the median, by a small margin, and the median extra server CPU per op in
the run above is 4 %. Sending notifications from a process of its own, off the pushing core,
is the next step if the margin matters; it is not built."""


def write_doc(r: dict[str, Any]) -> None:
    """Replace (or add) the partner section of docs/performance.md."""
    m = r["machine"]
    body = "\n".join(
        [
            "<!-- section:partner -->",
            "## Partner API (bench/partner.py)",
            "",
            f"Measured {r['date']} on {m['cpus']} x {m['cpu']}, Python {m['python']}, SQLite "
            f"{m['sqlite']}; server (uvicorn, uvloop) pinned to CPU 0, clients, webhook "
            "receiver and push load generator on CPU 1; the machine was shared with other "
            "builds. Reproduce: `.venv/bin/python bench/partner.py` (`--help` for options).",
            "",
            table(r),
            "",
            NOTES,
            "<!-- /section:partner -->",
        ]
    )
    text = DOC.read_text()
    if "<!-- section:partner -->" in text:
        begin = text.index("<!-- section:partner -->")
        end = text.index("<!-- /section:partner -->") + len("<!-- /section:partner -->")
        text = text[:begin] + body + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    DOC.write_text(text)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(
        prog="bench/partner.py",
        description="Partner API benchmark. A full run prints a table, writes "
        "bench/results/partner.json and the partner section of docs/performance.md; a run "
        "with --only prints its numbers (and, with --json, writes them) and leaves both alone.",
    )
    parser.add_argument(
        "--only",
        choices=PHASES,
        action="append",
        help="run only this phase (repeatable): feed (the whole feed in pages of 5,000 rows), "
        "summary (20 concurrent clients), delivery (10 clients x 1,000 cases), push (64 "
        "devices with and without 10 notification clients, alternating)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        metavar="N",
        help="measure each phase N times and report the median round (push: N alternating "
        "pairs, at least 2; default 3)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="with --only: write here")
    parser.add_argument(
        "--server-tree",
        type=Path,
        metavar="DIR",
        help="run the server from another checkout of this repository (before/after "
        "comparisons in one session); the data is seeded by this checkout",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.json and not args.only:
        parser.error("--json goes with --only (a full run writes bench/results/partner.json)")
    return args


def main(argv: list[str], run: Callable[..., dict[str, Any]] = measure) -> int:
    """Run the benchmark and publish (a full run) or print (``--only``) the results."""
    args = parse_args(argv)
    phases = tuple(p for p in PHASES if p in (args.only or PHASES))
    with tempfile.TemporaryDirectory(prefix="schouw-bench-partner-") as tmp:
        result = run(Path(tmp), phases, args.rounds, args.server_tree)
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["machine"] = syncbench.machine()
    result["targets"] = TARGETS
    print(table(result))
    if args.only:
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
        return 0
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
