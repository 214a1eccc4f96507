"""Computing on a Dask cluster (--dask): real Dask, no stand-ins. A LocalCluster of 2 worker processes, and a
`dask scheduler` with two `dask worker` processes started here, give the output of a single process; the cache
they fill serves later runs with or without Dask; a worker killed mid-run has its batches rerun; a bad or
unreachable address, a missing extra and a worker whose gazetteer differs are one clear line each."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from geomap.models import Article, ArticleResult, Skipped
from geomap.pipeline import Pipeline, Settings
from geomap.runner import BATCH_ARTICLES
from tests.conftest import REPO, SEEDS, dispatch_records, endless_articles, interruptible

ARTICLES = 6 * BATCH_ARTICLES  # six batches: enough to have batches in flight on both workers


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "corpus.jsonl"
    records = dispatch_records(ARTICLES, each=3, step=7)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def _geomap(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "geomap", *map(str, args)]


def _run(*args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_geomap(*args), capture_output=True, text=True, env=_env(**env), timeout=600)


@pytest.fixture(scope="module")
def single(corpus: Path, cache_dir_module: Path) -> str:
    """The corpus parsed by one process: what every Dask run must print."""
    run = _run("parse", corpus, "--cache-dir", cache_dir_module, "-q", "--no-reuse", "-j", "1")
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == ARTICLES
    return run.stdout


# ------------------------------------------------------------------ a LocalCluster of 2 processes


def test_local_cluster_prints_what_one_process_prints_and_fills_the_cache(
    corpus: Path, single: str, cache_dir: Path
) -> None:
    cold = _run("parse", corpus, "--cache-dir", cache_dir, "--dask", "local", "-j", "2", "-v")
    assert cold.returncode == 0, cold.stderr
    assert cold.stdout == single
    assert "computing on the Dask cluster at tcp://127.0.0.1:" in cold.stderr
    assert f"{ARTICLES} articles processed, 0 reused" in cold.stderr

    # the results came back to this machine's cache: a run without Dask computes nothing...
    local = _run("parse", corpus, "--cache-dir", cache_dir, "-j", "1", "-v")
    assert f"0 articles processed, {ARTICLES} reused from the cache" in local.stderr
    assert local.stdout == single
    # ...and neither does a Dask run, which then needs no cluster at all
    warm = _run("parse", corpus, "--cache-dir", cache_dir, "--dask", "local", "-v")
    assert f"0 articles processed, {ARTICLES} reused from the cache" in warm.stderr
    assert "computing on the Dask cluster" not in warm.stderr
    assert warm.stdout == single


def test_local_cluster_draws_the_same_map(cache_dir: Path, tmp_path: Path) -> None:
    outputs = []
    for name, how in (("one", ("-j", "1")), ("dask", ("--dask", "local", "-j", "2"))):
        run = _run(
            "map",
            SEEDS,
            "-o",
            tmp_path / name / "map.html",
            "--geojson",
            tmp_path / f"{name}.geojson",
            "--csv",
            tmp_path / f"{name}.csv",
            "--cache-dir",
            cache_dir,
            "--no-reuse",
            *how,
        )
        assert run.returncode == 0, run.stderr
        outputs.append(((tmp_path / f"{name}.geojson").read_bytes(), (tmp_path / f"{name}.csv").read_bytes()))
        outputs.append(sorted(p.name for p in (tmp_path / name / "map_files").glob("*.html")))
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    assert len(json.loads(outputs[0][0])["features"]) > 50


def test_an_article_that_fails_on_a_worker_is_skipped_with_its_reason(cache_dir: Path) -> None:
    from geomap.cluster import Expected, OnDask

    good = [Article(id=f"g{i}", text=f"Rain fell in Stockholm and in Lima, Peru, on day {i}.") for i in range(3)]
    broken = Article(id="broken", text=None, source="broken.txt")  # type: ignore[arg-type]  # the model raises
    with Pipeline(Settings(cache_dir=cache_dir)) as pipeline:
        expected = Expected.of(pipeline.gazetteer, pipeline.settings.model)
        executor = OnDask("local", pipeline._worker_config(), pipeline.resolve_options, expected, local_workers=1)
        try:
            [outcomes] = list(executor.map([[good[0], broken, *good[1:]]]))
        finally:
            executor.close()
    assert [isinstance(o, Skipped) for o in outcomes] == [False, True, False, False]
    assert isinstance(outcomes[1], Skipped) and outcomes[1].source == "broken.txt"
    assert outcomes[1].reason.startswith("internal error: ")
    assert all("Stockholm" in {r.mention.text for r in o if r.place} for o in outcomes[::2])  # type: ignore[union-attr]


def test_input_reaches_the_cluster_in_a_bounded_number_of_batches(cache_dir: Path) -> None:
    read = itertools.count()
    with Pipeline(Settings(cache_dir=cache_dir, dask="local", jobs=2)) as pipeline:
        results = pipeline._results(endless_articles(read))
        first = list(itertools.islice(results, 5))
        results.close()  # cancels what is in flight and stops the cluster
    assert [r.article.id for r in first if isinstance(r, ArticleResult)] == [f"n{i}" for i in range(5)]
    # 2 workers x 2 batches in flight, the two read ahead, and the one being cut: never the whole input
    assert next(read) <= 7 * BATCH_ARTICLES + 1


def test_workers_log_what_the_client_would(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    records = [{"id": f"p{i}", "text": f"Mr. Lyon said the talks in Paris went well, day {i}."} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run = _run("parse", path, "--cache-dir", cache_dir, "-vv", "--dask", "local", "-j", "2")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("not a place: 'Lyon'") == 20  # from the worker processes' stderr


def test_ctrl_c_cancels_the_cluster_and_keeps_what_was_finished(corpus: Path, cache_dir: Path) -> None:
    from geomap.cache import Cache

    proc = subprocess.Popen(
        _geomap("parse", corpus, "--cache-dir", cache_dir, "--dask", "local", "-j", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        bufsize=0,
        preexec_fn=interruptible,  # noqa: PLW1509 - signal dispositions only, before exec
    )
    assert proc.stdout is not None
    assert proc.stdout.readline()  # the first batch is back, the others are being computed
    proc.send_signal(signal.SIGINT)
    _, errors = proc.communicate(timeout=120)
    assert proc.returncode == 130, errors.decode()
    assert errors.decode().strip().splitlines() == [
        "Interrupted; finished work is cached, a re-run continues from there."
    ]
    cache = Cache.open(cache_dir)
    try:
        assert BATCH_ARTICLES <= int(cache.info()["articles"]) < ARTICLES
    finally:
        cache.close()


# ------------------------------------------------------------------ `dask scheduler` and `dask worker`


class _Cluster:
    """A `dask scheduler` and `dask worker` processes on 127.0.0.1, as an operator would start them."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.folder = folder
        self.logs: list[object] = []
        file = folder / "scheduler.json"
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)
        )
        deadline = time.monotonic() + 60
        while not file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]
        # no nanny: a killed worker stays dead, and the others must finish its batches
        self.workers = [
            self._start(
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--name",
                f"w{i}",
            )
            for i in range(workers)
        ]

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{args[0]}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=log, env=_env())

    def client(self) -> object:
        from distributed import Client

        client = Client(self.address, timeout=30, set_as_default=False)
        client.wait_for_workers(len(self.workers), timeout=60)
        return client

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            proc.kill()
            proc.wait(timeout=30)
        for log in self.logs:
            log.close()  # type: ignore[attr-defined]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[_Cluster]:
    started = _Cluster(tmp_path, workers=2)
    try:
        started.client().close()  # type: ignore[attr-defined]  # both workers joined
        yield started
    finally:
        started.stop()


def test_scheduler_and_workers_started_by_hand_survive_a_killed_worker(
    corpus: Path, single: str, cache_dir: Path, cluster: _Cluster
) -> None:
    watcher = cluster.client()
    proc = subprocess.Popen(
        _geomap("parse", corpus, "--cache-dir", cache_dir, "--dask", cluster.address, "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        bufsize=0,  # unbuffered: communicate() reads on
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first batch is back: the others are on the workers
    busy = {worker: keys for worker, keys in watcher.processing().items() if keys}  # type: ignore[attr-defined]
    pids = watcher.run(os.getpid)  # type: ignore[attr-defined]
    assert busy, "no batch was being computed when the worker was to be killed"
    victim = next(iter(busy))
    os.kill(pids[victim], signal.SIGKILL)
    rest, errors = proc.communicate(timeout=300)
    watcher.close()  # type: ignore[attr-defined]
    assert proc.returncode == 0, errors.decode()
    assert (first + rest).decode() == single
    assert sum(1 for w in cluster.workers if w.poll() is None) == 1  # the survivor did the killed one's work


def test_workers_with_another_gazetteer_refuse_to_compute(
    corpus: Path, writable_cache_dir: Path, gazetteer_dir: Path, cluster: _Cluster, tmp_path: Path
) -> None:
    from geomap.gazetteer import DEFAULT_FILENAME, Gazetteer
    from tests.test_gazetteer import geoname_row

    # the workers see the default gazetteer; the client's has a GeoNames file imported (it is another version)
    theirs = tmp_path / "worker-cache"
    theirs.mkdir()
    shutil.copy2(gazetteer_dir / DEFAULT_FILENAME, theirs / DEFAULT_FILENAME)
    dump = tmp_path / "AM.txt"
    dump.write_text(geoname_row(99000001, "Zorblatt", "", 39.51, 46.34, "P", "PPL", "AM", "08", 1200))
    with Gazetteer.open(writable_cache_dir) as gazetteer:
        gazetteer.import_geonames([dump])
    run = _run(
        "parse", corpus, "--cache-dir", writable_cache_dir, "--dask", cluster.address, "--dask-gazetteer", theirs
    )
    assert run.returncode == 1, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: Dask worker tcp://127.0.0.1:") and "its gazetteer" in last, run.stderr
    assert str(theirs) in last and "Traceback" not in run.stderr and run.stdout == ""
    # the workers given the client's own gazetteer folder compute (nothing is left set up from the failed run)
    good = _run("parse", corpus, "--cache-dir", writable_cache_dir, "--dask", cluster.address, "-q")
    assert good.returncode == 0, good.stderr
    assert "Zorblatt" not in good.stdout and len(good.stdout.splitlines()) == ARTICLES


def test_a_scheduler_that_dies_mid_run_is_one_error_line(corpus: Path, cache_dir: Path, cluster: _Cluster) -> None:
    proc = subprocess.Popen(
        _geomap("parse", corpus, "--cache-dir", cache_dir, "--dask", cluster.address),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s"),
        bufsize=0,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline()
    cluster.scheduler.kill()
    _, errors = proc.communicate(timeout=120)
    assert proc.returncode == 1
    lines = errors.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: the Dask cluster at {cluster.address} gave up a batch: ")


# ------------------------------------------------------------------ errors


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_scheduler_is_one_error_line_after_a_timeout(corpus: Path, cache_dir: Path) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    run = _run(
        "parse", corpus, "--cache-dir", cache_dir, "--dask", address, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="3s"
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: cannot reach the Dask scheduler at {address}: Timed out trying to connect to {address} after 3 s"
    ]
    assert time.monotonic() - started < 60
    assert run.stdout == ""


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1", "127.0.0.1:port"])
def test_a_malformed_address_is_a_usage_error(cache_dir: Path, address: str) -> None:
    run = _run("parse", SEEDS, "--cache-dir", cache_dir, "--dask", address)
    assert run.returncode == 2
    assert f"Invalid value for '--dask': '{address}' is not a Dask scheduler address" in run.stderr


def test_without_the_extra_the_option_says_what_to_install(cache_dir: Path, tmp_path: Path) -> None:
    # a Python where Dask is not installed: an import of `distributed` fails as it would there
    shadow = tmp_path / "no-dask"
    (shadow / "distributed").mkdir(parents=True)
    (shadow / "distributed" / "__init__.py").write_text("raise ImportError(\"No module named 'distributed'\")\n")
    env = {"PYTHONPATH": f"{shadow}{os.pathsep}{REPO}"}
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g", "text": "Rain in Lima.", "toponyms": []}) + "\n", encoding="utf-8")
    for command in (["parse", SEEDS], ["map", SEEDS, "-o", tmp_path / "m.html"], ["eval", gold]):
        run = subprocess.run(
            _geomap(*command, "--cache-dir", cache_dir, "--dask", "local"),
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            timeout=120,
        )
        assert run.returncode == 2, (command, run.stderr)
        assert "pip install 'geomap[dask]'" in run.stderr
    assert not (tmp_path / "m.html").exists()
