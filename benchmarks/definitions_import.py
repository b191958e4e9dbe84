"""What loading the Dagster definitions costs: `import vitra_assets.definitions` in a fresh interpreter,
as every step subprocess, the webserver's code server and the daemon pay it before doing any work.

For each tree it prints the import total from `python -X importtime` (the sum of the top-level
imports' cumulative times, the figure the goal of 1.5 s is about), the wall time of the import,
the peak RSS of the process, and which heavy libraries got loaded. Other jobs on a shared machine
make single timings noisy, so each tree is imported `--repeats` times and the fastest run is shown
(RSS barely varies). `--baseline REF` measures that git commit too (exported with `git archive` to a
temporary folder), e.g. `--baseline ed1851d` for the tree before lazy definitions.

Usage: .venv/bin/python benchmarks/definitions_import.py [--baseline REF] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "mediapipe", "mujoco", "mlflow", "transformers", "cv2", "tensorflow", "pandas", "scipy.signal")

# Run in the child: import the definitions, report wall time, peak RSS and the heavy modules loaded.
_PROBE = f"""
import json, resource, sys, time
start = time.perf_counter()
import vitra_assets.definitions
wall_s = time.perf_counter() - start
print("PROBE " + json.dumps({{"wall_s": wall_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                             "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def importtime_total_s(stderr: str) -> float:
    """Sum of the cumulative times of the top-level imports in `-X importtime` output (microseconds -> s)."""
    total_us = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if cumulative.strip().isdigit() and not name.startswith("  "):  # one leading space: top level
            total_us += int(cumulative)
    return total_us / 1e6


def measure(tree: Path) -> dict:
    """One fresh interpreter importing the definitions of `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", _PROBE], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    probe = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("PROBE "))[6:])
    return {"importtime_s": importtime_total_s(done.stderr), **probe}


def best_of(tree: Path, repeats: int) -> dict:
    runs = [measure(tree) for _ in range(repeats)]
    fastest = min(runs, key=lambda r: r["importtime_s"])
    return {**fastest, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def report(label: str, result: dict) -> None:
    heavy = ", ".join(result["heavy"]) or "none"
    print(f"{label:<10} importtime total {result['importtime_s']:.2f} s   wall {result['wall_s']:.2f} s   "
          f"peak RSS {result['peak_rss_mb']:.0f} MB   heavy libraries loaded: {heavy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="git commit to measure as 'before' (e.g. ed1851d)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            archive = subprocess.run(["git", "archive", args.baseline], cwd=REPO_ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
            report(f"before ({args.baseline})", best_of(Path(folder), args.repeats))
    report("now", best_of(REPO_ROOT, args.repeats))
    print("goal: importtime total under 1.5 s")


if __name__ == "__main__":
    main()
