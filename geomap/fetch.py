"""Web pages, feeds and lists of URLs as inputs (`--fetch`; opt-in: without it nothing leaves the machine).

A URL is fetched once: its response is kept in the cache (table `pages`) with the time it was fetched, and a
later run reads it from there unless `refresh` asks for it again. Requests name geomap in their User-Agent
(configurable) and keep at least `delay` seconds apart per host. A fetched page goes through the readers every
file goes through (HTML, PDF, text...); a feed (RSS or Atom) stands for its entries, each entry's link fetched
and read as a page (its title and date stand in for what the page lacks). A failed fetch is one `Skipped` naming
the URL, and the run goes on. Feeds are parsed with feedparser (the only import of it).
"""

from __future__ import annotations

import base64
import html
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.message import Message
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from geomap import __version__
from geomap.cache import Cache
from geomap.models import Article, Skipped
from geomap.readers import RecordFields, kind_for_suffix, read_document

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"geomap/{__version__} (geographic mention mapper; +https://pypi.org/project/geomap/)"
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_FEED_HEAD = re.compile(r"<(rss|feed|rdf:RDF)[\s>]")
_BREAK = re.compile(r"</p\s*>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")
_CONTENT_KINDS = (("html", "html"), ("pdf", "pdf"), ("json", "sniff"), ("text/plain", "text"), ("markdown", "markdown"))


@dataclass(frozen=True)
class FetchOptions:
    """How pages are fetched (plain data: it travels inside `inputs.ReadOptions`)."""

    cache_dir: Path = Path("cache")
    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0  # seconds between two requests to one host
    timeout: float = 30.0
    refresh: bool = False  # fetch again what the cache has


@dataclass(frozen=True)
class Page:
    url: str  # as asked for
    final_url: str  # after redirects
    content_type: str
    body: bytes
    fetched_at: str  # ISO 8601, UTC


def is_url(text: str) -> bool:
    return _URL.fullmatch(text.strip()) is not None


def url_list(text: str) -> list[str] | None:
    """The URLs of a list (one per line; blank lines and # comments allowed); None if any line is not one.
    Every text file read is asked, so an ordinary text stops at its first line of prose."""
    urls = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not is_url(line):
            return None
        urls.append(line)
    return urls or None


def is_feed(data: bytes) -> bool:
    head = data[:2048].lstrip()
    return head.startswith(b"<") and _FEED_HEAD.search(head.decode("latin-1")) is not None


class Fetcher:
    """Fetches through the cache, politely; one per run."""

    def __init__(self, options: FetchOptions, max_bytes: int) -> None:
        self.options = options
        self.max_bytes = max_bytes
        self._cache: Cache | None = None
        self._last: dict[str, float] = {}  # host -> when the last request to it was sent
        self.requests = 0

    @property
    def cache(self) -> Cache:
        if self._cache is None:
            self._cache = Cache.open(self.options.cache_dir)
        return self._cache

    def get(self, url: str) -> Page | Skipped:
        if not self.options.refresh:
            kept = self.cache.get("pages", url)
            if kept is not None:
                return Page(url, kept["final_url"], kept["content_type"], base64.b64decode(kept["body"]), kept["at"])
        page = self._download(url)
        if isinstance(page, Page):
            body = base64.b64encode(page.body).decode("ascii")
            value = {
                "final_url": page.final_url,
                "content_type": page.content_type,
                "body": body,
                "at": page.fetched_at,
            }
            self.cache.put("pages", url, value)
        return page

    def _download(self, url: str) -> Page | Skipped:
        self._wait_for(urlsplit(url).hostname or "")
        request = urllib.request.Request(url, headers={"User-Agent": self.options.user_agent, "Accept": "*/*"})
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.options.timeout) as response:  # noqa: S310 - http(s) only
                body = response.read(self.max_bytes + 1)
                headers: Message = response.headers
                final = response.geturl()
        except urllib.error.HTTPError as err:
            return Skipped(url, f"fetch failed: HTTP {err.code} {err.reason}")
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            return Skipped(url, f"fetch failed: {' '.join(str(reason).split()) or type(err).__name__}")
        if len(body) > self.max_bytes:
            return Skipped(url, f"larger than {self.max_bytes} bytes")
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return Page(url, final, headers.get_content_type(), body, at)

    def _wait_for(self, host: str) -> None:
        last = self._last.get(host)
        if last is not None:
            pause = last + self.options.delay - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        self._last[host] = time.monotonic()

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


def read_url(url: str, fetcher: Fetcher, fields: RecordFields) -> Iterator[Article | Skipped]:
    """The article a URL is, or the articles of the feed it is."""
    page = fetcher.get(url)
    if isinstance(page, Skipped):
        yield page
    elif is_feed(page.body):
        yield from read_feed(page.body, source=url, fetcher=fetcher, fields=fields)
    else:
        yield from _page_articles(page, fields)


def read_url_list(urls: list[str], fetcher: Fetcher, fields: RecordFields) -> Iterator[Article | Skipped]:
    for url in dict.fromkeys(urls):  # a URL listed twice is read once
        yield from read_url(url, fetcher, fields)


def read_feed(
    data: bytes, *, source: str, fetcher: Fetcher | None, fields: RecordFields
) -> Iterator[Article | Skipped]:
    """A feed's entries: with a fetcher, each entry's linked page; without one (no --fetch), the entry's own
    text (summary or content), when the feed carries enough of it to read."""
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        yield Skipped(source, "a feed without entries" if not feed.bozo else "unreadable feed")
        return
    for number, entry in enumerate(feed.entries, start=1):
        link = str(entry.get("link") or "")
        title = " ".join(str(entry.get("title") or "").split())
        date = _entry_date(entry)
        if fetcher is not None and is_url(link):
            for item in read_url(link, fetcher, fields):
                yield _with_entry(item, title, date) if isinstance(item, Article) else item
            continue
        text = _entry_text(entry)
        if not text:
            yield Skipped(f"{source}#{number}", "feed entry without text (give --fetch to read its page)")
            continue
        article_id = f"{PurePosixPath(urlsplit(source).path).stem or 'feed'}#{number}"
        yield Article(id=article_id, text=text, title=title, source=f"{source}#{number}", url=link or None, date=date)


def _page_articles(page: Page, fields: RecordFields) -> Iterator[Article | Skipped]:
    kind = _kind(page)
    for item in read_document(page.body, kind=kind, source=page.url, base_id=url_id(page.url), fields=fields):
        if isinstance(item, Article):
            item = replace(item, url=item.url or page.final_url, extra=(*item.extra, ("fetched_at", page.fetched_at)))
        yield item


def _kind(page: Page) -> str:
    for marker, kind in _CONTENT_KINDS:
        if marker in page.content_type:
            return kind
    return kind_for_suffix(PurePosixPath(urlsplit(page.final_url).path).suffix)


def _with_entry(article: Article, title: str, date: str | None) -> Article:
    return replace(article, title=article.title or title, date=article.date or date)


def _entry_date(entry: Any) -> str | None:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return time.strftime("%Y-%m-%d", when) if when else None


def _entry_text(entry: Any) -> str:
    """An entry's content (or summary) as text: its markup dropped, paragraphs kept."""
    contents = entry.get("content") or []
    markup = str(contents[0].get("value", "") if contents else entry.get("summary") or "")
    text = html.unescape(_TAG.sub(" ", _BREAK.sub("\n\n", markup)))
    paragraphs = (" ".join(part.split()) for part in text.split("\n\n"))
    return "\n\n".join(part for part in paragraphs if part)


def url_id(url: str) -> str:
    """A readable id for a fetched page: host and path, "news.example/world/seville-floods"."""
    parts = urlsplit(url)
    path = PurePosixPath(parts.path).with_suffix("") if parts.path not in ("", "/") else PurePosixPath("")
    return f"{parts.hostname or 'page'}{path}".rstrip("/") or "page"
