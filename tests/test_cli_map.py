"""`geomap map`: the map, its --geojson and --csv exports beside it, and --cdn."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.helpers import invoke

ARTICLES = {
    "storm.txt": "Storm hits Stockholm\n\nA storm hit Stockholm on Monday. "
    "Ferries from Stockholm to Helsinki were cancelled.\n",
    "oil.txt": "Talks in Baku\n\nDiplomats met in Baku. Officials in Stockholm welcomed the talks.\n",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def parsed(folder: Path, cache_dir: Path) -> list[dict[str, object]]:
    """What `geomap parse` says about the same articles (the exports must agree with it)."""
    result = invoke("parse", str(folder), "--cache-dir", str(cache_dir), "-q")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_map_writes_geojson_and_csv_beside_the_map(
    folder: Path, cache_dir: Path, tmp_path: Path, parsed: list[dict[str, object]]
) -> None:
    out = tmp_path / "out"
    geojson, table = out / "exports" / "places.geojson", out / "exports" / "mentions.csv"
    result = invoke(
        "map", str(folder), "-o", str(out / "map.html"), "--geojson", str(geojson), "--csv", str(table),
        "--cache-dir", str(cache_dir),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "map.html").is_file()
    mentions = [m for record in parsed for m in record["mentions"]]  # type: ignore[attr-defined]
    places = {m["place_id"] for m in mentions if m["place_id"]}

    collection = json.loads(geojson.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and "GeoNames" in collection["attribution"]
    features = collection["features"]
    assert {f["properties"]["id"] for f in features} == places
    for feature in features:
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        props = feature["properties"]
        assert props["articles"] == len(props["article_list"]) >= 1
        assert props["mentions"] == sum(a["mentions"] for a in props["article_list"])
    [stockholm] = [f for f in features if f["properties"]["name"] == "Stockholm"]
    by_article = {a["id"]: a["mentions"] for a in stockholm["properties"]["article_list"]}
    assert by_article == {"storm": 3, "oil": 1}
    assert stockholm["properties"]["country_code"] == "SE"

    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(mentions)  # one row per mention, resolved or not
    assert sorted((r["article_id"], int(r["start"]), r["text"]) for r in rows) == sorted(
        (record["id"], m["start"], m["text"])
        for record in parsed
        for m in record["mentions"]  # type: ignore[attr-defined]
    )
    assert all(float(r["lat"]) and float(r["lon"]) for r in rows if r["place_id"])
    # one CSV layout: what `parse --format csv` prints for the same articles, row for row
    as_parsed = invoke("parse", str(folder), "--format", "csv", "--cache-dir", str(cache_dir), "-q")
    assert as_parsed.exit_code == 0 and as_parsed.stdout == table.read_text(encoding="utf-8")
    assert f"wrote {geojson} ({len(places)} places)" in result.stderr
    assert f"wrote {table} ({len(rows)} mentions)" in result.stderr


def test_map_cdn_is_smaller_and_loads_leaflet_from_a_cdn(folder: Path, cache_dir: Path, tmp_path: Path) -> None:
    inline, cdn = tmp_path / "inline.html", tmp_path / "cdn.html"
    assert invoke("map", str(folder), "-o", str(inline), "--cache-dir", str(cache_dir), "-q").exit_code == 0
    assert invoke("map", str(folder), "-o", str(cdn), "--cdn", "--cache-dir", str(cache_dir), "-q").exit_code == 0
    inline_html, cdn_html = inline.read_text(encoding="utf-8"), cdn.read_text(encoding="utf-8")
    assert '<script src="https://' in cdn_html and "leaflet" in cdn_html
    assert '<script src="http' not in inline_html and '<link rel="stylesheet" href="http' not in inline_html
    assert len(cdn_html) < len(inline_html) / 2


def test_map_export_that_cannot_be_written_is_one_error_line(folder: Path, cache_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = invoke(
        "map", str(folder), "-o", str(tmp_path / "map.html"), "--csv", str(blocker / "mentions.csv"),
        "--cache-dir", str(cache_dir),
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"Error: cannot write {blocker / 'mentions.csv'}")
    assert "Traceback" not in result.output


def test_quiet_map_prints_nothing_but_errors(cache_dir: Path, tmp_path: Path) -> None:
    # -q means the same everywhere: only errors on stderr (parse -q prints nothing either)
    page = tmp_path / "one.txt"
    page.write_text("Flooding closed roads in Yerevan on Monday.", encoding="utf-8")
    args = ["map", str(page), "-o", str(tmp_path / "m.html"), "--csv", str(tmp_path / "m.csv"), "--cache-dir"]
    quiet = invoke(*args, str(cache_dir), "-q")
    assert quiet.exit_code == 0 and quiet.output == ""
    loud = invoke(*args, str(cache_dir))
    assert "articles read" in loud.output and "wrote" in loud.output
