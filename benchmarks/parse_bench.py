"""Time and peak memory of `geomap parse` (recognition + resolution, article cache bypassed), optionally
beside an older revision of geomap run the same way.

    .venv/bin/python benchmarks/parse_bench.py seeds/ [--baseline REV] [--runs 3]

Each run is a fresh process: `geomap parse PATHS --no-reuse -q` against a warm gazetteer and lookup cache
(built by a first, untimed run), so the figure is the steady cost of recognising and resolving. With
--baseline, REV is checked out into a temporary git worktree and run with this checkout's virtualenv;
the ratio current/baseline is printed. Wall time is the median of --runs; peak RSS from the OS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(src: Path, paths: list[str], cache_dir: Path) -> tuple[float, int]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "geomap", "parse", *paths, "--no-reuse", "-q", "--cache-dir", str(cache_dir)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS, in KiB on Linux
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return elapsed, usage.ru_maxrss


def measure(label: str, src: Path, paths: list[str], runs: int) -> float:
    with tempfile.TemporaryDirectory(prefix="geomap-bench-") as tmp:
        cache = Path(tmp)
        subprocess.run(
            [sys.executable, "-m", "geomap", "parse", *paths, "-q", "--cache-dir", str(cache)],
            env={**os.environ, "PYTHONPATH": str(src)}, cwd=ROOT, stdout=subprocess.DEVNULL, check=True,
        )
        times = []
        peak = 0
        for _ in range(runs):
            elapsed, rss = run_once(src, paths, cache)
            times.append(elapsed)
            peak = max(peak, rss)
    median = statistics.median(times)
    print(f"{label:<28} median {median:6.2f} s over {runs} runs (min {min(times):.2f}), peak RSS {peak / 1024:.0f} MB")
    return median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["seeds"])
    parser.add_argument("--baseline", metavar="REV", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    current = measure("current", ROOT, args.paths, args.runs)
    if args.baseline:
        with tempfile.TemporaryDirectory(prefix="geomap-baseline-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.baseline], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                baseline = measure(f"baseline {args.baseline}", tree, args.paths, args.runs)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        print(f"ratio current/baseline: {current / baseline:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
