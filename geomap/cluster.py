"""Computing articles on a Dask cluster (`--dask ADDRESS`): the batches of `--jobs`, another executor.

`OnDask` is an `runner.Executor`: it sends the same batches (`runner.batches`) to Dask workers, keeps a bounded
number in flight and yields their outcomes in submission order, so the output and the cache are those of a local
run. Each Dask worker builds one `runner.Worker` (model loaded, gazetteer opened) when geomap's worker plugin is
registered, and computes one batch at a time with it. The resolution options travel with the plugin (the user's
overrides and weights files need not exist on the workers); the gazetteer is opened on each worker from a folder
the workers can see (a shared copy, or one built there from the package data), and a worker whose gazetteer, code
or model differs from the client's refuses to compute, since its results would not be the ones the client caches.

Dask does the rest: a worker that dies has its batches rerun on the others; `local` starts a `LocalCluster` of
worker processes on this machine; `tcp://HOST:PORT` joins a running scheduler (on SSH hosts, Kubernetes or an HPC
scheduler through dask-jobqueue: the client does not change).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import dask.config
from distributed import Client, Future, LocalCluster, WorkerPlugin, get_worker
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from geomap.errors import GeomapError, UsageError
from geomap.gazetteer import Gazetteer
from geomap.models import Article
from geomap.resolve import ResolveOptions
from geomap.runner import Outcome, Worker, WorkerConfig

log = logging.getLogger(__name__)

LOCAL = "local"  # the address that starts a LocalCluster on this machine
WORKERS_TIMEOUT = 60.0  # seconds a scheduler may take to have a first worker before the run gives up
IN_FLIGHT_PER_THREAD = 2  # batches in flight per worker thread: enough to keep workers busy, memory bounded


def check_address(address: str) -> str:
    """`local`, `SCHEME://HOST:PORT` or `HOST:PORT`; anything else is a usage error naming the valid forms."""
    if address == LOCAL:
        return address
    _, _, location = address.rpartition("://")
    host, colon, port = location.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise UsageError(f"{address!r} is not a Dask scheduler address: tcp://HOST:PORT, or '{LOCAL}'")
    return address


@dataclass(frozen=True)
class Expected:
    """What a worker must have for its results to be the client's: the same gazetteer, code and model."""

    gazetteer: str  # Gazetteer.version
    code: str  # pipeline.code_version()
    model: str  # pipeline.model_version(model)

    @classmethod
    def of(cls, gazetteer: Gazetteer, model: str) -> Expected:
        from geomap.pipeline import code_version, model_version

        return cls(gazetteer.version, code_version(), model_version(model))


class _Setup(WorkerPlugin):  # type: ignore[misc]  # distributed is not typed
    """geomap's set-up on one Dask worker: its `runner.Worker`, built once, used by one batch at a time."""

    def __init__(self, config: WorkerConfig, options: ResolveOptions, expected: Expected, log_level: int) -> None:
        self.config = config
        self.options = options
        self.expected = expected
        self.log_level = log_level
        self.worker: Worker | None = None
        self.problem = ""
        self.lock = threading.Lock()  # spaCy's pipeline is not for concurrent use: one batch at a time

    def setup(self, worker: Any) -> None:
        _log_like_the_client(self.log_level)
        try:
            self.worker = Worker(self.config, options=self.options)
            self.problem = _mismatch(self.worker, self.expected)
        except Exception as err:  # reported to the client with the first batch, which cannot be computed here
            self.problem = f"cannot set up geomap: {type(err).__name__}: {err}"

    def teardown(self, worker: Any) -> None:
        if self.worker is not None:
            self.worker.close()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("worker", "lock")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, worker=None, lock=threading.Lock())


def _log_like_the_client(level: int) -> None:
    """What the client logs, the worker logs too, on its own stderr (-vv's reasons for dropped names)."""
    geomap_log = logging.getLogger("geomap")
    geomap_log.setLevel(level)
    if not geomap_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        geomap_log.addHandler(handler)
        geomap_log.propagate = False  # not also through a handler Dask may have put on the root


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def _quiet_dask() -> None:
    """Dask's client logs (reconnection tracebacks, say) only with -vv: the run's errors are said once, as ours.
    Dask sets levels on several of its loggers, so each is set, not only the parent."""
    for name in ["distributed", *logging.Logger.manager.loggerDict]:
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _mismatch(worker: Worker, expected: Expected) -> str:
    found = Expected.of(worker.gazetteer, worker.config.model)
    for what, mine, theirs in zip(
        ("gazetteer", "geomap code", "spaCy model"), found.__dict__.values(), expected.__dict__.values(), strict=True
    ):
        if mine != theirs:
            where = f" ({worker.gazetteer.path})" if what == "gazetteer" else ""
            return f"its {what}{where} is version {mine}, the client's is {theirs}"
    return ""


def _compute_on_worker(batch: list[Article], plugin: str) -> list[Outcome]:
    """Run on a Dask worker: one batch through the worker's geomap set-up."""
    dask_worker = get_worker()
    setup = dask_worker.plugins.get(plugin)
    if not isinstance(setup, _Setup):
        raise GeomapError(f"Dask worker {dask_worker.address} has no geomap set-up")
    if setup.problem or setup.worker is None:
        raise GeomapError(f"Dask worker {dask_worker.address}: {setup.problem or 'not set up'}")
    with setup.lock:
        return setup.worker.compute(batch)


class OnDask:
    """Batches computed on a Dask cluster, in order, a bounded number in flight. It connects (or starts the
    local cluster) on the first batch that has articles to compute, so a run served from the cache needs none."""

    def __init__(
        self, address: str, config: WorkerConfig, options: ResolveOptions, expected: Expected, *, local_workers: int
    ) -> None:
        self.address = check_address(address)
        self.local_workers = local_workers
        self._plugin = _Setup(config, options, expected, logging.getLogger("geomap").getEffectiveLevel())
        self._name = f"geomap-{uuid.uuid4().hex[:12]}"  # one per run: runs sharing a cluster keep their own set-up
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._in_flight = IN_FLIGHT_PER_THREAD

    def map(self, batches: Iterable[list[Article]]) -> Iterator[list[Outcome]]:
        pending: deque[Future | list[Outcome]] = deque()
        try:
            for batch in batches:
                pending.append(self._submit(batch) if batch else [])
                if len(pending) >= self._in_flight:
                    yield self._result(pending.popleft())
            while pending:
                yield self._result(pending.popleft())
        except BaseException:  # Ctrl-C, an error, or the consumer stopped: nobody will read the rest
            futures = [f for f in pending if isinstance(f, Future)]
            if futures and self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.cancel(futures)
            raise

    def _submit(self, batch: list[Article]) -> Future:
        client = self._connect()
        return client.submit(_compute_on_worker, batch, self._name, pure=False)

    def _result(self, item: Future | list[Outcome]) -> list[Outcome]:
        if isinstance(item, list):
            return item
        try:
            return item.result()  # type: ignore[no-any-return]
        except KilledWorker as err:
            raise GeomapError(
                f"a batch of articles killed several Dask workers in turn ({_one_line(err)}); is memory short?"
            ) from err
        except FutureCancelledError as err:
            raise GeomapError(f"the Dask cluster at {self.address} gave up a batch: {_one_line(err)}") from err

    def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        if log.getEffectiveLevel() > logging.DEBUG:
            _quiet_dask()
        try:
            if self.address == LOCAL:
                self._cluster = LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # Dask's own warnings and errors (a cancelled task, a worker's heartbeat failing as the
                    # cluster shuts down after Ctrl-C) only when the user asks for detail: geomap says what failed
                    silence_logs=logging.WARNING if log.getEffectiveLevel() <= logging.DEBUG else logging.CRITICAL,
                )
                self._client = Client(self._cluster, set_as_default=False)
            else:
                timeout = dask.config.get("distributed.comm.timeouts.connect")
                self._client = Client(self.address, timeout=timeout, set_as_default=False)
                self._client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (OSError, TimeoutError) as err:
            self.close()
            raise GeomapError(f"cannot reach the Dask scheduler at {self.address}: {_one_line(err)}") from err
        log.info("computing on the Dask cluster at %s", self._client.scheduler.address)
        try:
            self._client.register_plugin(self._plugin, name=self._name)
        except Exception as err:  # a worker could not even unpickle it: geomap is missing there, say
            self.close()
            raise GeomapError(
                f"the Dask workers at {self.address} cannot set up geomap (is the same geomap installed there?): "
                f"{type(err).__name__}: {_one_line(err)}"
            ) from err
        threads = sum(self._client.nthreads().values())
        self._in_flight = IN_FLIGHT_PER_THREAD * max(1, threads)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            if self._cluster is None:  # a shared cluster: free the model and gazetteer this run loaded there
                with contextlib.suppress(Exception):
                    self._client.unregister_worker_plugin(self._name)
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None
