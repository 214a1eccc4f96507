"""Helpers the test modules share: the CLI runner, GeoNames dump files, and a stand-in Nominatim server."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlparse

from click.testing import CliRunner, Result

from geomap.cli import cli

# --------------------------------------------------------------------------- the command line


def invoke(*args: str | Path, input: str | None = None, catch_exceptions: bool = False) -> Result:  # noqa: A002
    """Run `geomap ARGS...` in-process (paths may be given as Path). An exception the CLI does not turn into
    an exit code propagates to the test, with its traceback, unless `catch_exceptions` is set."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=catch_exceptions)


# --------------------------------------------------------------------------- GeoNames dumps


def geoname_row(gid: int, name: str, alts: str, lat: float, lon: float, fclass: str, fcode: str, cc: str,
                admin1: str, population: int) -> str:  # fmt: skip
    """One line of GeoNames' 19-column geoname table (allCountries.txt, XX.txt, cities500.txt)."""
    cols = [str(gid), name, name, alts, f"{lat:.5f}", f"{lon:.5f}", fclass, fcode, cc, "", admin1, "", "", "",
            str(population), "", "120", "Asia/Yerevan", "2024-01-01"]  # fmt: skip
    return "\t".join(cols) + "\n"


def write_dumps(folder: Path, files: Mapping[str, str]) -> dict[str, Path]:
    """Write dump files (file name -> text) into a new `folder`; returns file name -> path."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: folder / name for name in files}


# --------------------------------------------------------------------------- a stand-in Nominatim

VELLMORA = {
    "place_id": 91001, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.", "osm_type": "node",
    "osm_id": 4242, "lat": "47.1023", "lon": "12.3456", "class": "place", "type": "town", "place_rank": 18,
    "importance": 0.3, "addresstype": "town", "name": "Vellmora",
    "display_name": "Vellmora, Upper Quend, Quendaria",
    "address": {"town": "Vellmora", "state": "Upper Quend", "country": "Quendaria", "country_code": "is"},
    "extratags": {"population": "23000"}, "boundingbox": ["47.0", "47.2", "12.2", "12.4"],
}  # fmt: skip
"""A made-up town the embedded gazetteer does not know: when it is resolved, the answer came from the server."""

LIMA_OHIO = {
    "place_id": 298765, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.", "osm_type": "relation",
    "osm_id": 182706, "lat": "40.7425", "lon": "-84.1052", "class": "boundary", "type": "administrative",
    "place_rank": 16, "importance": 0.5, "addresstype": "city", "name": "Lima",
    "display_name": "Lima, Allen County, Ohio, United States",
    "address": {"city": "Lima", "county": "Allen County", "state": "Ohio", "country": "United States",
                "country_code": "us"},
    "boundingbox": ["40.7", "40.8", "-84.2", "-84.0"],
}  # fmt: skip


class StandInNominatim:
    """A real HTTP server on 127.0.0.1 (never another address: the socket guard in conftest.py stays on)
    answering like Nominatim. It knows `places` (Vellmora and Lima, Ohio by default):

    - /search?q=NAME[, QUALIFIERS][&countrycodes=CC,...] lists the known place whose name is the query's
      first comma part (any case) and whose country is among `countrycodes` (when given); otherwise [].
    - /reverse?lat=..&lon=.. is the known place nearest to the point.
    - any other path is a 404; while `failing` is set, every request is a 500.

    Every request is counted in `queries` (its parameters), so "nothing was asked" is measured, not assumed.
    """

    def __init__(self, places: tuple[dict[str, Any], ...] = (VELLMORA, LIMA_OHIO)) -> None:
        self.places = places
        self.queries: list[dict[str, str]] = []
        self.failing = False
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def domain(self) -> str:
        """host:port, for geopy's `domain=` (with `scheme="http"`)."""
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> StandInNominatim:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget the requests and stop failing: a fresh server for the next test."""
        self.queries.clear()
        self.failing = False

    def asked(self) -> list[str]:
        """The `q` of every request, in order ("" for a request without one, such as /reverse)."""
        return [q.get("q", "") for q in self.queries]

    def answer(self, path: str) -> tuple[int, object]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.queries.append(query)
        if self.failing:
            return 500, {"error": "internal server error"}
        if url.path == "/search":
            name = query.get("q", "").split(",")[0].strip().lower()
            wanted = query.get("countrycodes")
            return 200, [
                place
                for place in self.places
                if place["name"].lower() == name and (wanted is None or _country(place) in wanted.lower().split(","))
            ]
        if url.path == "/reverse":
            lat, lon = float(query["lat"]), float(query["lon"])
            return 200, min(self.places, key=lambda p: (float(p["lat"]) - lat) ** 2 + (float(p["lon"]) - lon) ** 2)
        return 404, {"error": "no such endpoint"}


def _country(place: Mapping[str, Any]) -> str:
    return str(place["address"]["country_code"]).lower()


def _handler(server: StandInNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, body = server.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the test output
            pass

    return Handler
