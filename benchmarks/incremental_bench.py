"""How much a re-run saves: 1,000 articles mapped cold, re-run with nothing changed, then with 10 added.

    .venv/bin/python benchmarks/incremental_bench.py [--articles 1000] [--added 10] [--command parse|map]
                                                     [--gazetteer-dir DIR] [--keep DIR]

The articles are generated from the shared eval texts (../shared/eval/*.jsonl) and the seeds' paragraphs:
the eval texts as they are, then each again after a different seed paragraph, so every article has its
own content hash. They are written as .txt files into a temporary folder. Each run is a fresh process
(`geomap parse FOLDER -v`, stdout discarded; or `geomap map ... -o` with --command map), timed on the
wall clock:

1. gazetteer build into an empty cache dir (skipped with --gazetteer-dir: copy a built one instead);
2. cold: a cache dir holding only the gazetteer, so every article is recognised and resolved;
3. warm: the same command again, nothing changed (target: >= 20x faster than cold);
4. added: --added new articles written into the folder, the command again.

The processed/reused counts are read from the run's own `-v` log line, so a figure is never reported
for a run that did not reuse what it should have. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SEEDS = ROOT / "seeds"
GAZETTEER_FILENAME = "gazetteer.sqlite"
COUNTS = re.compile(r"(\d+) articles processed, (\d+) reused from the cache")


def eval_texts() -> list[str]:
    texts = []
    for corpus in sorted(EVAL.glob("*.jsonl")):
        for line in corpus.read_text(encoding="utf-8").splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def seed_paragraphs() -> list[str]:
    """The seeds' longer paragraphs (headlines, bylines and bullet lines left out)."""
    paragraphs = []
    for seed in sorted(SEEDS.glob("*.txt")):
        for block in seed.read_text(encoding="utf-8").split("\n"):
            block = block.strip()
            if len(block) > 200:
                paragraphs.append(block)
    return paragraphs


def generate(n: int) -> list[str]:
    """`n` distinct article texts: eval texts, then eval texts each led by a different seed paragraph."""
    texts, paragraphs = eval_texts(), seed_paragraphs()
    out: list[str] = []
    seen: set[str] = set()
    round_ = 0
    while len(out) < n:
        for i, text in enumerate(texts):
            if round_:
                text = paragraphs[(i + round_ * 7) % len(paragraphs)] + "\n\n" + text
            if text not in seen:
                seen.add(text)
                out.append(text)
            if len(out) == n:
                break
        round_ += 1
    return out


def write_articles(folder: Path, texts: list[str], start: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts, start=start):
        (folder / f"article-{i:05d}.txt").write_text(text, encoding="utf-8")


def run(args: list[str]) -> tuple[float, str]:
    """Wall time of one fresh `geomap` process, and its stderr."""
    cmd = [sys.executable, "-m", "geomap", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed, proc.stderr


def counts(stderr: str) -> tuple[int, int]:
    found = COUNTS.search(stderr)
    if found is None:
        raise SystemExit(f"no processed/reused line in the run's log:\n{stderr[-2000:]}")
    return int(found.group(1)), int(found.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--added", type=int, default=10)
    parser.add_argument("--command", choices=["parse", "map"], default="parse")
    parser.add_argument("--gazetteer-dir", type=Path, help="copy the gazetteer from here instead of building")
    parser.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    opts = parser.parse_args()

    work = opts.keep or Path(tempfile.mkdtemp(prefix="geomap-incremental-"))
    try:
        bench(opts, work)
    finally:
        if opts.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def bench(opts: argparse.Namespace, work: Path) -> None:
    texts = generate(opts.articles + opts.added)
    folder, cache = work / "articles", work / "cache"
    write_articles(folder, texts[: opts.articles], start=0)
    size = sum(len(t.encode()) for t in texts[: opts.articles])
    print(f"{opts.articles} articles, {size / 1e3:.0f} kB of text, in {folder}")

    cache.mkdir(parents=True, exist_ok=True)
    if opts.gazetteer_dir:
        shutil.copy2(opts.gazetteer_dir / GAZETTEER_FILENAME, cache / GAZETTEER_FILENAME)
        print(f"gazetteer  copied from {opts.gazetteer_dir}")
    else:
        seconds, _ = run(["gazetteer", "info", "--cache-dir", str(cache)])
        print(f"gazetteer  build (first use of an empty cache dir): {seconds:7.1f} s")

    command = [opts.command, str(folder), "--cache-dir", str(cache), "-v"]
    if opts.command == "map":
        command += ["-o", str(work / "out" / "map.html")]

    cold, log = run(command)
    report("cold", cold, counts(log), (opts.articles, 0))
    warm, log = run(command)
    report("warm", warm, counts(log), (0, opts.articles))
    write_articles(folder, texts[opts.articles :], start=opts.articles)
    added, log = run(command)
    report(f"+{opts.added}", added, counts(log), (opts.added, opts.articles))
    print(f"cold / warm = {cold / warm:.1f}x (target >= 20x)")


def report(label: str, seconds: float, found: tuple[int, int], expected: tuple[int, int]) -> None:
    """One line of figures; stops if the run did not process/reuse what it should have (e.g. the code
    changed between runs, which changes the pipeline fingerprint)."""
    processed, reused = found
    total = processed + reused
    if found != expected:
        raise SystemExit(f"{label}: {processed} processed and {reused} reused, expected {expected}")
    print(
        f"{label:<10} {seconds:7.1f} s   {processed:5d} processed, {reused:5d} reused"
        f"   ({total / seconds:7.1f} articles/s)"
    )


if __name__ == "__main__":
    main()
