"""Compose the stages: read -> recognise -> resolve (through the cache) -> results. No printing here.

Library use::

    from pathlib import Path
    from geomap.pipeline import Pipeline, Settings

    with Pipeline(Settings(cache_dir=Path("cache"))) as pipeline:
        run = pipeline.run(["seeds/"])
    for result in run.articles:
        for r in result.resolved:
            print(r.mention.text, "->", r.place.label)
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geomap.cache import Cache, CachedLookup, result_from_dict, result_to_dict
from geomap.gazetteer import Gazetteer
from geomap.inputs import ReadOptions, content_hash, deduplicate, read_inputs
from geomap.language import detect, language_name, model_language, model_meta
from geomap.models import Article, ArticleResult, Lookup, Mention, Place, RunResult, Skipped
from geomap.overrides import Overrides
from geomap.recognize import DEFAULT_MODEL
from geomap.resolve import ResolveOptions, rank_query, resolve_article, resolve_options
from geomap.runner import BATCH_ARTICLES, Executor, InProcesses, Outcome, Worker, WorkerConfig, batches, to_result

if TYPE_CHECKING:
    from geomap.geocoders import OnlineLookup  # geopy is imported only when an online geocoder is asked for

log = logging.getLogger(__name__)

# Bump when the meaning of cached article results changes in a way the code hash below cannot see.
PIPELINE_VERSION = "1"


def code_files() -> list[Path]:
    """The modules whose logic decides an article's results. The gazetteer's queries (gazetteer/store.py) are
    among them; its build is not, since the gazetteer's own version, also in the cache key, covers that."""
    from geomap import cues, geo, namekeys, names, prominence, recognize, resolve, runner
    from geomap.gazetteer import store

    modules = (recognize, resolve, cues, geo, names, namekeys, prominence, runner, store)
    return [Path(module.__file__ or "") for module in modules]


def code_version() -> str:
    """A hash of `code_files()`: editing any of them invalidates the cached article results."""
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


Progress = Callable[[int, "int | None"], None]  # (articles done, articles in all: None until all are read)


@dataclass(frozen=True)
class Settings:
    cache_dir: Path = Path("cache")
    model: str = DEFAULT_MODEL
    demonyms: bool = False  # recognise "Iranian" etc. and link them to their country
    countries: tuple[str, ...] = ()  # soft bias towards these countries (ISO alpha-2)
    read: ReadOptions = field(default_factory=ReadOptions)
    reuse_articles: bool = True  # reuse cached per-article results when nothing changed
    # Opt-in online geocoder (a geopy service name such as "nominatim") asked, through the cache,
    # only for names the gazetteer does not know; options go to `geocoders.online_geocoder`.
    geocoder: str | None = None
    geocoder_options: tuple[tuple[str, Any], ...] = ()
    overrides: Path | None = None  # CSV/YAML of "name [in context] -> place id" rules (geomap.overrides)
    weights: Path | None = None  # resolver weights (scripts/train_resolver.py); None: the shipped ones
    jobs: int = 1  # worker processes computing articles (1: this process; see runner.default_jobs)
    # A Dask scheduler computing the articles instead ("tcp://HOST:PORT", or "local" for a LocalCluster of
    # `jobs` worker processes; geomap.cluster), and the cache folder whose gazetteer its workers open (None:
    # `cache_dir`, made absolute: right on this machine or on a shared file system).
    dask: str | None = None
    dask_gazetteer: Path | None = None
    # Models for other languages ((ISO 639-1 code, spaCy package), e.g. ("fr", "fr_core_news_sm")); an article
    # detected to be in a language no model reads is skipped, naming it, unless `language_check` is off.
    models: tuple[tuple[str, str], ...] = ()
    language_check: bool = True

    def readers(self) -> dict[str, str]:
        """Language code -> the model that reads it: the default model's language, and `models`."""
        main = model_language(self.model)
        return {**({main: self.model} if main else {}), **dict(self.models)}


class Pipeline:
    """Reads, computes (through the cache) and yields results; the expensive parts open on first use.

    Results stream: inputs are read lazily, in batches (`runner.batches`), and each batch's results are
    yielded as soon as they are ready, in input order, so memory follows the batch, not the corpus.
    With `Settings.jobs` > 1 the batches are computed by worker processes.
    """

    def __init__(
        self, settings: Settings, *, progress: Progress | None = None, notify: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.notify = notify  # one-line notices for the user (the CLI prints them on stderr)
        self._gazetteer: Gazetteer | None = None
        self._cache: Cache | None = None
        self._worker: Worker | None = None
        self._online: OnlineLookup | None = None
        self._resolve_lookup: Lookup | None = None
        self._resolve_options: ResolveOptions | None = None
        self._local = _Local(self)
        self.stats: dict[str, int] = {"processed": 0, "reused": 0, "duplicates": 0}

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
        if self._gazetteer is not None:
            self._gazetteer.close()

    def _gazetteer_progress(self) -> Callable[[str], None]:
        if self.notify is None:
            return _log_gazetteer_build
        where = self.settings.cache_dir.resolve()
        return _first_only(self.notify, f"building the offline gazetteer in {where}/ (first run only, under a minute)")

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.open(self.settings.cache_dir, progress=self._gazetteer_progress())
        return self._gazetteer

    @property
    def cache(self) -> Cache:
        if self._cache is None:
            self._cache = Cache.open(self.settings.cache_dir)
        return self._cache

    @property
    def worker(self) -> Worker:
        """This process's own worker (the model is loaded on first use)."""
        if self._worker is None:
            self._worker = Worker(self._worker_config(), gazetteer=self.gazetteer)
            self._worker.lookup = self.resolve_lookup
        return self._worker

    def _worker_config(self) -> WorkerConfig:
        s = self.settings
        return WorkerConfig(s.cache_dir, s.model, s.demonyms, s.countries, s.overrides, s.weights, s.models)

    @property
    def resolve_lookup(self) -> Lookup:
        """Where resolution gets candidates: the gazetteer, then (opt-in) an online geocoder, cached.

        Recognition keeps to the gazetteer, so only names that are places by the text's own evidence
        ever reach the online service."""
        if self._resolve_lookup is None:
            self._resolve_lookup = self.gazetteer
            if self.settings.geocoder:
                from geomap.geocoders import FallbackLookup, online_lookup

                online = online_lookup(self.settings.geocoder, **dict(self.settings.geocoder_options))
                cached = CachedLookup(online, self.cache, online.backend_id)
                self._online = online
                self._resolve_lookup = FallbackLookup(self.gazetteer, cached)
        return self._resolve_lookup

    @property
    def resolve_options(self) -> ResolveOptions:
        if self._resolve_options is None:
            s = self.settings
            self._resolve_options = resolve_options(s.countries, s.overrides, s.weights, self.gazetteer.place)
        return self._resolve_options

    # -- running --------------------------------------------------------------------------------------

    def run(self, paths: Sequence[str | Path]) -> RunResult:
        """Every result and skipped input of `paths`, collected (for a bounded memory, use `stream`)."""
        results: list[ArticleResult] = []
        skipped: list[Skipped] = []
        for item in self.stream(paths):
            (results if isinstance(item, ArticleResult) else skipped).append(item)  # type: ignore[arg-type]
        return RunResult(tuple(results), tuple(skipped), dict(self.stats))

    def stream(self, paths: Sequence[str | Path]) -> Iterator[ArticleResult | Skipped]:
        """Results in input order, and skipped inputs as soon as they are found."""
        return self._results(read_inputs(paths, self.settings.read))

    def process(self, articles: Iterable[Article]) -> list[ArticleResult | Skipped]:
        """Results for these articles, in order; cached results are reused, the rest computed."""
        return list(self._results(articles))

    def _results(self, items: Iterable[Article | Skipped]) -> Iterator[ArticleResult | Skipped]:
        side: deque[Skipped] = deque()  # inputs found unusable while reading ahead
        groups = _Groups(self, items, side)
        formed = iter(groups)
        ahead = list(itertools.islice(formed, 2))  # with one group only, worker processes would not pay off
        executor = self._executor(several=len(ahead) > 1)
        done = 0
        try:
            for outcomes in executor.map(g.todo for g in itertools.chain(ahead, formed)):
                group = groups.submitted.popleft()
                self._store(group, outcomes)  # first: what a consumer is given is cached, whenever it stops
                for result in group.merge(outcomes):
                    done += 1
                    yield result
                while side:
                    yield side.popleft()
                self._report(done, groups.read if groups.finished else None)
            while side:
                yield side.popleft()
        finally:
            if executor is not self._local:
                executor.close()

    def _executor(self, *, several: bool) -> Executor:
        jobs = self.settings.jobs
        if self.settings.geocoder and (jobs > 1 or self.settings.dask):
            # --dask is asked for explicitly, --jobs has a default: only the first deserves a warning
            log.log(
                logging.WARNING if self.settings.dask else logging.INFO,
                "online geocoders are rate-limited per service: computing in this process only",
            )
            return self._local
        if self.settings.dask:
            return self._on_dask(self.settings.dask)
        if jobs > 1 and several:
            self.gazetteer  # noqa: B018 - built here, before the workers open it
            return InProcesses(self._worker_config(), jobs)
        return self._local

    def _on_dask(self, address: str) -> Executor:
        from geomap.cluster import Expected, OnDask

        s = self.settings
        where = (s.dask_gazetteer or s.cache_dir).resolve()
        config = replace(self._worker_config(), cache_dir=where, overrides=None, weights=None)  # options travel
        expected = Expected.of(self.gazetteer, s.model)
        return OnDask(address, config, self.resolve_options, expected, local_workers=s.jobs)

    def _store(self, group: _Group, outcomes: list[Outcome]) -> None:
        computed = [
            (key, result_to_dict(ArticleResult(article, outcome)))
            for article, key, outcome in zip(group.todo, group.keys, outcomes, strict=True)
            if not isinstance(outcome, Skipped)
        ]
        if computed:
            self.cache.put_many("articles", computed)
        self.stats["processed"] += len(computed)

    def cached_result(self, article: Article, key: str) -> ArticleResult | None:
        """The result cached under the article's key (`article_key`), unless the run recomputes everything."""
        if not self.settings.reuse_articles:
            return None
        value = self.cache.get("articles", key)
        return None if value is None else result_from_dict(article, value)

    def article_key(self, article: Article) -> str:
        """The article's key in the cache, computed once per article and run (it reads the whole text)."""
        # the user's rules count only where they may act: a new --overrides line recomputes only its articles
        return f"{content_hash(article)}|{self.fingerprint}|{self.resolve_options.overrides.digest_for(article)}"

    @functools.cached_property
    def fingerprint(self) -> str:
        """Everything a cached article result depends on besides the text (fixed for this pipeline)."""
        parts = [
            PIPELINE_VERSION,
            code_version(),
            self.settings.model,
            model_version(self.settings.model),
            *(f"{code}={model}-{model_version(model)}" for code, model in self.settings.models),
            self.gazetteer.version,
            f"demonyms={self.settings.demonyms}",
            self.resolve_options.fingerprint(),
        ]
        if self.settings.geocoder:
            parts.append(self._online_id())
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def resolve_spans(self, given: Iterable[tuple[Article, Sequence[tuple[int, int]]]]) -> Iterator[ArticleResult]:
        """Resolve the given spans of each article as its toponyms (a name the gazetteer knows only as an
        adjective, "Turkish", as a demonym): how gold corpora measure a resolver alone. The rest of the text is
        read as usual, so the other places it names are context as for any mention; only the given spans are
        returned, in text order."""
        worker, lookup = self.worker, self.resolve_lookup
        pending = iter(given)
        while chunk := list(itertools.islice(pending, BATCH_ARTICLES)):
            recognised = worker.recognizer.recognize([article for article, _ in chunk])
            for (article, spans), (_, found) in zip(chunk, recognised, strict=True):
                mentions = with_given_spans(article, found, spans, lookup)
                result = resolve_article(article, mentions, lookup, self.resolve_options)
                wanted = set(spans)
                kept = tuple(r for r in result.resolutions if (r.mention.start, r.mention.end) in wanted)
                yield ArticleResult(article, kept)

    def checked_language(self, article: Article) -> Article | Skipped:
        """The article with its language when a model reads it; skipped, naming its language, when none does.
        With the check off, or when detection cannot tell, the default model reads it."""
        if not self.settings.language_check:
            return article
        code = detect(article.text)
        readers = self._readers
        if code is None or code in readers:
            return article if code is None else replace(article, language=code)
        known = ", ".join(f"{language_name(c)} ({c})" for c in sorted(readers))
        return Skipped(
            article.source or article.id,
            f"in {language_name(code)} ({code}), which no model given reads ({known}): give one with "
            f"--model {code}=PACKAGE, or map it anyway with --language-check off",
        )

    @functools.cached_property
    def _readers(self) -> dict[str, str]:
        return self.settings.readers()

    def _report(self, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def geocode(self, query: str, *, country: str | None = None) -> list[tuple[Place, float]]:
        """Ranked candidates for a free-text query ("Lima", "Lima, Ohio"), best first; `country` filters."""
        cc = country.upper() if country else None
        return rank_query(
            query, self.resolve_lookup, replace(self.resolve_options, overrides=Overrides()), country_code=cc
        )

    def _online_id(self) -> str:
        self.resolve_lookup  # noqa: B018 - builds the online lookup on first use
        return self._online.backend_id if self._online is not None else ""


class _Local:
    """Computes in this process with the pipeline's own worker, built (the model loaded) only if needed."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def map(self, batches: Iterable[list[Article]]) -> Iterator[list[Outcome]]:
        for batch in batches:
            yield self.pipeline.worker.compute(batch) if batch else []

    def close(self) -> None:
        pass


@dataclass
class _Group:
    """Consecutive articles read together: those to compute, and the results the cache already had."""

    articles: list[Article]
    cached: dict[int, ArticleResult]  # position in `articles` -> its cached result
    todo: list[Article]
    keys: list[str]  # the cache key of each `todo` article, to store its result under

    def merge(self, outcomes: list[Outcome]) -> Iterator[ArticleResult | Skipped]:
        """The group's results in order: cached ones, and the computed `outcomes` (one per `todo` article)."""
        computed = iter(outcomes)
        for i, article in enumerate(self.articles):
            known = self.cached.get(i)
            yield known if known is not None else to_result(article, next(computed))


class _Groups:
    """The input, read lazily and cut into groups (`runner.batches`), each looked up in the cache.

    Syndicated copies (the same text twice) are computed once: within a group the first copy lists the
    others' sources (`Article.also_sources`); a copy of an article of an earlier group is dropped and logged."""

    def __init__(self, pipeline: Pipeline, items: Iterable[Article | Skipped], side: deque[Skipped]) -> None:
        self.pipeline = pipeline
        self.items = items
        self.side = side
        self.submitted: deque[_Group] = deque()
        self.read = 0
        self.finished = False
        self._seen: dict[bytes, str] = {}  # digest of a text's words -> the id of the article that had it first
        self._ungrouped: set[str] = set()  # ids read but not yet in a group

    def __iter__(self) -> Iterator[_Group]:
        for batch in batches(self._articles()):
            self._ungrouped.difference_update(a.id for a in batch)
            group = self._group(deduplicate(batch))
            self.read += len(group.articles)
            self.submitted.append(group)
            yield group
        self.finished = True

    def _articles(self) -> Iterator[Article]:
        for read in self.items:
            item = read if isinstance(read, Skipped) else self.pipeline.checked_language(read)
            if isinstance(item, Skipped):
                self.side.append(item)
                continue
            digest = hashlib.blake2b(" ".join(item.text.split()).encode("utf-8", "surrogatepass"), digest_size=16)
            first = self._seen.setdefault(digest.digest(), item.id)
            if first != item.id and first not in self._ungrouped:
                self.pipeline.stats["duplicates"] += 1
                log.info("%s has the same text as %s, read earlier: not computed again", item.source, first)
                continue
            self._ungrouped.add(item.id)
            yield item

    def _group(self, articles: list[Article]) -> _Group:
        cached: dict[int, ArticleResult] = {}
        todo: list[Article] = []
        keys: list[str] = []
        for i, article in enumerate(articles):
            key = self.pipeline.article_key(
                article
            )  # first: it opens (or waits for another run to build) the gazetteer
            result = self.pipeline.cached_result(article, key)
            if result is not None:
                cached[i] = result
                self.pipeline.stats["reused"] += 1
            else:
                todo.append(article)
                keys.append(key)
        return _Group(articles, cached, todo, keys)


def with_given_spans(
    article: Article, found: Sequence[Mention], spans: Sequence[tuple[int, int]], lookup: Lookup
) -> list[Mention]:
    """The given spans as mentions, and the recognised mentions that overlap none of them: how `resolve_spans`
    and `scripts/train_resolver.py` read a gold article."""
    given = []
    for start, end in spans:
        name = article.text[start:end]
        kind = "demonym" if not lookup.candidates(name) and lookup.demonym(name) is not None else "toponym"
        lo, hi = sentence_bounds(article.text, start, end)
        given.append(Mention(article.id, start, end, name, article.text[lo:hi], lo, "GIVEN", kind))
    others = [m for m in found if not any(m.start < end and start < m.end for start, end in spans)]
    return sorted([*given, *others], key=lambda m: (m.start, m.end))


_SENTENCE_END = re.compile(r"[.!?]\s|\n")


def sentence_bounds(text: str, start: int, end: int, limit: int = 200) -> tuple[int, int]:
    """The stretch around [start, end) from the last sentence end or line break before it to the next one
    after it, at most `limit` characters either side (a display window for given spans)."""
    lo = max(0, start - limit)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    lo = ends[-1] if ends else lo
    after = _SENTENCE_END.search(text, end, min(len(text), end + limit))
    hi = after.start() + 1 if after else min(len(text), end + limit)
    return lo, max(hi, end)


def model_version(model: str) -> str:
    """The installed version of a spaCy model package, read from its meta.json without loading it."""
    return str(model_meta(model).get("version", "unknown"))


def _log_gazetteer_build(message: str) -> None:
    log.info("gazetteer: %s", message)


def _first_only(notify: Callable[[str], None], message: str) -> Callable[[str], None]:
    """A progress callback that tells `notify` once that a build started, and logs every step."""
    told = False

    def report(step: str) -> None:
        nonlocal told
        if not told:
            notify(message)
            told = True
        _log_gazetteer_build(step)

    return report


@dataclass
class Tally:
    """Counts of a run, kept as results stream by (the places as a set of ids: one entry per place)."""

    articles: int = 0
    skipped: int = 0
    mentions: int = 0
    unresolved: int = 0
    places: set[str] = field(default_factory=set)

    def add(self, item: ArticleResult | Skipped) -> None:
        if isinstance(item, Skipped):
            self.skipped += 1
            return
        self.articles += 1
        self.mentions += len(item.resolutions)
        self.unresolved += len(item.unresolved)
        self.places.update(r.place.id for r in item.resolved if r.place)

    def line(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "skipped": self.skipped,
            "places": len(self.places),
            "mentions": self.mentions,
            "unresolved": self.unresolved,
        }


def stats_line(run: RunResult) -> dict[str, Any]:
    tally = Tally()
    items: list[ArticleResult | Skipped] = [*run.articles, *run.skipped]
    for item in items:
        tally.add(item)
    return tally.line()
