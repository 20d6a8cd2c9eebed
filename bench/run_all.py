"""Run every benchmark in ``bench/`` in sequence (``make bench``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Benchmarks that need programs besides Python: the field app's one runs the app's npm
# libraries and Lighthouse in Chromium. Without them it is left out, and the run says so.
NEEDS = {"pwa.py": ("node", "npm", "chromium")}
BENCHES = [
    "sync.py",
    "photos.py",
    "pwa.py",
    "casefile.py",
    "partner.py",
    "workspace.py",
    "dashboards.py",
]


def main() -> int:
    """Run each benchmark script that exists; exit non-zero if any failed."""
    failed: list[str] = []
    for name in BENCHES:
        script = HERE / name
        if not script.exists():
            print(f"skip {name}: not present")
            continue
        missing = [tool for tool in NEEDS.get(name, ()) if shutil.which(tool) is None]
        if missing:
            print(f"skip {name}: needs {', '.join(missing)} (not found on PATH)")
            continue
        print(f"=== {name}", flush=True)
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
