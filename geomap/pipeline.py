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
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomap.articles import ReadOptions, content_hash, deduplicate, read_inputs
from geomap.cache import Cache, CachedLookup, result_from_dict, result_to_dict
from geomap.gazetteer import Gazetteer
from geomap.geocoders import FallbackLookup, OnlineLookup, online_lookup
from geomap.models import Article, ArticleResult, Place, RunResult, Skipped
from geomap.overrides import Overrides, load_overrides
from geomap.recognize import DEFAULT_MODEL, Recognizer
from geomap.resolve import Lookup, ResolveOptions, rank_query, resolve_article

log = logging.getLogger(__name__)

# Bump when the meaning of cached article results changes in a way the code hash below cannot see.
PIPELINE_VERSION = "1"


def _code_version() -> str:
    """A hash of the modules whose logic decides an article's results: editing them invalidates the cache."""
    from geomap import recognize, resolve

    digest = hashlib.sha256()
    for module in (recognize, resolve):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:12]
Progress = Callable[[int, int], None]  # (articles done, articles total)


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


class Pipeline:
    """Holds the expensive parts (gazetteer, cache, spaCy model), each opened on first use."""

    def __init__(
        self, settings: Settings, *, progress: Progress | None = None, notify: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.notify = notify  # one-line notices for the user (the CLI prints them on stderr)
        self._gazetteer: Gazetteer | None = None
        self._cache: Cache | None = None
        self._lookup: CachedLookup | None = None
        self._resolve_lookup: Lookup | None = None
        self._online: OnlineLookup | None = None
        self._recognizer: Recognizer | None = None
        self._resolve_options: ResolveOptions | None = None
        self.stats: dict[str, int] = {"processed": 0, "reused": 0}

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
        where = self.settings.cache_dir
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
    def lookup(self) -> CachedLookup:
        if self._lookup is None:
            self._lookup = CachedLookup(self.gazetteer, self.cache, f"gazetteer:{self.gazetteer.version}")
        return self._lookup

    @property
    def resolve_lookup(self) -> Lookup:
        """Where resolution gets candidates: the gazetteer, then (opt-in) an online geocoder, both cached.

        Recognition keeps to the gazetteer, so only names that are places by the text's own evidence
        ever reach the online service."""
        if self._resolve_lookup is None:
            self._resolve_lookup = self.lookup
            if self.settings.geocoder:
                online = online_lookup(self.settings.geocoder, **dict(self.settings.geocoder_options))
                cached = CachedLookup(online, self.cache, online.backend_id)
                self._online = online
                self._resolve_lookup = FallbackLookup(self.lookup, cached)
        return self._resolve_lookup

    @property
    def recognizer(self) -> Recognizer:
        if self._recognizer is None:
            # Demonyms are always recognised: "the Indonesian island of Java" names Indonesia for resolution;
            # they are reported only when the settings ask for them (see `_compute`).
            self._recognizer = Recognizer(self.lookup, model=self.settings.model, demonyms=True)
        return self._recognizer

    @property
    def resolve_options(self) -> ResolveOptions:
        if self._resolve_options is None:
            overrides = Overrides()
            if self.settings.overrides is not None:
                overrides = load_overrides(self.settings.overrides, self.gazetteer.place)
            self._resolve_options = ResolveOptions(countries=self.settings.countries, overrides=overrides)
        return self._resolve_options

    def read(self, paths: Sequence[str | Path]) -> tuple[list[Article], list[Skipped]]:
        articles: list[Article] = []
        skipped: list[Skipped] = []
        for item in read_inputs(paths, self.settings.read):
            (articles if isinstance(item, Article) else skipped).append(item)  # type: ignore[arg-type]
        return deduplicate(articles), skipped

    def run(self, paths: Sequence[str | Path]) -> RunResult:
        articles, skipped = self.read(paths)
        results = self.process(articles)
        return RunResult(tuple(results), tuple(skipped), dict(self.stats))

    def process(self, articles: Sequence[Article]) -> list[ArticleResult]:
        """Results for every article, in order; cached results are reused, the rest computed."""
        total = len(articles)
        results: dict[int, ArticleResult] = {}
        todo: list[tuple[int, Article]] = []
        for i, article in enumerate(articles):
            cached = self._cached_result(article)
            if cached is None:
                todo.append((i, article))
            else:
                results[i] = cached
                self.stats["reused"] += 1
        self._report(len(results), total)
        if todo:
            fresh = self._compute([a for _, a in todo])
            for (i, article), result in zip(todo, fresh, strict=True):
                results[i] = result
                self.cache.put("articles", self._article_key(article), result_to_dict(result))
                self.stats["processed"] += 1
                self._report(len(results), total)
        return [results[i] for i in range(total)]

    def _compute(self, articles: Iterable[Article]) -> Iterable[ArticleResult]:
        options = self.resolve_options
        for article, mentions in self.recognizer.recognize(articles):
            result = resolve_article(article, mentions, self.resolve_lookup, options)
            if not self.settings.demonyms:
                result = ArticleResult(article, tuple(r for r in result.resolutions if r.mention.kind != "demonym"))
            yield result

    def _cached_result(self, article: Article) -> ArticleResult | None:
        if not self.settings.reuse_articles:
            return None
        value = self.cache.get("articles", self._article_key(article))
        return None if value is None else result_from_dict(article, value)

    def _article_key(self, article: Article) -> str:
        return f"{content_hash(article)}|{self.fingerprint}"

    @functools.cached_property
    def fingerprint(self) -> str:
        """Everything a cached article result depends on besides the text (fixed for this pipeline)."""
        parts = [
            PIPELINE_VERSION,
            _code_version(),
            self.settings.model,
            self.gazetteer.version,
            f"demonyms={self.settings.demonyms}",
            self.resolve_options.fingerprint(),
        ]
        if self.settings.geocoder:
            parts.append(self._online_id())
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def geocode(self, query: str, *, country: str | None = None) -> list[tuple[Place, float]]:
        """Ranked candidates for a free-text query ("Lima", "Lima, Ohio"), best first; `country` filters."""
        cc = country.upper() if country else None
        return rank_query(
            query, self.resolve_lookup, ResolveOptions(countries=self.settings.countries), country_code=cc
        )

    def _online_id(self) -> str:
        self.resolve_lookup  # noqa: B018 - builds the online lookup on first use
        return self._online.backend_id if self._online is not None else ""


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


def stats_line(run: RunResult) -> dict[str, Any]:
    places = {r.place.id for a in run.articles for r in a.resolved if r.place}
    return {
        "articles": len(run.articles),
        "skipped": len(run.skipped),
        "places": len(places),
        "mentions": sum(len(a.resolutions) for a in run.articles),
        "unresolved": sum(len(a.unresolved) for a in run.articles),
    }
