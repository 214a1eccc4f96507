"""Reading a gazetteer: open it (checked, and built or rebuilt when missing, stale or damaged) and look names up.

`Gazetteer` is what the rest of geomap uses. Nothing here changes what the file holds, so this module is not in
the gazetteer's rebuild key (`build.BUILD_CODE`): editing a query keeps the 76 MB file. It decides articles'
results, though, so `pipeline.code_version` hashes it and cached article results follow it.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from geomap.errors import GazetteerError
from geomap.gazetteer.build import ATTRIBUTION, GazetteerSources, Progress, build_database, build_lock
from geomap.gazetteer.geonames import import_geonames, previous_imports
from geomap.gazetteer.schema import (
    ABBR,
    ALT,
    DEFAULT_FILENAME,
    DEMONYM,
    FOREIGN,
    NAME,
    POSTAL,
    SCHEMA_VERSION,
    ring_cells,
)
from geomap.geo import great_circle_km
from geomap.models import Candidate, Feature, Place
from geomap.names import LookupKey, is_abbreviation, lookup_variants, normalize
from geomap.prominence import prior

logger = logging.getLogger(__name__)

KIND_NAMES = {NAME: "name", ALT: "alt", ABBR: "abbr", DEMONYM: "demonym", POSTAL: "abbr", FOREIGN: "name"}
ALT_PENALTY = 15.0  # an alternate-name match counts less than a main-name match
HINT_BONUS = 40.0  # "Aras River": the river beats a village called Aras
_CACHE_SIZE = 20_000

_PLACE_COLUMNS = (
    "id, name, lat, lon, feature, feature_code, country_code, country, admin1, admin1_code, population, source"
)


def _connect_checked(path: Path, expected: str) -> tuple[sqlite3.Connection | None, str]:
    """Open `path` if it is a complete gazetteer of the current schema and inputs; else say why not."""
    if not path.is_file():
        return None, "missing"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, check_same_thread=False)
    except sqlite3.Error as err:
        return None, f"unreadable ({err})"
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        problem = _meta_problem(meta, expected)
        if problem is None:
            # Cheap sanity: touch the first and last pages of the big table and index.
            conn.execute("SELECT id, name FROM places ORDER BY pid DESC LIMIT 1").fetchall()
            conn.execute("SELECT pid FROM names WHERE key >= 'z' LIMIT 1").fetchall()
            conn.execute("SELECT count(*) FROM (SELECT 1 FROM names LIMIT 1000)").fetchall()
            return conn, ""
    except sqlite3.DatabaseError as err:
        problem = f"corrupt ({err})"
    conn.close()
    return None, problem


def _meta_problem(meta: dict[str, str], expected: str) -> str | None:
    if meta.get("complete") != "1":
        return "half-built"
    if meta.get("schema_version") != SCHEMA_VERSION:
        return f"of schema {meta.get('schema_version')} (expected {SCHEMA_VERSION})"
    if meta.get("base_fingerprint") != expected:
        return "built from other data (outdated)"
    return None


class Gazetteer:
    """Read access to a built gazetteer file. Use `Gazetteer.open(cache_dir)`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.lookups = 0
        self._cache: dict[tuple[object, ...], Any] = {}
        self.version = self._meta("version")
        self.other_languages = False  # whether look-ups match FOREIGN names (see in_other_languages)

    def in_other_languages(self) -> Gazetteer:
        """A view of this gazetteer whose look-ups also match countries' names in other languages, for articles
        read with another language's model. It shares this one's connection: close this one, not the view."""
        view = Gazetteer.__new__(Gazetteer)
        view.__dict__.update(self.__dict__, _cache={}, lookups=0, other_languages=True)
        return view

    def _kinds(self, kinds: tuple[int, ...]) -> tuple[int, ...]:
        return (*kinds, FOREIGN) if self.other_languages else kinds

    @classmethod
    def open(
        cls,
        cache_dir: Path,
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        sources: GazetteerSources | None = None,
    ) -> Gazetteer:
        """Open the gazetteer in `cache_dir`, building it first if it is missing, stale or corrupt."""
        sources = sources or GazetteerSources()
        cache_dir = Path(cache_dir)
        path = cache_dir / DEFAULT_FILENAME
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            expected = sources.fingerprint()
        except (OSError, ImportError, KeyError, ValueError) as err:
            raise GazetteerError(f"cannot prepare the gazetteer in {cache_dir}: {err}") from err
        if not rebuild:
            conn, problem = _connect_checked(path, expected)
            if conn is not None:
                return cls(conn, path)
            if problem != "missing":
                logger.warning("gazetteer %s is %s; rebuilding it", path, problem)
        with build_lock(cache_dir):
            conn, problem = (None, "rebuild requested") if rebuild else _connect_checked(path, expected)
            if conn is not None:
                return cls(conn, path)
            imported = previous_imports(path) if path.exists() else []
            cls._build(path, sources, progress)
            conn, problem = _connect_checked(path, expected)
            if conn is None:
                raise GazetteerError(f"the gazetteer {path} is {problem} right after building it")
            gazetteer = cls(conn, path)
            gazetteer._import_again(imported, progress)
        return gazetteer

    def _import_again(self, paths: list[Path], progress: Progress | None) -> None:
        """After a rebuild, import again the GeoNames files the old gazetteer had (those still there)."""
        missing = [p for p in paths if not p.is_file()]
        if missing:
            logger.warning("rebuilt gazetteer lacks earlier imports whose files are gone: %s", missing)
        present = [p for p in paths if p.is_file()]
        if present:
            logger.warning("importing again into the rebuilt gazetteer: %s", [p.name for p in present])
            try:
                self.import_geonames(present, progress=progress)
            except GazetteerError as err:
                logger.warning("could not import them again: %s", err)

    @staticmethod
    def _build(path: Path, sources: GazetteerSources, progress: Progress | None) -> None:
        try:
            build_database(path, sources, progress)
        except (OSError, sqlite3.Error, KeyError, ValueError) as err:
            raise GazetteerError(f"cannot build the gazetteer {path}: {err}") from err

    # -- queries ----------------------------------------------------------------------------------
    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as err:
                raise GazetteerError(
                    f"the gazetteer {self.path} is damaged ({err}); open it with rebuild=True"
                ) from err

    def _meta(self, key: str) -> str:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else ""

    def candidates(self, name: str, *, country_code: str | None = None, limit: int = 50) -> list[Candidate]:
        """Places any of whose names match `name` (the first look-up key that finds any wins), best first."""
        cache_key = ("candidates", name, country_code.upper() if country_code else None)
        ranked = self._cache.get(cache_key)
        if ranked is None:
            self.lookups += 1
            ranked = self._rank_first_match(lookup_variants(name), is_abbreviation(name), cache_key[2], name)
            self._remember(cache_key, ranked)
        return ranked[:limit]

    def _rank_first_match(
        self, variants: Sequence[LookupKey], allow_abbr: bool, country_code: str | None, name: str = ""
    ) -> list[Candidate]:
        kinds = self._kinds(_abbreviation_kinds(name) if allow_abbr else (NAME, ALT))
        for variant in variants:
            wanted = tuple(k for k in kinds if k in (ABBR, POSTAL)) if variant.abbr_only else kinds
            rows = self._match(variant.key, wanted, country_code)
            if rows:
                return _rank(rows, variant.features)
        return []

    def _match(self, key: str, kinds: Sequence[int], country_code: str | None) -> list[tuple[Any, ...]]:
        sql = (
            f"SELECT {_P_COLUMNS}, n.name, n.kind, {_NAME_COUNT}, {_COUNTRY_POPULATION}, {_TOWNS_POPULATION} "
            "FROM names n JOIN places p ON p.pid = n.pid "
            f"WHERE n.key = ? AND n.kind IN ({','.join('?' * len(kinds))})"
        )
        params: list[object] = [key, *kinds]
        if country_code:
            sql += " AND (p.country_code = ? OR instr(p.country_codes, ?) > 0)"
            params += [country_code.upper(), f",{country_code.upper()},"]
        return self._query(sql, params)

    def demonym(self, word: str) -> Place | None:
        """The country a demonym names: 'Iranian' -> Iran (plural 'Iranians' works too)."""
        cache_key = ("demonym", word)
        key = normalize(word)
        if cache_key in self._cache:
            return self._cache[cache_key]
        self.lookups += 1
        place = None
        for candidate in dict.fromkeys([key, key[:-1] if key.endswith("s") else key]):
            rows = self._query(
                f"SELECT {_P_COLUMNS} FROM names n JOIN places p ON p.pid = n.pid "
                "WHERE n.key = ? AND n.kind = ? ORDER BY p.population DESC LIMIT 1",
                (candidate, DEMONYM),
            )
            if rows:
                place = _place(rows[0])
                break
        self._remember(cache_key, place)
        return place

    def has_demonym(self, word: str) -> bool:
        """Cheap check (not counted in `lookups`): is `word` (or its singular) a known demonym?"""
        key = normalize(word)
        keys = list(dict.fromkeys([key, key[:-1] if key.endswith("s") else key]))
        marks = ",".join("?" * len(keys))
        return bool(self._query(f"SELECT 1 FROM names WHERE key IN ({marks}) AND kind = ? LIMIT 1", (*keys, DEMONYM)))

    def has_name(self, name: str) -> bool:
        """True if `name` (or one of its look-up keys) is a known place name; demonyms do not count."""
        kinds = self._kinds(_abbreviation_kinds(name) if is_abbreviation(name) else (NAME, ALT))
        marks = ",".join("?" * len(kinds))
        for variant in lookup_variants(name):
            if self._query(f"SELECT 1 FROM names WHERE key = ? AND kind IN ({marks}) LIMIT 1", (variant.key, *kinds)):
                return True
        return False

    def country(self, code: str) -> Place | None:
        return self._one("feature = 'country' AND country_code = ?", (code.upper(),))

    def admin1(self, country_code: str, admin1_code: str) -> Place | None:
        return self._one(
            "country_code = ? AND admin1_code = ? AND feature = 'admin1'", (country_code.upper(), admin1_code)
        )

    def place(self, place_id: str) -> Place | None:
        return self._one("id = ?", (place_id,))

    def members(self, place_id: str) -> list[Place]:
        """The places a composite region is made of ('South Caucasus' -> Armenia, Azerbaijan, Georgia)."""
        rows = self._query(
            f"SELECT {_P_COLUMNS} FROM members m JOIN places c ON c.pid = m.pid "
            "JOIN places p ON p.id = m.member_id WHERE c.id = ?",
            (place_id,),
        )
        return [_place(row) for row in rows]

    def _one(self, where: str, params: Sequence[object]) -> Place | None:
        rows = self._query(f"SELECT {_PLACE_COLUMNS} FROM places WHERE {where} LIMIT 1", params)
        return _place(rows[0]) if rows else None

    def reverse(self, lat: float, lon: float, *, max_km: float = 300.0) -> Place | None:
        """The nearest populated place within `max_km` of (lat, lon), or None."""
        best: tuple[float, Sequence[Any]] | None = None
        for ring in range(min(int(max_km / 111.0) + 2, 180) + 1):
            cells = ring_cells(lat, lon, ring)
            sql = f"SELECT {_PLACE_COLUMNS} FROM places WHERE cell IN ({','.join('?' * len(cells))})"
            for row in self._query(sql, cells) if cells else []:
                distance = great_circle_km(lat, lon, float(row[2]), float(row[3]))
                if best is None or distance < best[0]:
                    best = (distance, row)
            # Every place beyond ring r is at least r grid steps (degrees) away.
            if best is not None and ring * 111.0 * _lon_scale(lat) > best[0]:
                break
        if best is None or best[0] > max_km:
            return None
        return _place(best[1])

    def info(self) -> dict[str, object]:
        """Counts by feature and source, size on disk, build date, version and attribution."""
        meta = {str(k): str(v) for k, v in self._query("SELECT key, value FROM meta")}
        counts = {
            what: {str(k): int(v) for k, v in self._query(f"SELECT {what}, count(*) FROM places GROUP BY 1")}
            for what in ("feature", "source")
        }
        return {
            "path": str(self.path),
            "version": self.version,
            "schema_version": meta.get("schema_version"),
            "built_at": meta.get("built_at"),
            "build_seconds": float(str(meta.get("build_seconds", "0"))),
            "size_bytes": self.path.stat().st_size,
            "places": int(self._query("SELECT count(*) FROM places")[0][0]),
            "names": int(self._query("SELECT count(*) FROM names")[0][0]),
            "by_feature": dict(sorted(counts["feature"].items(), key=lambda item: -item[1])),
            "by_source": dict(sorted(counts["source"].items(), key=lambda item: -item[1])),
            "imports": [list(r) for r in self._query("SELECT at, what, rows FROM imports ORDER BY rowid")],
            "attribution": meta.get("attribution", ATTRIBUTION),
        }

    def import_geonames(
        self,
        paths: Iterable[Path | str],
        *,
        alternate_names: Path | str | None = None,
        progress: Progress | None = None,
    ) -> int:
        """Add GeoNames dump files to this gazetteer (see `import_geonames`); changes `version`."""
        with self._lock:
            try:
                count = import_geonames(self._conn, paths, alternate_names=alternate_names, progress=progress)
            except (OSError, UnicodeDecodeError, ValueError, IndexError, sqlite3.Error) as err:
                raise GazetteerError(f"cannot import into the gazetteer {self.path}: {err}") from err
            self._cache.clear()
        self.version = self._meta("version")
        return count

    def _remember(self, key: tuple[object, ...], value: object) -> None:
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = value

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Gazetteer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# The population of the country a place lies in (0 for places outside any country).
_COUNTRY_POPULATION = (
    "(SELECT c.population FROM places c WHERE c.country_code = p.country_code AND c.admin1_code = '' "
    "AND c.feature = 'country' AND p.country_code != '' LIMIT 1)"
)
_NAME_COUNT = "(SELECT c.n FROM name_counts c WHERE c.pid = p.pid)"  # see DERIVED
# A first-level region's own population is unknown here: the towns in it tell how populous it is (DERIVED).
_TOWNS_POPULATION = (
    "(CASE WHEN p.feature = 'admin1' THEN (SELECT t.population FROM town_totals t "
    "WHERE t.country_code = p.country_code AND t.admin1_code = p.admin1_code) ELSE 0 END)"
)
_P_COLUMNS = ", ".join("p." + column.strip() for column in _PLACE_COLUMNS.split(","))


def _place(row: Sequence[Any]) -> Place:
    return Place(
        id=str(row[0]), name=str(row[1]), lat=float(row[2]), lon=float(row[3]),
        feature=Feature.of(str(row[4])), feature_code=str(row[5]), country_code=str(row[6]), country=str(row[7]),
        admin1=str(row[8]), admin1_code=str(row[9]), population=int(row[10]), source=str(row[11]),
    )  # fmt: skip


def _abbreviation_kinds(name: str) -> tuple[int, ...]:
    """The name kinds an abbreviation may match: postal codes only when written without periods."""
    return (NAME, ALT, ABBR) if "." in name else (NAME, ALT, ABBR, POSTAL)


def _rank(rows: Sequence[Sequence[Any]], hint: frozenset[str]) -> list[Candidate]:
    """One candidate per place (its best-matching name), ordered by the prior. A generic word the text gave
    the name ("Mississippi River", "Washington State", "Jackson County") keeps only places of that kind, when
    there are any: the text's own word for what the place is outweighs any prominence."""
    if hint and any(str(row[4]) in hint for row in rows):
        rows = [row for row in rows if str(row[4]) in hint]
    best: dict[str, tuple[tuple[float, int, int, str], Candidate]] = {}
    for row in rows:
        place, matched, kind = _place(row[:12]), str(row[12]), int(row[13])
        score = prior(place.feature, place.population) - (ALT_PENALTY if kind == ALT else 0.0)
        score += HINT_BONUS if place.feature in hint else 0.0
        order = (-score, 0 if kind != ALT else 1, -place.population, place.id)
        if place.id not in best or order < best[place.id][0]:
            country_population, towns_population = int(row[15] or 0), int(row[16] or 0)
            known_names = int(row[14] or 0)
            candidate = Candidate(place, matched, KIND_NAMES[kind], known_names, country_population, towns_population)
            best[place.id] = (order, candidate)
    return [candidate for _, candidate in sorted(best.values(), key=lambda item: item[0])]


def _lon_scale(lat: float) -> float:
    return max(math.cos(math.radians(min(abs(lat) + 1.0, 89.0))), 0.05)
