"""Opt-in online geocoding from the CLI, against a real HTTP server on 127.0.0.1 speaking Nominatim's JSON.

The server knows places the embedded gazetteer does not (made-up names), so a resolved mention can only
have come from it; it counts every request, so "a warm run asks nothing" is measured, not assumed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner, Result

from geomap.cli import cli

ARTICLE = "Floods swept through Vellmora, a town in northern Quendaria, on Tuesday.\n"

VELLMORA = {
    "place_id": 91001, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.", "osm_type": "node",
    "osm_id": 4242, "lat": "47.1023", "lon": "12.3456", "class": "place", "type": "town", "place_rank": 18,
    "importance": 0.3, "addresstype": "town", "name": "Vellmora",
    "display_name": "Vellmora, Upper Quend, Quendaria",
    "address": {"town": "Vellmora", "state": "Upper Quend", "country": "Quendaria", "country_code": "is"},
    "extratags": {"population": "23000"}, "boundingbox": ["47.0", "47.2", "12.2", "12.4"],
}  # fmt: skip


class FakeNominatim:
    """Answers /search like Nominatim: Vellmora is known, anything else is an empty list."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        self.failing = False

    def answer(self, path: str) -> tuple[int, object]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.queries.append(query)
        if self.failing:
            return 500, {"error": "internal server error"}
        if url.path != "/search":
            return 404, {"error": "no such endpoint"}
        wanted = query.get("countrycodes")
        known = query.get("q", "").lower() == "vellmora" and wanted in (None, "is")
        return 200, [VELLMORA] if known else []

    def asked(self) -> list[str]:
        return [q.get("q", "") for q in self.queries]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeNominatim, str]]:
    fake = FakeNominatim()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, body = fake.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield fake, f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def fake(server: tuple[FakeNominatim, str]) -> Iterator[FakeNominatim]:
    server[0].queries.clear()
    server[0].failing = False
    yield server[0]
    server[0].failing = False


def online(server: tuple[FakeNominatim, str]) -> list[str]:
    return [
        "--geocoder", "nominatim",
        "--geocoder-option", f"domain={server[1]}",
        "--geocoder-option", "scheme=http",
        "--geocoder-option", "user_agent=geomap-test",
        "--geocoder-option", "min_delay_seconds=0",
        "--geocoder-option", "error_wait_seconds=0",
        "--geocoder-option", "max_retries=1",
    ]  # fmt: skip


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


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
    cache_dir: Path, article: Path, fake: FakeNominatim
) -> None:
    found = mentions(invoke("parse", str(article), "--cache-dir", str(cache_dir), "-q"))
    assert found["Vellmora"]["lat"] is None
    assert fake.queries == []


def test_unknown_town_is_mapped_via_the_server_and_a_warm_run_asks_nothing(
    cache_dir: Path, article: Path, fake: FakeNominatim, server: tuple[FakeNominatim, str], tmp_path: Path
) -> None:
    geojson = tmp_path / "places.geojson"
    args = ["map", str(article), "-o", str(tmp_path / "map.html"), "--geojson", str(geojson)]
    result = invoke(*args, "--cache-dir", str(cache_dir), *online(server))
    assert result.exit_code == 0, result.output
    [feature] = json.loads(geojson.read_text())["features"]
    assert feature["properties"]["name"] == "Vellmora"
    assert feature["properties"]["source"] == "nominatim"
    assert feature["properties"]["country_code"] == "IS"
    assert feature["geometry"]["coordinates"] == [12.3456, 47.1023]
    assert "Vellmora" in (tmp_path / "map.html").read_text(encoding="utf-8")
    assert sorted(fake.asked()) == ["Quendaria", "Vellmora"]  # only names the gazetteer lacks
    assert fake.queries[-1]["addressdetails"] == "1"

    fake.queries.clear()
    assert invoke(*args, "--cache-dir", str(cache_dir), *online(server)).exit_code == 0
    found = mentions(
        invoke("parse", str(article), "--no-reuse", "--cache-dir", str(cache_dir), *online(server))
    )
    assert fake.queries == []  # article results and look-ups (found or not) come from the cache
    assert found["Vellmora"]["place_id"] == "nominatim:N4242"
    assert found["Quendaria"]["lat"] is None  # "not found" is an answer, and cached as one


def test_a_failing_service_is_one_line_and_is_not_cached_as_not_found(
    cache_dir: Path, article: Path, fake: FakeNominatim, server: tuple[FakeNominatim, str]
) -> None:
    fake.failing = True
    result = invoke("parse", str(article), "--cache-dir", str(cache_dir), *online(server))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error: nominatim geocoder failed:")
    assert len(fake.queries) == 2  # one try and one retry, then it gives up
    fake.failing = False
    found = mentions(invoke("parse", str(article), "--cache-dir", str(cache_dir), *online(server)))
    assert found["Vellmora"]["country_code"] == "IS"  # asked again: the failure was not remembered


def test_geocode_asks_the_gazetteer_first(
    cache_dir: Path, fake: FakeNominatim, server: tuple[FakeNominatim, str]
) -> None:
    lima = invoke("geocode", "Lima", "--format", "jsonl", "--cache-dir", str(cache_dir), *online(server))
    assert json.loads(lima.stdout.splitlines()[0])["country_code"] == "PE"
    assert fake.queries == []
    town = invoke("geocode", "Vellmora", "--format", "jsonl", "--cache-dir", str(cache_dir), *online(server))
    record = json.loads(town.stdout.splitlines()[0])
    assert (record["name"], record["admin1"], record["population"]) == ("Vellmora", "Upper Quend", 23000)
    assert fake.asked() == ["Vellmora"]


def test_country_filter_goes_to_the_service(
    cache_dir: Path, fake: FakeNominatim, server: tuple[FakeNominatim, str]
) -> None:
    inside = invoke("geocode", "Vellmora", "--country", "IS", "--cache-dir", str(cache_dir), *online(server))
    assert inside.exit_code == 0 and "Vellmora" in inside.stdout
    outside = invoke("geocode", "Vellmora", "--country", "FR", "--cache-dir", str(cache_dir), *online(server))
    assert outside.exit_code == 1
    assert outside.stderr.strip() == "Error: no place called 'Vellmora' in the gazetteer or nominatim"
    assert [q.get("countrycodes") for q in fake.queries] == ["is", "fr"]


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
