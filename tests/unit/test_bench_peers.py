"""The pure parts of ``bench/peers.py`` (``make bench-peers``): no Node, no install, no timing.

``/proc/<pid>/stat`` parsing and process-tree CPU, the round rotation, the per-round ratios and
their verdicts, the ratio table and the docs section it writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench import peers

# A real line's shape: the command name holds a space and parentheses; utime 250, stime 50,
# cutime 7, cstime 3 (fields 14-17), ppid 4300 (field 4).
STAT = (
    "4321 (node (tus) x) S 4300 4321 4321 0 -1 4194560 3041 12 0 0 250 50 7 3 20 0 11 0"
    " 1234567 1100000000 20000 18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 0 0"
    " 0 0 0 0 0 0 0 0 0 0 0"
)


def stat(pid: int, ppid: int, ticks: int, child_ticks: int = 0) -> peers.ProcStat:
    return peers.ProcStat(pid=pid, ppid=ppid, ticks=ticks, child_ticks=child_ticks)


def test_parse_stat_reads_ppid_and_cpu_past_a_name_with_parentheses() -> None:
    assert peers.parse_stat(STAT) == stat(4321, 4300, 300, 10)


@pytest.mark.parametrize(
    "line",
    ["", "garbage", "4321 (node) S 4300 4321", "x (node) " + "1 " * 20, "4321 node S " + "1 " * 20],
)
def test_parse_stat_refuses_what_is_not_a_stat_line(line: str) -> None:
    with pytest.raises(ValueError, match="not a /proc/<pid>/stat line"):
        peers.parse_stat(line)


def test_parse_stat_reads_this_process() -> None:
    own = peers.parse_stat(Path("/proc/self/stat").read_text())
    assert (own.pid, own.ppid) == (os.getpid(), os.getppid())


def test_tree_cpu_counts_descendants_and_their_reaped_children_only() -> None:
    stats = [
        stat(1, 0, 5000),
        stat(10, 1, 100, child_ticks=40),  # the server; 40 ticks of reaped workers
        stat(11, 10, 30),  # a live worker
        stat(12, 10, 20),
        stat(13, 12, 5, child_ticks=1),  # a grandchild
        stat(20, 1, 999),  # unrelated
    ]
    assert [s.pid for s in peers.descendants(stats, 10)] == [10, 11, 12, 13]
    assert peers.tree_cpu_ticks(stats, 10) == 100 + 40 + 30 + 20 + 5 + 1
    assert peers.tree_cpu_ticks(stats, 13) == 6
    assert peers.tree_cpu_ticks(stats, 99) == 0  # gone: nothing to count


def test_descendants_of_this_process_include_a_live_child() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        pids = [s.pid for s in peers.descendants(peers.proc_stats(), os.getpid())]
        assert pids[0] == os.getpid()
        assert child.pid in pids
    finally:
        child.communicate(b"")


def test_rotation_moves_every_server_through_every_position() -> None:
    names = ("schouw", "pouchdb", "reference")
    orders = [peers.rotated(names, r) for r in range(4)]
    assert orders == [
        ["schouw", "pouchdb", "reference"],
        ["pouchdb", "reference", "schouw"],
        ["reference", "schouw", "pouchdb"],
        ["schouw", "pouchdb", "reference"],
    ]


def cell(r: int, server: str, rate: float, cpu: float, load: float = 1.0) -> dict[str, Any]:
    return {"round": r, "server": server, "rate": rate, "cpu_per_unit": cpu, "load_after": load}


CELLS = [
    cell(1, "schouw", 300, 1.0, 0.5),
    cell(1, "pouchdb", 100, 4.0, 0.7),
    cell(2, "pouchdb", 100, 2.0),
    cell(2, "schouw", 150, 1.0),
    cell(3, "schouw", 200, 2.0),
    cell(3, "pouchdb", 100, 2.0, 2.5),
    cell(4, "schouw", 999, 9.0),  # its peer cell is missing: the round is left out
]


def test_compare_takes_ratios_per_round_then_their_median_and_range() -> None:
    row = peers.compare(CELLS, "schouw", "pouchdb")
    assert row["ratio"] == {"median": 2.0, "min": 1.5, "max": 3.0, "rounds": [3.0, 1.5, 2.0]}
    assert row["cpu_ratio"]["rounds"] == [0.25, 0.5, 1.0]
    assert row["cpu_ratio"]["median"] == 0.5
    assert row["ours_rate"]["median"] == 200
    assert (row["load_average"]["min"], row["load_average"]["max"]) == (0.5, 2.5)


def test_compare_without_a_common_round_is_an_error() -> None:
    with pytest.raises(ValueError, match="no round measured both"):
        peers.compare(CELLS, "schouw", "reference")


@pytest.mark.parametrize(
    ("ratio", "cpu_ratio", "ratio_min", "cpu_max", "expected"),
    [
        (3.6, 0.9, 3.5, None, "met"),
        (2.8, 0.28, 3.5, None, "met on CPU per unit"),  # 0.28 <= 1 / 3.5
        (2.8, 0.30, 3.5, None, "missed"),
        (0.4, 1.9, 0.5, 2.0, "met on CPU per unit"),
        (0.4, 2.1, 0.5, 2.0, "missed"),
        (1.0, 5.0, 1.0, None, "met"),
    ],
)
def test_verdict(
    ratio: float, cpu_ratio: float, ratio_min: float, cpu_max: float | None, expected: str
) -> None:
    assert peers.verdict(ratio, cpu_ratio, ratio_min, cpu_max) == expected


def results() -> dict[str, Any]:
    row = peers.compare(CELLS, "schouw", "pouchdb")
    row["verdict"] = peers.verdict(row["ratio"]["median"], row["cpu_ratio"]["median"], 3.5, None)
    return {
        "comparisons": {"push_vs_pouchdb": row},
        "rss": {
            "schouw": {
                "idle_mib": 63.0,
                "peak_mib": 161.0,
                "growth_mib": 98.0,
                "growth_rss_mib": 120.0,
            },
            "tus-node": {
                "idle_mib": 58.0,
                "peak_mib": 110.0,
                "growth_mib": 52.0,
                "growth_rss_mib": 53.0,
            },
            "met": False,
        },
        "date": "2026-12-07 07:10 UTC",
        "machine": {"cpus": 2, "cpu": "Test CPU", "python": "3.11.7", "sqlite": "3.40.1"},
        "versions": {
            "node": "v20.20.2",
            "pouchdb-server": "4.2.0",
            "pouchdb-adapter-leveldb": "7.3.1",
            "@tus/server": "2.4.5",
            "@tus/file-store": "2.1.1",
        },
        "rounds": 3,
        "load_average_1min": [1.2, 1.6],
    }


def test_table_has_the_measured_rows_with_targets_and_verdicts() -> None:
    text = peers.table(results())
    lines = text.splitlines()
    assert len(lines) == 4  # header, rule, one comparison, memory
    push = lines[2]
    assert "`_bulk_docs`" in push
    assert "| 2.00x (1.50-3.00) | 0.500 (0.250-1.00) | 200 ops/s | 100 ops/s | 0.50-2.50 |" in push
    assert push.endswith("| >= 3.5x (CPU <= 0.286) | **missed** |")
    assert "+98 MiB vs +52 MiB (RSS +120 vs +53)" in lines[3]
    assert lines[3].endswith("| Schouw <= 64 MB (61 MiB) | **missed** |")


def test_write_doc_appends_the_section_once_then_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nBefore.\n")
    monkeypatch.setattr(peers, "DOC", doc)
    r = results()
    peers.write_doc(r)
    first = doc.read_text()
    assert first.startswith("# Performance\n\nBefore.\n\n<!-- section:peers -->\n")
    assert first.endswith("<!-- /section:peers -->\n")
    assert "1-minute load average 1.2 at the start and 1.6 at the end" in first
    doc.write_text(first + "\n## After\n")
    r["load_average_1min"] = [0.3, 0.4]
    peers.write_doc(r)
    second = doc.read_text()
    assert second.count("<!-- section:peers -->") == 1
    assert "load average 0.3 at the start" in second
    assert "1.2 at the start" not in second
    assert second.startswith("# Performance\n\nBefore.\n\n") and second.endswith("## After\n")


def test_help_only_prints_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_install() -> dict[str, str]:
        raise AssertionError("--help must not install or run anything")

    monkeypatch.setattr(peers, "install", no_install)
    with pytest.raises(SystemExit) as exit_:
        peers.main(["--help"])
    assert exit_.value.code == 0
    assert "--rounds N" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--rounds", "0"], ["--only", "photos"]])
def test_bad_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        peers.parse_args(argv)
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_kib_field_reads_status_and_smaps_rollup_lines() -> None:
    status = "Name:\tpython\nVmHWM:\t  90000 kB\nVmRSS:\t   81234 kB\n"
    rollup = "55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:  81234 kB\nPss:  40321 kB\n"
    assert peers.kib_field(status, "VmRSS") == 81234
    assert peers.kib_field(rollup, "Pss") == 40321
    assert peers.kib_field(rollup, "Pss_Anon") == 0  # absent: nothing counted


def test_tree_memory_of_this_process_has_pss_at_most_rss() -> None:
    memory = peers.tree_memory_mib(os.getpid())
    assert 0 < memory["pss"] <= memory["rss"]


def test_tree_memory_lists_this_process_with_its_own_share() -> None:
    totals, each = peers.tree_memory(os.getpid())
    assert each[0]["pid"] == os.getpid()
    assert each[0]["ppid"] == os.getppid()
    assert 0 < each[0]["pss_mib"] <= each[0]["rss_mib"]
    assert sum(p["pss_mib"] for p in each) == pytest.approx(totals["pss"], abs=0.1 * len(each))


def _proc(pid: int, ppid: int, pss: float, command: str) -> dict[str, Any]:
    return {"pid": pid, "ppid": ppid, "pss_mib": pss, "rss_mib": pss, "command": command}


def test_growth_by_process_names_each_place_in_the_tree() -> None:
    fork = "python -B -c from multiprocessing.forkserver import main; main(9, 10)"
    idle = [
        _proc(100, 1, 51.0, "python -m uvicorn --factory server.app:create_app"),
        _proc(101, 100, 7.0, "python -B -c from multiprocessing.resource_tracker import main"),
        _proc(102, 100, 8.0, fork),
        _proc(103, 102, 7.0, fork),
    ]
    peak = [idle[0] | {"pss_mib": 53.5}, idle[1], idle[2], _proc(104, 102, 33.0, fork)]
    lines = peers.growth_by_process({"idle": idle, "at_peak": peak})
    assert lines == [
        "server 100: 53.5 MiB (idle 51.0, +2.5)",
        "resource tracker 101: 7.0 MiB (idle 7.0, +0.0)",
        "fork server 102: 8.0 MiB (idle 8.0, +0.0)",
        "photo worker 104: 33.0 MiB (started since idle, +33.0)",
    ]


def test_a_push_batch_becomes_bulk_docs_with_one_new_document_per_op() -> None:
    from bench import sync

    batch = sync.make_batch("device-1", "checklist-1", seq0=11, n=5)
    ops = json.loads(batch)["ops"]
    docs = json.loads(sync.couch_docs(batch))["docs"]
    assert [d["_id"] for d in docs] == [op["op_id"] for op in ops]
    assert all(d["device_id"] == "device-1" for d in docs)
    assert [d["seq"] for d in docs] == [11, 12, 13, 14, 15]
    assert {d["op"] for d in docs} == {"set_answer", "add_note"}


def test_tree_memory_names_commands_relative_to_the_checkout() -> None:
    """The results file is committed: a command line holds no path of this machine."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; time.sleep(30)", str(peers.ROOT / "bench")]
    )
    try:
        cmdline = Path(f"/proc/{child.pid}/cmdline")
        while b"time.sleep" not in cmdline.read_bytes():  # until the child has exec'd
            time.sleep(0.01)
        totals, each = peers.tree_memory(os.getpid())
        [mine] = [p for p in each if p["pid"] == child.pid]
        assert mine["command"].endswith(" bench"), mine["command"]
        assert str(peers.ROOT) not in mine["command"]
        assert totals["pss"] > 0
    finally:
        child.kill()
        child.wait()
