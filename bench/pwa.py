"""Field-app benchmark: app-shell size (uncompressed and as served, gzip), offline reload to a
visible "Vandaag" list, answer entry with the network blocked (input to IndexedDB commit),
in headless Chromium, and Lighthouse (mobile) on the login screen.

Targets (issue 5): shell <= 250 KB uncompressed; offline reload shows Vandaag in < 1 s;
entering an answer is never blocked by the network (we hold it to < 100 ms).
Targets (issue 12): Lighthouse performance >= 95 with CLS < 0.02, accessibility and best
practices 100 (median of LIGHTHOUSE_RUNS runs: the machine is shared, single runs vary).
Lighthouse 12 is pinned in bench/lighthouse/package.json and installed there on first use.
Writes ``bench/results/pwa.json`` and the pwa section of ``docs/performance.md``.
Reproduce: ``make bench`` or ``.venv/bin/python bench/pwa.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.settings import Settings  # noqa: E402
from tests.browser.app import log_in, open_app, open_checklist  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402
from tests.browser.seed import seed  # noqa: E402

PWA = ROOT / "pwa"
RESULTS = ROOT / "bench" / "results" / "pwa.json"
DOC = ROOT / "docs" / "performance.md"
SHELL_TARGET = 250 * 1024
RELOAD_TARGET_MS = 1000.0
ANSWER_TARGET_MS = 100.0
RELOADS = 9
ANSWERS = 40
LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE_RUNS = 3
LIGHTHOUSE_TARGETS = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0}
CLS_TARGET = 0.02

# Records when the first inspection card appears, measured from navigation start.
WATCH_VANDAAG = """
new MutationObserver((_, obs) => {
  if (document.querySelector('#today-list a.card-link')) {
    window.__vandaagMs = performance.now();
    obs.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

# One answer: click a radio, then wait for the op to be committed in the outbox (IndexedDB).
ANSWER_ONCE = """async ([option, seqBefore]) => {
  const store = await import('/js/store.js');
  const t0 = performance.now();
  document.getElementById('item-toegang-verleend--' + option).click();
  for (;;) {
    if (performance.now() - t0 > 10000) throw new Error('no op committed within 10 s');
    const box = await store.outbox();
    if (box.some(o => o.seq > seqBefore)) {
      return [performance.now() - t0, Math.max(...box.map(o => o.seq))];
    }
    await new Promise(r => setTimeout(r, 0));
  }
}"""


def shell_files() -> list[tuple[str, int]]:
    """Every file the app loads before it can show data, with its size in bytes."""
    files = [PWA / "index.html", PWA / "manifest.webmanifest", PWA / "sw.js"]
    files += sorted(p for d in ("css", "js") for p in (PWA / d).rglob("*") if p.is_file())
    out = [(str(p.relative_to(PWA)), p.stat().st_size) for p in files]
    tus = PWA / "node_modules/tus-js-client/dist/tus.min.js"
    out.append(("vendor/tus.min.js (tus-js-client 4.3.1)", tus.stat().st_size))
    return out


def gzip_bytes(files: list[tuple[str, int]]) -> int:
    """The shell as served: each file gzip-compressed the way server/web/static.py does."""
    import gzip

    total = 0
    for name, _ in files:
        path = (
            PWA / "node_modules/tus-js-client/dist/tus.min.js"
            if name.startswith("vendor/")
            else PWA / name
        )
        body = path.read_bytes()
        total += min(len(body), len(gzip.compress(body, compresslevel=9, mtime=0)))
    return total


def lighthouse() -> dict[str, Any]:
    """Lighthouse 12 (mobile preset, simulated throttling) on the login screen of a real
    server, LIGHTHOUSE_RUNS times with the system Chromium; the medians and every run."""
    import subprocess

    binary = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=LIGHTHOUSE_DIR,
            check=True,
        )
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        seed(Settings(data_dir=data_dir))
        server = Server(data_dir)
        server.start()
        try:
            for n in range(LIGHTHOUSE_RUNS):
                out = Path(tmp) / f"lh-{n}.json"
                subprocess.run(
                    [
                        str(binary),
                        server.url + "/",
                        "--output=json",
                        f"--output-path={out}",
                        "--only-categories=performance,accessibility,best-practices",
                        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                        "--quiet",
                    ],
                    env={**os.environ, "CHROME_PATH": CHROMIUM},
                    check=True,
                    timeout=300,
                )
                report = json.loads(out.read_text())
                audits = report["audits"]
                runs.append(
                    {
                        **{k: c["score"] for k, c in report["categories"].items()},
                        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
                        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
                        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
                        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 4),
                        "text_compression": audits["uses-text-compression"]["score"],
                        "version": report["lighthouseVersion"],
                    }
                )
        finally:
            server.stop()
    keys = ["performance", "accessibility", "best-practices", "lcp_ms", "fcp_ms", "tbt_ms", "cls"]
    median = {k: statistics.median(r[k] for r in runs) for k in keys}
    return {"lighthouse_runs": runs, "lighthouse_median": median}


def icon_bytes() -> int:
    """Icons are excluded from the budget (issue 5) but reported."""
    return sum(p.stat().st_size for p in (PWA / "icons").iterdir())


def measure_browser() -> dict[str, Any]:
    """Offline reload timings and answer-entry latencies in headless Chromium."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        world = seed(Settings(data_dir=data_dir))
        server = Server(data_dir)
        server.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                context, page = open_app(browser, server.url)
                log_in(page, "insp-a")
                page.add_init_script(WATCH_VANDAAG)
                server.stop()  # offline from here on: shell from the service worker
                reloads = []
                for _ in range(RELOADS):
                    page.goto("/#/vandaag")
                    page.reload()
                    page.wait_for_selector("#today-list a.card-link")
                    reloads.append(round(float(page.evaluate("window.__vandaagMs")), 1))
                page.route("**/api/**", lambda route: route.abort())  # belt and braces
                open_checklist(page, world.checklist_id)
                latencies = []
                seq = 0
                for i in range(ANSWERS):
                    ms, seq = page.evaluate(ANSWER_ONCE, ["yes" if i % 2 == 0 else "no", seq])
                    latencies.append(round(float(ms), 2))
                    page.wait_for_selector(
                        f"#item-toegang-verleend--{'yes' if i % 2 == 0 else 'no'}:checked"
                    )
                context.close()
                browser.close()
        finally:
            server.stop()
    return {"offline_reload_ms": reloads, "answer_commit_ms": latencies}


def _verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def doc_section(result: dict[str, Any]) -> str:
    """The markdown of the pwa section of docs/performance.md."""
    shell = result["shell_bytes"]
    reload_ms = result["offline_reload_median_ms"]
    answer_ms = result["answer_commit_p95_ms"]
    lh = result["lighthouse_median"]
    lh_runs = result["lighthouse_runs"]
    perf_scores = ", ".join(str(round(r["performance"] * 100)) for r in lh_runs)
    files = "\n".join(f"| `{name}` | {size:,} |" for name, size in result["shell_files"])
    reloads = result["offline_reload_ms"]
    rows = "\n".join(
        [
            "| app shell: HTML + CSS + JS + manifest + sw.js + vendored tus-js-client,"
            f" uncompressed | {shell:,} B ({shell / 1024:.1f} KiB) | <= 250 KiB"
            f" | {_verdict(shell <= SHELL_TARGET)} |",
            "| offline reload (server stopped) until the first Vandaag card is in the DOM,"
            f" median of {len(reloads)} | {reload_ms} ms (min {min(reloads)}, max {max(reloads)})"
            f" | < 1000 ms | {_verdict(reload_ms < RELOAD_TARGET_MS)} |",
            "| answer entry with the network blocked: click to op committed in IndexedDB"
            f" (durability strict), p95 of {len(result['answer_commit_ms'])} | {answer_ms} ms"
            f" (median {result['answer_commit_median_ms']}) | < 100 ms"
            f" | {_verdict(answer_ms < ANSWER_TARGET_MS)} |",
            f"| app shell as served (gzip) | {result['shell_gzip_bytes']:,} B"
            f" ({result['shell_gzip_bytes'] / 1024:.1f} KiB) | — | |",
            f"| Lighthouse {lh_runs[0]['version']} mobile, login screen: performance,"
            f" median of {len(lh_runs)} (runs: {perf_scores}) | {round(lh['performance'] * 100)}"
            f" | >= 95 | {_verdict(lh['performance'] >= LIGHTHOUSE_TARGETS['performance'])} |",
            f"| Lighthouse: largest contentful paint / first contentful paint / total blocking"
            f" time, medians | {lh['lcp_ms']} / {lh['fcp_ms']} / {lh['tbt_ms']} ms | — | |",
            f"| Lighthouse: cumulative layout shift, median | {lh['cls']} | < 0.02"
            f" | {_verdict(lh['cls'] < CLS_TARGET)} |",
            f"| Lighthouse: accessibility / best practices, medians"
            f" | {round(lh['accessibility'] * 100)} / {round(lh['best-practices'] * 100)}"
            f" | 100 / 100 | {_verdict(lh['accessibility'] >= 1 and lh['best-practices'] >= 1)} |",
        ]
    )
    return f"""## Field app (bench/pwa.py)

Measured {result["date"]} on {result["machine"]}, headless Debian Chromium
{result["chromium"]}. Reproduce: `make bench` or `.venv/bin/python bench/pwa.py`.

| what | result | target | |
|---|---:|---:|---|
{rows}

Icons ({result["icon_bytes"]:,} B) are outside the budget, as the issue states. axe-core is
only injected by the tests and never served. Shell files:

| file | bytes |
|---|---:|
{files}

Lighthouse runs with its mobile preset (simulated slow 4G and a 4x slower CPU) against a
seeded server, with Debian's Chromium; on this shared 2-core machine a single run's total
blocking time swings with the other work on it, hence the median of several runs. What got
the login screen there: the status parts of the header stay hidden until logged in (no
layout shift), the first paint already shows the largest text block, tus-js-client is
loaded only when a photo waits for upload, the service worker registers after `load`, and
the shell is served gzip-compressed with an ETag and a cache lifetime.

How it is measured: the reload time is `performance.now()` (from navigation start) when a
MutationObserver first sees an inspection card; the page is served by the service worker
and the data read from IndexedDB. The answer latency runs in the page: a click on a
ja/nee radio, until the outbox holds the new op; the edit and its op are one
`readwrite` transaction with `durability: "strict"`, and sync only starts afterwards
(debounced), so the network can never sit in this path.
"""


def write_doc(section: str) -> None:
    """Replace the pwa section of docs/performance.md."""
    text = DOC.read_text()
    start, end = "<!-- section:pwa -->", "<!-- /section:pwa -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{start}\n{section}{end}{tail}")


def chromium_version() -> str:
    """Version string of the Debian Chromium."""
    import subprocess

    out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().replace("Chromium ", "") or "unknown"


def main() -> int:
    """Measure, print a table, write JSON and the doc section."""
    files = shell_files()
    shell = sum(size for _, size in files)
    browser = measure_browser()
    lh = lighthouse()
    answers = sorted(browser["answer_commit_ms"])
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} CPU {platform.machine()}, Python {platform.python_version()}",
        "chromium": chromium_version(),
        "shell_bytes": shell,
        "shell_files": files,
        "icon_bytes": icon_bytes(),
        "shell_gzip_bytes": gzip_bytes(files),
        **browser,
        **lh,
        "offline_reload_median_ms": round(statistics.median(browser["offline_reload_ms"]), 1),
        "answer_commit_median_ms": round(statistics.median(answers), 2),
        "answer_commit_p95_ms": round(answers[int(len(answers) * 0.95) - 1], 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    write_doc(doc_section(result))
    table = [
        ("what", "result", "target"),
        ("app shell bytes", f"{shell:,}", f"{SHELL_TARGET:,}"),
        ("offline reload -> Vandaag, median ms", result["offline_reload_median_ms"], 1000),
        ("answer -> IndexedDB commit, p95 ms", result["answer_commit_p95_ms"], 100),
        ("shell as served (gzip) bytes", f"{result['shell_gzip_bytes']:,}", "-"),
        ("Lighthouse performance, median", lh["lighthouse_median"]["performance"], 0.95),
        ("Lighthouse CLS, median", lh["lighthouse_median"]["cls"], "< 0.02"),
        ("Lighthouse accessibility, median", lh["lighthouse_median"]["accessibility"], 1.0),
        ("Lighthouse best practices, median", lh["lighthouse_median"]["best-practices"], 1.0),
    ]
    for what, value, target in table:
        print(f"{what:<40} {value!s:>12} {target!s:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
