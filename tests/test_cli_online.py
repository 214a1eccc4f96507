"""Opt-in online geocoding from the CLI, against a real HTTP server on 127.0.0.1 speaking Nominatim's JSON.

The server (the `nominatim` fixture, tests/helpers.py) knows a town the embedded gazetteer does not (the made-up
Vellmora), so a resolved mention of it can only have come from the server; it counts every request, so "a warm
run asks nothing" is measured, not assumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result

from tests.helpers import StandInNominatim, invoke

ARTICLE = "Floods swept through Vellmora, a town in northern Quendaria, on Tuesday.\n"


def online(nominatim: StandInNominatim) -> list[str]:
    return [
        "--geocoder", "nominatim",
        "--geocoder-option", f"domain={nominatim.domain}",
        "--geocoder-option", "scheme=http",
        "--geocoder-option", "user_agent=geomap-test",
        "--geocoder-option", "min_delay_seconds=0",
        "--geocoder-option", "error_wait_seconds=0",
        "--geocoder-option", "max_retries=1",
    ]  # fmt: skip


def mentions(result: Result) -> dict[str, dict[str, object]]:
    assert result.exit_code == 0, result.output
    [record] = [json.loads(line) for line in result.stdout.splitlines()]
    return {m["text"]: m for m in record["mentions"]}


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "vellmora.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_offline_by_default_the_made_up_town_is_unresolved(
    cache_dir: Path, article: Path, nominatim: StandInNominatim
) -> None:
    found = mentions(invoke("parse", str(article), "--cache-dir", str(cache_dir), "-q"))
    assert found["Vellmora"]["lat"] is None
    assert nominatim.queries == []


def test_unknown_town_is_mapped_via_the_server_and_a_warm_run_asks_nothing(
    cache_dir: Path, article: Path, nominatim: StandInNominatim, tmp_path: Path
) -> None:
    geojson = tmp_path / "places.geojson"
    args = ["map", str(article), "-o", str(tmp_path / "map.html"), "--geojson", str(geojson)]
    result = invoke(*args, "--cache-dir", str(cache_dir), *online(nominatim))
    assert result.exit_code == 0, result.output
    [feature] = json.loads(geojson.read_text())["features"]
    assert feature["properties"]["name"] == "Vellmora"
    assert feature["properties"]["source"] == "nominatim"
    assert feature["properties"]["country_code"] == "IS"
    assert feature["geometry"]["coordinates"] == [12.3456, 47.1023]
    assert "Vellmora" in (tmp_path / "map.html").read_text(encoding="utf-8")
    assert sorted(nominatim.asked()) == ["Quendaria", "Vellmora"]  # only names the gazetteer lacks
    assert nominatim.queries[-1]["addressdetails"] == "1"

    nominatim.queries.clear()
    assert invoke(*args, "--cache-dir", str(cache_dir), *online(nominatim)).exit_code == 0
    found = mentions(invoke("parse", str(article), "--no-reuse", "--cache-dir", str(cache_dir), *online(nominatim)))
    assert nominatim.queries == []  # article results and look-ups (found or not) come from the cache
    assert found["Vellmora"]["place_id"] == "nominatim:N4242"
    assert found["Quendaria"]["lat"] is None  # "not found" is an answer, and cached as one


def test_a_failing_service_is_one_line_and_is_not_cached_as_not_found(
    cache_dir: Path, article: Path, nominatim: StandInNominatim
) -> None:
    nominatim.failing = True
    result = invoke("parse", str(article), "--cache-dir", str(cache_dir), *online(nominatim))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error: nominatim geocoder failed:")
    assert len(nominatim.queries) == 2  # one try and one retry, then it gives up
    nominatim.failing = False
    found = mentions(invoke("parse", str(article), "--cache-dir", str(cache_dir), *online(nominatim)))
    assert found["Vellmora"]["country_code"] == "IS"  # asked again: the failure was not remembered


def test_geocode_asks_the_gazetteer_first(cache_dir: Path, nominatim: StandInNominatim) -> None:
    lima = invoke("geocode", "Lima", "--format", "jsonl", "--cache-dir", str(cache_dir), *online(nominatim))
    assert json.loads(lima.stdout.splitlines()[0])["country_code"] == "PE"
    assert nominatim.queries == []
    town = invoke("geocode", "Vellmora", "--format", "jsonl", "--cache-dir", str(cache_dir), *online(nominatim))
    record = json.loads(town.stdout.splitlines()[0])
    assert (record["name"], record["admin1"], record["population"]) == ("Vellmora", "Upper Quend", 23000)
    assert nominatim.asked() == ["Vellmora"]


def test_country_filter_goes_to_the_service(cache_dir: Path, nominatim: StandInNominatim) -> None:
    inside = invoke("geocode", "Vellmora", "--country", "IS", "--cache-dir", str(cache_dir), *online(nominatim))
    assert inside.exit_code == 0 and "Vellmora" in inside.stdout
    outside = invoke("geocode", "Vellmora", "--country", "FR", "--cache-dir", str(cache_dir), *online(nominatim))
    assert outside.exit_code == 1
    assert outside.stderr.strip() == "Error: no place called 'Vellmora' in the gazetteer or nominatim"
    assert [q.get("countrycodes") for q in nominatim.queries] == ["is", "fr"]


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--geocoder", "no-such-service"], 2, "unknown geocoding service"),
        (["--geocoder", "nominatim", "--geocoder-option", "domain"], 2, "is not KEY=VALUE"),
        (["--geocoder", "nominatim", "--geocoder-option", "no_such_option=1"], 1, "cannot configure"),
    ],
)
def test_bad_geocoder_configuration(cache_dir: Path, options: list[str], code: int, message: str) -> None:
    result = invoke("geocode", "Vellmora", "--cache-dir", str(cache_dir), *options)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.output
