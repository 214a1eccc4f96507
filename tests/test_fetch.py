"""Web pages, feeds and lists of URLs (--fetch), against a real HTTP server on 127.0.0.1: fetched once and
cached with their fetch time, fetched again with --refresh, requests spaced per host and naming geomap, a
failed fetch one line naming the URL (exit 3), and without --fetch no request at all."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_pdf import _report

PAGES = {
    "/seville.html": """<!doctype html><html><head><title>Floods close roads near Seville</title>
<meta property="article:published_time" content="2026-11-30"></head>
<body><nav><a href="/">Home</a> <a href="/madrid">Madrid</a> <a href="/lisbon">Lisbon</a></nav><article>
<h1>Floods close roads near Seville</h1>
<p>Heavy rain flooded roads around Seville on Tuesday, and trains to Cordoba were cancelled, officials said.
Emergency teams were sent from Malaga and Cadiz, and more rain is expected across the south of Spain.</p>
</article><footer>Contact</footer></body></html>""",
    "/yerevan.html": """<!doctype html><html><head><title>Water shortages in Armenia</title></head>
<body><article><h1>Water shortages in Armenia</h1>
<p>Officials in Yerevan said on Monday that reservoirs near the border with Georgia had fallen to their lowest
level in a decade. Farmers in Syunik said the spring harvest was already lost, and aid left Gyumri on Tuesday.</p>
</article></body></html>""",
}
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Regional desk</title><link>http://HOST/</link>
<item><title>Seville floods</title><link>http://HOST/seville.html</link>
<pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate><description>Roads closed.</description></item>
<item><title>Armenian reservoirs</title><link>http://HOST/yerevan.html</link>
<pubDate>Tue, 01 Dec 2026 09:30:00 GMT</pubDate><description>Reservoirs low.</description></item>
</channel></rss>"""


class _Server:
    """A threaded HTTP server on 127.0.0.1 that records every request (path, User-Agent, time)."""

    def __init__(self, folder: Path) -> None:
        self.requests: list[tuple[str, str, float]] = []
        report = folder / "report.pdf"
        _report(report)
        files = {path: (body.encode(), "text/html; charset=utf-8") for path, body in PAGES.items()}
        files["/report.pdf"] = (report.read_bytes(), "application/pdf")
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                server.requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
                if self.path == "/feed.xml":
                    body, kind = FEED.replace("HOST", server.host).encode(), "application/rss+xml"
                elif self.path in files:
                    body, kind = files[self.path]
                else:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    started = _Server(tmp_path)
    yield started
    started.stop()


def _geomap(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "geomap", *map(str, args), "-j", "1"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _records(run: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}


def test_pages_are_fetched_once_cached_and_refreshed(server: _Server, cache_dir: Path) -> None:
    url = server.url("/seville.html")
    first = _geomap("parse", url, server.url("/report.pdf"), "--fetch", "--cache-dir", cache_dir)
    assert first.returncode == 0, first.stderr
    records = _records(first)
    page = records["127.0.0.1/seville"]
    assert page["url"] == url and page["title"] == "Floods close roads near Seville"
    assert {"Seville", "Cordoba", "Malaga"} <= {m["text"] for m in page["mentions"]}
    assert not {"Madrid", "Lisbon"} & {m["text"] for m in page["mentions"]}  # the navigation is not the article
    assert {"Yerevan", "Syunik"} <= {m["text"] for m in records["127.0.0.1/report"]["mentions"]}  # a PDF
    assert server.paths() == ["/seville.html", "/report.pdf"]
    assert all(agent.startswith("geomap/") for _, agent, _ in server.requests)

    again = _geomap("parse", url, server.url("/report.pdf"), "--fetch", "--cache-dir", cache_dir)
    assert again.stdout == first.stdout and len(server.requests) == 2  # from the cache: no request

    fresh = _geomap("parse", url, "--fetch", "--refresh", "--user-agent", "newsroom-bot/2", "--cache-dir", cache_dir)
    assert fresh.returncode == 0 and server.requests[-1][:2] == ("/seville.html", "newsroom-bot/2")


def test_a_feed_stands_for_its_entries_pages(server: _Server, cache_dir: Path) -> None:
    run = _geomap("parse", server.url("/feed.xml"), "--fetch", "--fetch-delay", "0.5", "--cache-dir", cache_dir)
    assert run.returncode == 0, run.stderr
    records = _records(run)
    assert list(records) == ["127.0.0.1/seville", "127.0.0.1/yerevan"]  # in the feed's order
    assert records["127.0.0.1/yerevan"]["date"] == "2026-12-01"  # the entry's date where the page has none
    assert "Yerevan" in {m["text"] for m in records["127.0.0.1/yerevan"]["mentions"]}
    times = [at for _, _, at in server.requests]
    assert server.paths() == ["/feed.xml", "/seville.html", "/yerevan.html"]
    assert all(later - earlier >= 0.45 for earlier, later in zip(times, times[1:], strict=False))  # one host: spaced


def test_a_list_of_urls_with_a_failure_maps_the_rest_and_names_the_failure(
    server: _Server, cache_dir: Path, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/gone.html"
    urls = tmp_path / "reading.urls"
    urls.write_text(f"# this week\n{server.url('/seville.html')}\n{server.url('/missing.html')}\n{closed}\n")
    run = _geomap("map", urls, "--fetch", "-o", tmp_path / "out" / "map.html", "--cache-dir", cache_dir)
    assert run.returncode == 3, run.stderr
    lines = run.stderr.splitlines()
    assert f"skipped {server.url('/missing.html')}: fetch failed: HTTP 404 Not Found" in lines
    assert any(line.startswith(f"skipped {closed}: fetch failed: ") for line in lines), lines
    assert "1 articles read, 2 skipped" in run.stderr
    assert (tmp_path / "out" / "map.html").is_file()


def test_without_fetch_nothing_is_requested(server: _Server, cache_dir: Path, tmp_path: Path) -> None:
    urls = tmp_path / "reading.txt"  # a text file of nothing but URLs is a list of them
    urls.write_text(server.url("/seville.html") + "\n" + server.url("/yerevan.html") + "\n")
    feed = tmp_path / "desk.rss"
    feed.write_text(FEED.replace("HOST", server.host))
    run = _geomap("parse", server.url("/seville.html"), urls, feed, "--cache-dir", cache_dir)
    assert server.requests == []
    assert f"skipped {server.url('/seville.html')}: a URL: give --fetch to download it" in run.stderr
    assert f"skipped {urls}: a list of 2 URLs: give --fetch to download them" in run.stderr
    # a feed file is read offline from its entries' own text
    records = _records(run)
    assert [r["title"] for r in records.values()] == ["Seville floods", "Armenian reservoirs"]
    assert run.returncode == 3
