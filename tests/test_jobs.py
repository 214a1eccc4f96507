"""Worker processes (--jobs) and streaming: the same output whatever the number of processes, input read in
bounded batches, one failing article skipped with its reason while the others are mapped."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geomap.models import Article, ArticleResult, Skipped
from geomap.pipeline import Pipeline, Settings
from geomap.recognize import DEFAULT_MODEL
from geomap.runner import BATCH_ARTICLES, Worker, WorkerConfig, default_jobs
from tests.conftest import REPO, dispatch_records, endless_articles


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON Lines file of 3 batches' worth of distinct articles, with a copy of one of them."""
    path = tmp_path_factory.mktemp("jobs") / "corpus.jsonl"
    records = dispatch_records(3 * BATCH_ARTICLES - 5, each=2, step=5)
    records.insert(7, {**records[3], "id": "copy-of-a3"})  # a syndicated copy in the same batch
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _parse(corpus: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "geomap", "parse", str(corpus), "--cache-dir", str(cache), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "geojson"])
def test_output_is_the_same_whatever_the_number_of_processes(
    corpus: Path, cache_dir_module: Path, tmp_path: Path, fmt: str
) -> None:
    one = _parse(corpus, cache_dir_module, "-q", "--no-reuse", "-j", "1", "--format", fmt)
    two = _parse(corpus, cache_dir_module, "-q", "--no-reuse", "-j", "2", "--format", fmt)
    assert one.returncode == two.returncode == 0, (one.stderr, two.stderr)
    assert one.stdout == two.stdout and len(one.stdout) > 1000
    if fmt == "jsonl":
        records = [json.loads(line) for line in one.stdout.splitlines()]
        assert len(records) == 3 * BATCH_ARTICLES - 5  # the copy is merged into its first
        assert next(r for r in records if r["id"] == "a3")["also_sources"]
    if fmt == "geojson":
        assert json.loads(one.stdout)["type"] == "FeatureCollection"


def test_workers_fill_the_cache_a_later_run_reuses(corpus: Path, cache_dir: Path) -> None:
    cold = _parse(corpus, cache_dir, "-j", "2", "-v")
    assert cold.returncode == 0, cold.stderr
    warm = _parse(corpus, cache_dir, "-j", "1", "-v")
    assert f"0 articles processed, {3 * BATCH_ARTICLES - 5} reused from the cache" in warm.stderr
    assert warm.stdout == cold.stdout


def test_input_is_read_in_bounded_batches(cache_dir: Path) -> None:
    read = itertools.count()
    with Pipeline(Settings(cache_dir=cache_dir)) as pipeline:
        first = list(itertools.islice(pipeline._results(endless_articles(read)), 5))
    assert [r.article.id for r in first if isinstance(r, ArticleResult)] == [f"n{i}" for i in range(5)]
    assert next(read) <= 3 * BATCH_ARTICLES + 1  # two batches read ahead, and the one being cut


def test_an_article_that_fails_is_skipped_and_the_others_are_computed(cache_dir: Path) -> None:
    good = [Article(id=f"g{i}", text=f"Rain fell in Stockholm and in Lima, Peru, on day {i}.") for i in range(3)]
    broken = Article(id="broken", text=None, source="broken.txt")  # type: ignore[arg-type]  # the model raises
    worker = Worker(WorkerConfig(cache_dir, DEFAULT_MODEL, demonyms=False, countries=(), overrides=None))
    try:
        outcomes = worker.compute([good[0], broken, *good[1:]])
    finally:
        worker.close()
    assert [isinstance(o, Skipped) for o in outcomes] == [False, True, False, False]
    skipped = outcomes[1]
    assert isinstance(skipped, Skipped) and skipped.source == "broken.txt"
    assert skipped.reason.startswith("internal error: ")
    for outcome in outcomes[::2]:
        assert not isinstance(outcome, Skipped) and "Stockholm" in {r.mention.text for r in outcome if r.place}


def test_default_jobs_is_the_cpus_this_process_may_use() -> None:
    assert 1 <= default_jobs() <= len(os.sched_getaffinity(0))


def test_worker_processes_log_what_the_main_process_would(cache_dir: Path, tmp_path: Path) -> None:
    # -vv says why each dropped name was dropped; with workers, the workers say it
    path = tmp_path / "posts.jsonl"
    records = [{"id": f"p{i}", "text": f"Mr. Lyon said the talks in Paris went well, day {i}."} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run = _parse(path, cache_dir, "-vv", "-j", "2")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("not a place: 'Lyon'") == 20
