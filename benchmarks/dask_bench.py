"""A Dask cluster beside --jobs on one machine: what distributing costs and gives.

    .venv/bin/python benchmarks/dask_bench.py [--runs 3] [--corpus ../shared/eval/lgl-dev.jsonl]

Each figure is the median wall time of N fresh `geomap parse CORPUS --no-reuse -q` processes (the gazetteer
built and warm beforehand), with the peak RSS of the largest process the run waited for (the client, or a
worker process it started):

* `-j 1`                     this process alone;
* `-j 2`                     two worker processes (concurrent.futures);
* `--dask local -j 2`        a LocalCluster of 2 worker processes, started and stopped by each run;
* `--dask tcp://...`         a `dask scheduler` and 2 `dask worker` processes (1 thread each) started once by
                             this script, as on a real cluster: each run pays only for its set-up on the workers
                             (model load, gazetteer open), not for starting them.

On a 2-core machine the cluster cannot beat --jobs 2; the figures say what Dask's overhead is, which is what
a run on more machines has to pay back. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from speed_bench import DEFAULT_CORPUS, ROOT, geomap, median_of


def _start(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    log = open(folder / f"{args[0]}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - lives with the process
    return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=log, cwd=ROOT)


def _cluster(folder: Path, workers: int) -> tuple[str, list[subprocess.Popen[bytes]]]:
    file = folder / "scheduler.json"
    procs = [_start(folder, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(file))]  # fmt: skip
    while not file.is_file():
        time.sleep(0.2)
    address = str(json.loads(file.read_text())["address"])
    procs += [_start(folder, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1")
              for _ in range(workers)]  # fmt: skip
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    articles = sum(1 for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip())
    with tempfile.TemporaryDirectory(prefix="geomap-dask-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        subprocess.run(geomap("gazetteer", "info", "--cache-dir", cache), cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip  # built once, untimed
        address, procs = _cluster(folder, 2)
        try:
            base = geomap("parse", args.corpus, "--no-reuse", "-q", "--cache-dir", cache)
            print(f"## {articles} articles of {args.corpus.name} (median of {args.runs}; "
                  f"{len(os.sched_getaffinity(0))} CPUs here)")  # fmt: skip
            print(f"{'how':<34} {'seconds':>8} {'articles/s':>10} {'vs -j 1':>8} {'peak RSS MB':>13}")
            one = None
            for label, extra in (
                ("-j 1", ["-j", "1"]),
                ("-j 2", ["-j", "2"]),
                ("--dask local -j 2", ["--dask", "local", "-j", "2"]),
                ("--dask tcp:// (2 running workers)", ["--dask", address]),
            ):
                seconds, rss = median_of(args.runs, [*base, *extra])
                one = one or seconds
                print(f"{label:<34} {seconds:>8.2f} {articles / seconds:>10.1f} {one / seconds:>7.2f}x {rss:>13.0f}")
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
