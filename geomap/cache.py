"""The persistent cache under cache/: geocoder answers and per-article results, in one SQLite file.

* `lookups`: what a geocoder (the gazetteer or an online service) answered for a normalised query,
  so a warm run asks nothing twice; the key carries the geocoder's identity and data version.
* `articles`: an article's mentions and resolutions, keyed by its content hash and the pipeline's
  fingerprint (model, gazetteer, options), so unchanged articles are not processed again.

The file uses WAL and a busy timeout so that two runs can share it; a corrupt file is set aside
with a warning and a new one created. Other SQLite failures (a lock held past the timeout, a file
that cannot be opened, a full disk) are a `CacheError`: one line for the user, the file left alone.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from geomap.errors import CacheError
from geomap.models import Article, ArticleResult, Candidate, Feature, Mention, Place, Resolution
from geomap.names import normalize

log = logging.getLogger(__name__)

CACHE_FILENAME = "geomap-cache.sqlite"
SCHEMA_VERSION = "1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lookups (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS articles (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL);
"""
TABLES = ("lookups", "articles", "pages")  # geocoder answers, per-article results, fetched pages (--fetch)


class Cache:
    """A small key/value store in SQLite. Values are JSON text."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn

    @classmethod
    def open(cls, cache_dir: Path) -> Cache:
        path = cache_dir / CACHE_FILENAME
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            return cls(path, _connect(path))
        except OSError as err:
            raise CacheError(f"cannot open the cache {path}: {err.strerror or err}") from err
        except sqlite3.DatabaseError as err:
            if not _is_damage(err):  # busy, locked, unopenable, disk full: not a reason to throw it away
                raise CacheError(f"cannot open the cache {path}: {err}") from err
            # Nanoseconds: two corrupt files set aside within one second must not overwrite each other.
            aside = path.with_name(f"{path.name}.corrupt-{time.time_ns()}")
            log.warning("cache %s is corrupt (%s); moved it to %s and starting a new one", path, err, aside)
            try:
                _set_aside(path, aside)
                return cls(path, _connect(path))
            except (OSError, sqlite3.Error) as err2:
                raise CacheError(f"cannot create a cache at {path}: {err2}") from err2

    def get(self, table: str, key: str) -> Any | None:
        sql = f"SELECT value FROM {_table(table)} WHERE key = ?"
        try:
            row = self._conn.execute(sql, (key,)).fetchone()
        except sqlite3.Error as err:
            raise CacheError(f"cannot read the cache {self.path}: {err}") from err
        return None if row is None else json.loads(row[0])

    def put(self, table: str, key: str, value: Any) -> None:
        sql = f"INSERT OR REPLACE INTO {_table(table)} (key, value, created) VALUES (?, ?, ?)"
        try:
            with self._conn:
                self._conn.execute(sql, (key, json.dumps(value, ensure_ascii=False), time.time()))
        except sqlite3.Error as err:  # disk full, or a lock held past the busy timeout
            raise CacheError(f"cannot write to the cache {self.path}: {err}") from err

    def put_many(self, table: str, items: list[tuple[str, Any]]) -> None:
        """Several entries in one transaction."""
        sql = f"INSERT OR REPLACE INTO {_table(table)} (key, value, created) VALUES (?, ?, ?)"
        now = time.time()
        try:
            with self._conn:
                self._conn.executemany(sql, [(k, json.dumps(v, ensure_ascii=False), now) for k, v in items])
        except sqlite3.Error as err:  # disk full, or a lock held past the busy timeout
            raise CacheError(f"cannot write to the cache {self.path}: {err}") from err

    def info(self) -> dict[str, Any]:
        counts = {t: self._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file())
        return {"path": str(self.path), "bytes": size, **counts}

    def clear(self) -> None:
        with self._conn:
            for table in TABLES:
                self._conn.execute(f"DELETE FROM {table}")
        self._conn.execute("VACUUM")

    def close(self) -> None:
        self._conn.close()


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"no cache table {name!r}")
    return name


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        _set_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(_SCHEMA)
        row = conn.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {row}")
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif version[0] != SCHEMA_VERSION:
            conn.execute("DELETE FROM lookups")
            conn.execute("DELETE FROM articles")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _set_wal(conn: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch to WAL. Two runs creating the same new cache race for this switch, and SQLite answers "database is
    locked" at once, without waiting for the busy timeout: so wait and try again (about 5 s in all)."""
    for attempt in range(attempts):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(0.1)


def _is_damage(err: sqlite3.DatabaseError) -> bool:
    """Whether an error opening the cache means the file is damaged (our own checks raise without a code)."""
    name = getattr(err, "sqlite_errorname", None)
    return name is None or name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))


def _set_aside(path: Path, aside: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            src.replace(Path(str(aside) + suffix))


class CachedLookup:
    """Puts the cache in front of a geocoding backend (`candidates`, `demonym`), per normalised query.

    `backend_id` names the backend and its data version, so a new gazetteer never serves stale answers.
    """

    def __init__(self, backend: Any, cache: Cache, backend_id: str) -> None:
        self.backend = backend
        self.cache = cache
        self.backend_id = backend_id
        self.hits = 0
        self.misses = 0

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]:
        key = f"{self.backend_id}|cand|{country_code or ''}|{normalize(name)}"
        value = self.cache.get("lookups", key)
        if value is not None:
            self.hits += 1
            return [candidate_from_dict(v) for v in value]
        self.misses += 1
        found = self.backend.candidates(name, country_code=country_code)
        self.cache.put("lookups", key, [asdict(c) for c in found])
        return list(found)

    def has_name(self, name: str) -> bool:
        """Recognition's membership test; a cheap indexed query, not a geocoding look-up, so not cached."""
        return bool(self.backend.has_name(name))

    def demonym(self, word: str) -> Place | None:
        key = f"{self.backend_id}|demonym|{normalize(word)}"
        value = self.cache.get("lookups", key)
        if value is not None:
            self.hits += 1
            return place_from_dict(value["place"]) if value["place"] else None
        self.misses += 1
        place = self.backend.demonym(word)
        self.cache.put("lookups", key, {"place": asdict(place) if place else None})
        return place


def place_from_dict(d: dict[str, Any]) -> Place:
    return Place(**{**d, "feature": Feature.of(d["feature"])})


def candidate_from_dict(d: dict[str, Any]) -> Candidate:
    place = place_from_dict(d["place"])
    counts = [int(d.get(field, 0)) for field in ("known_names", "country_population", "towns_population")]
    return Candidate(place, d["matched"], d["name_kind"], *counts)


def result_to_dict(result: ArticleResult) -> dict[str, Any]:
    """An article's resolutions (the article itself is not stored: it is the cache key's source). The same dict
    `dataclasses.asdict` gives, built directly: the models hold only plain values, and asdict deep-copies each."""
    return {
        "resolutions": [
            {
                "mention": dict(vars(r.mention)),
                "place": dict(vars(r.place)) if r.place is not None else None,
                "score": r.score,
                "alternatives": [dict(vars(a)) for a in r.alternatives],
                "reason": r.reason,
            }
            for r in result.resolutions
        ]
    }


def result_from_dict(article: Article, d: dict[str, Any]) -> ArticleResult:
    resolutions = []
    for r in d["resolutions"]:
        mention = Mention(**{**r["mention"], "article_id": article.id})
        place = place_from_dict(r["place"]) if r["place"] else None
        alternatives = tuple(place_from_dict(a) for a in r["alternatives"])
        resolutions.append(Resolution(mention, place, r["score"], alternatives, r["reason"]))
    return ArticleResult(article, tuple(resolutions))
