"""Computing articles: one batch at a time, in this process, in worker processes (`--jobs N`) or on a Dask
cluster (`--dask`, geomap.cluster).

A `Worker` holds what one process needs to recognise and resolve articles (the spaCy model, the gazetteer, the
resolution options), built once per process from plain `WorkerConfig` data. An executor runs batches through
workers and yields their results in submission order, with a bounded number of batches in flight, so memory
follows the batch, not the corpus. The batches are cut the same way whatever the executor (`batches`), and a
batch's result depends only on its articles, so the output is the same whatever the number of processes.

An article whose computation raises is returned as a `Skipped` with the reason; the others go on.
"""

from __future__ import annotations

import functools
import itertools
import logging
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from geomap.errors import GeomapError
from geomap.gazetteer import Gazetteer
from geomap.models import Article, ArticleResult, Mention, Resolution, Skipped

if TYPE_CHECKING:
    from geomap.recognize import Recognizer
    from geomap.resolve import ResolveOptions

log = logging.getLogger(__name__)

BATCH_ARTICLES = 16  # articles per batch ...
BATCH_CHARS = 200_000  # ... or fewer, when they are long
WORKER_MEMORY_BYTES = 600_000_000  # what one worker may need (model, gazetteer pages, a batch): caps the default


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs to build its `Worker` (plain, picklable data)."""

    cache_dir: Path
    model: str
    demonyms: bool
    countries: tuple[str, ...]
    overrides: Path | None
    weights: Path | None = None  # resolver weights file; None: the shipped ones
    models: tuple[tuple[str, str], ...] = ()  # (language code, spaCy model) for articles in other languages


Outcome = tuple[Resolution, ...] | Skipped  # one article's resolutions, or why it could not be computed


class Worker:
    """Recognises and resolves articles; the model and the gazetteer are loaded once, on first use."""

    def __init__(
        self, config: WorkerConfig, *, gazetteer: Gazetteer | None = None, options: ResolveOptions | None = None
    ) -> None:
        """`options`: resolution options built elsewhere (a Dask worker gets the client's, so that the overrides
        and weights files need not exist where it runs); by default they are built from `config`."""
        from geomap.recognize import Recognizer
        from geomap.resolve import resolve_options

        self.config = config
        self._own_gazetteer = gazetteer is None
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.open(config.cache_dir)
        if options is None:
            options = resolve_options(config.countries, config.overrides, config.weights, self.gazetteer.place)
        self.options = options
        # Demonyms are always recognised: "the Indonesian island of Java" names Indonesia for resolution;
        # they are reported only when the settings ask for them.
        self.recognizer = Recognizer(self.gazetteer, model=config.model, demonyms=True)
        self.lookup: object = self.gazetteer  # where resolution gets candidates; an online fallback may wrap it
        self._models = dict(config.models)  # language -> the model that reads it, besides the default one
        self._other: dict[str, Recognizer] = {}  # language -> its model's recogniser, loaded when first needed

    def compute(self, articles: Sequence[Article]) -> list[Outcome]:
        """Each article's resolutions, in order. If the batch fails, each article is tried alone, so that only
        the article that fails is lost (as a `Skipped` naming the error)."""
        try:
            return list(self._compute(articles))
        except GeomapError:
            raise  # the run cannot go on (a geocoder or the cache failed), whatever the article
        except Exception:
            if len(articles) == 1:
                return [self._failed(articles[0])]
            return [outcome for article in articles for outcome in self.compute([article])]

    def _compute(self, articles: Sequence[Article]) -> Iterator[Outcome]:
        from geomap.resolve import resolve_article

        for article, mentions in self._recognized(articles):
            lookup = self.lookup if self._recognizer(article) is self.recognizer else self._other_lookup
            result = resolve_article(article, mentions, lookup, self.options)  # type: ignore[arg-type]
            resolutions = result.resolutions
            if not self.config.demonyms:
                resolutions = tuple(r for r in resolutions if r.mention.kind != "demonym")
            yield resolutions

    def _recognized(self, articles: Sequence[Article]) -> Iterator[tuple[Article, list[Mention]]]:
        """Each article with its mentions, in order, each read by the model of its language (consecutive
        articles of one language together, so that a batch of one language is one batch for its model)."""
        for recognizer, run in itertools.groupby(articles, key=self._recognizer):
            yield from recognizer.recognize(list(run))

    def _recognizer(self, article: Article) -> Recognizer:
        model = self._models.get(article.language or "")
        if model is None or model == self.config.model:
            return self.recognizer
        if article.language not in self._other:
            from geomap.recognize import Recognizer

            self._other[article.language or ""] = Recognizer(self._other_lookup, model=model, demonyms=True)
        return self._other[article.language or ""]

    @functools.cached_property
    def _other_lookup(self) -> Gazetteer:
        """The gazetteer with countries' names in other languages ("Deutschland") matched too."""
        return self.gazetteer.in_other_languages()

    @staticmethod
    def _failed(article: Article) -> Skipped:
        log.warning("computing %s failed", article.source or article.id, exc_info=True)
        import sys

        err = sys.exc_info()[1]
        return Skipped(article.source or article.id, f"internal error: {type(err).__name__}: {err}")

    def close(self) -> None:
        if self._own_gazetteer:
            self.gazetteer.close()


class Executor(Protocol):
    """Runs batches of articles and yields each batch's outcomes, in the order the batches came."""

    def map(self, batches: Iterable[list[Article]]) -> Iterator[list[Outcome]]: ...

    def close(self) -> None: ...


class InProcess:
    """Batches computed one after another by a worker in this process."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def map(self, batches: Iterable[list[Article]]) -> Iterator[list[Outcome]]:
        for batch in batches:
            yield self.worker.compute(batch)

    def close(self) -> None:
        self.worker.close()


# The worker of this process, when it is one of a pool's (built by the pool's initializer).
_WORKER: Worker | None = None


def _start_worker(config: WorkerConfig, log_level: int = logging.WARNING) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    # what the parent logs, the worker logs too (-vv's reasons for dropped names come from here)
    logging.basicConfig(level=log_level, format="%(levelname)s: %(message)s")
    _WORKER = Worker(config)


def _compute_in_worker(batch: list[Article]) -> list[Outcome]:
    assert _WORKER is not None, "the pool initializer did not run"
    return _WORKER.compute(batch)


class InProcesses:
    """Batches computed by `jobs` worker processes (each loads the model and opens the gazetteer once)."""

    def __init__(self, config: WorkerConfig, jobs: int) -> None:
        self.jobs = jobs
        context = multiprocessing.get_context("spawn")  # a clean process: no inherited connections or threads
        level = logging.getLogger().getEffectiveLevel()
        self._pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(config, level))

    def map(self, batches: Iterable[list[Article]]) -> Iterator[list[Outcome]]:
        pending: deque[Future[list[Outcome]]] = deque()
        try:
            for batch in batches:
                pending.append(self._pool.submit(_compute_in_worker, batch))
                if len(pending) >= 2 * self.jobs:  # a bounded number in flight: memory follows the batch
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as err:
            raise GeomapError(f"a worker process died ({err}); try fewer --jobs if memory is short") from err
        except BaseException:  # Ctrl-C, or the consumer stopped: do not wait for batches nobody will read
            self._stop()
            raise

    def _stop(self) -> None:
        processes = list(getattr(self._pool, "_processes", {}).values())
        manager = getattr(self._pool, "_executor_manager_thread", None)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        # Let the pool's manager thread see its workers gone and close its wake-up pipe now: left to finish
        # while the interpreter exits, it races concurrent.futures' exit hook, which then writes to the closed
        # pipe ("OSError: Bad file descriptor" after Ctrl-C, on a busy machine).
        if manager is not None:
            manager.join(timeout=10)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def batches(
    articles: Iterable[Article], size: int = BATCH_ARTICLES, chars: int = BATCH_CHARS
) -> Iterator[list[Article]]:
    """Consecutive batches of at most `size` articles and (unless one article is longer) `chars` characters."""
    batch: list[Article] = []
    length = 0
    for article in articles:
        if batch and (len(batch) >= size or length + len(article.text) > chars):
            yield batch
            batch, length = [], 0
        batch.append(article)
        length += len(article.text)
    if batch:
        yield batch


def default_jobs() -> int:
    """The CPUs this process may use, fewer if the memory available would not hold that many workers."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    available = _available_memory()
    if available is not None:
        cpus = min(cpus, max(1, available // WORKER_MEMORY_BYTES))
    return max(1, cpus)


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def to_result(article: Article, outcome: Outcome) -> ArticleResult | Skipped:
    return outcome if isinstance(outcome, Skipped) else ArticleResult(article, outcome)
