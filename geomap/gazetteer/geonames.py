"""Importing GeoNames dumps (a country's XX.txt, allCountries, alternateNames...) on top of a built gazetteer.

Kept apart from the default build because it works on an existing file, in one transaction, and can run
again after a rebuild (`store.Gazetteer.open` imports the same files again). It is part of the rebuild key
(`build.BUILD_CODE`): what it writes is in the gazetteer too.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from geomap.gazetteer.build import Progress, alt_names, ascii_name, useful_alt
from geomap.gazetteer.schema import ABBR, ALT, DERIVED, NAME, grid_cell
from geomap.namekeys import is_abbreviation, normalize

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
                for name, kind in [(cols[1], NAME), (cols[2], NAME), *alt_names(cols[3].replace(",", "|"))]
            ]
            self._insert_names(names)
            count += len(rows)
            self.progress(f"{path.name}: {count:,} places")
        return count

    def alternate_names(self, path: Path) -> int:
        count = 0
        for batch in _batches(_lines(path), _IMPORT_BATCH):
            rows = [cols for cols in (line.split("\t") for line in batch) if len(cols) >= 4]
            rows = [cols for cols in rows if cols[2] not in _NOT_NAMES and useful_alt(cols[3])]
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
            f"gn:{cols[0]}", cols[1], cols[2] or ascii_name(cols[1]), lat, lon, feature, fclass, fcode, code,
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
        for statement in filter(str.strip, DERIVED.split(";")):  # executescript would commit mid-transaction
            conn.execute(statement)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conn.executemany("INSERT INTO imports VALUES (?, ?, ?, ?)", [(stamp, *row) for row in done])
        old = conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()[0]
        digest = hashlib.sha256(f"{old}|{stamp}|{done}".encode()).hexdigest()[:16]
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (digest,))
    return sum(row[1] for row in done)


def previous_imports(path: Path) -> list[Path]:
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
