"""Inputs -> Articles: files, folders (recursive) and stdin, each yielding `Article`s or `Skipped`s.

Nothing here raises for a bad input: a missing, unreadable, binary, empty, oversized or malformed input
becomes a `Skipped(source, reason)` and the run goes on. Parsing each format lives in `geomap.readers`.

Ids: a file found in a folder is named by its path relative to that folder without extension
("world/peru-plot"), a file given directly by its stem, a record by its own id field (else
"<file id>:<line>").
Ids are unique within one `read_inputs` call: a repeated id gets a "-2", "-3"... suffix.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TextIO

from geomap.errors import UsageError
from geomap.fetch import Fetcher, FetchOptions, is_feed, is_url, read_feed, read_url, read_url_list, url_list
from geomap.models import Article, Skipped
from geomap.readers import JSONL_HEAD_BYTES, RecordFields, kind_for_suffix, read_document, read_jsonl_stream

__all__ = ["ReadOptions", "content_hash", "deduplicate", "read_inputs"]

log = logging.getLogger(__name__)
STDIN = "-"


@dataclass(frozen=True)
class ReadOptions:
    # Glob patterns matched against a file's path relative to the folder given (or its bare name);
    # they filter what folders contain. A file named directly is always read.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_bytes: int = 50_000_000
    text_field: str = "text"
    title_field: str = "title"
    url_field: str = "url"
    date_field: str = "date"
    id_field: str = "id"
    # Opt-in: http(s) URLs, lists of them and feeds are fetched (geomap.fetch); None: nothing leaves the machine
    fetch: FetchOptions | None = None

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise UsageError(f"max_bytes must be positive, not {self.max_bytes}")
        if isinstance(self.include, str) or isinstance(self.exclude, str):
            raise UsageError("include and exclude take a tuple of patterns, not one string")

    @property
    def fields(self) -> RecordFields:
        return RecordFields(self.text_field, self.title_field, self.url_field, self.date_field, self.id_field)

    def wants(self, relative: str) -> bool:
        """Whether a file found in a folder passes the include/exclude patterns."""
        name = PurePosixPath(relative).name

        def matches(patterns: tuple[str, ...]) -> bool:
            return any(fnmatchcase(relative, p) or fnmatchcase(name, p) for p in patterns)

        return (not self.include or matches(self.include)) and not matches(self.exclude)


def read_inputs(
    paths: Sequence[str | Path],
    options: ReadOptions = ReadOptions(),  # noqa: B008 — frozen, so sharing the default is safe
    *,
    stdin: TextIO | BinaryIO | None = None,
) -> Iterator[Article | Skipped]:
    """Every article in `paths` (files, folders, "-" for stdin; with `options.fetch`, URLs too), in order, with
    ids unique in this run."""
    ids = _UniqueIds()
    fetcher = Fetcher(options.fetch, options.max_bytes) if options.fetch is not None else None
    try:
        for path in paths:
            for item in _read_path(path, options, stdin, fetcher):
                yield ids.assign(item) if isinstance(item, Article) else item
    finally:
        if fetcher is not None:
            fetcher.close()


def deduplicate(articles: Iterable[Article]) -> list[Article]:
    """One Article per text (whitespace-insensitive): the first keeps its place, lists the others' sources."""
    kept: dict[str, Article] = {}
    for article in articles:
        key = " ".join(article.text.split())
        first = kept.get(key)
        if first is None:
            kept[key] = article
            continue
        known = {first.source, *first.also_sources}
        more = tuple(dict.fromkeys(s for s in (article.source, *article.also_sources) if s not in known))
        kept[key] = replace(first, also_sources=first.also_sources + more)
    return list(kept.values())


def content_hash(article: Article) -> str:
    """sha256 (hex) of the article's text: the key for reusing work on unchanged articles."""
    return hashlib.sha256(article.text.encode("utf-8", "surrogatepass")).hexdigest()


class _UniqueIds:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def assign(self, article: Article) -> Article:
        base = article.id or "article"
        new = base
        while new in self.seen:
            suffix = self.next_suffix.get(base, 2)
            self.next_suffix[base] = suffix + 1
            new = f"{base}-{suffix}"
        self.seen.add(new)
        return article if new == article.id else replace(article, id=new)


def _read_path(
    path: str | Path, options: ReadOptions, stdin: TextIO | BinaryIO | None, fetcher: Fetcher | None = None
) -> Iterator[Article | Skipped]:
    given = str(path)
    if given == STDIN:
        yield from _guarded("stdin", _read_stdin(stdin, options))
        return
    if is_url(given):
        if fetcher is None:
            yield Skipped(given, "a URL: give --fetch to download it (without it nothing leaves this machine)")
        else:
            yield from _guarded(given, read_url(given, fetcher, options.fields))
        return
    target = Path(path)
    try:
        is_dir = target.is_dir()
        exists = is_dir or target.exists()
    except OSError as err:
        yield Skipped(given, f"unreadable: {_reason(err)}")
        return
    if not exists:
        yield Skipped(given, "no such file")
    elif is_dir:
        for file, relative in _walk(target, options):
            if isinstance(file, Skipped):
                yield file
                continue
            source = os.path.join(given, *PurePosixPath(relative).parts)
            base_id = str(PurePosixPath(relative).with_suffix(""))
            yield from _read_file(file, source=source, base_id=base_id, options=options, fetcher=fetcher)
    else:
        yield from _read_file(
            target, source=given, base_id=target.stem or target.name, options=options, fetcher=fetcher
        )


def _walk(folder: Path, options: ReadOptions, prefix: str = "") -> Iterator[tuple[Path | Skipped, str]]:
    """(file, path relative to the top folder) in sorted order, hidden names and unwanted files left out."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        yield Skipped(str(folder), f"unreadable: {_reason(err)}"), prefix
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        relative = f"{prefix}{entry.name}"
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(Path(entry.path), options, prefix=f"{relative}/")
        elif options.wants(relative):
            yield Path(entry.path), relative


def _read_file(
    path: Path, *, source: str, base_id: str, options: ReadOptions, fetcher: Fetcher | None = None
) -> Iterator[Article | Skipped]:
    if kind_for_suffix(path.suffix) == "jsonl":
        yield from _guarded(source, _read_jsonl_file(path, source=source, base_id=base_id, options=options))
        return
    data = _read_bytes(path, source=source, max_bytes=options.max_bytes)
    if isinstance(data, Skipped):
        yield data
        return
    kind = kind_for_suffix(path.suffix)
    if kind == "feed" or is_feed(data):
        yield from _guarded(source, read_feed(data, source=source, fetcher=fetcher, fields=options.fields))
        return
    urls = _url_list(data, kind)
    if urls is not None:
        if fetcher is None:
            yield Skipped(source, f"a list of {len(urls)} URLs: give --fetch to download them")
        else:
            yield from _guarded(source, read_url_list(urls, fetcher, options.fields))
        return
    yield from _guarded(source, read_document(data, kind=kind, source=source, base_id=base_id, fields=options.fields))


def _url_list(data: bytes, kind: str) -> list[str] | None:
    """The URLs of a .urls file, or of a text file that holds nothing else."""
    if kind not in ("urls", "text", "sniff") or (kind != "urls" and len(data) > 1_000_000):
        return None
    return url_list(data.decode("utf-8", "replace"))


def _read_jsonl_file(path: Path, *, source: str, base_id: str, options: ReadOptions) -> Iterator[Article | Skipped]:
    """A JSON Lines file, streamed: any size, `max_bytes` a limit on each line (one record)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: opening a FIFO would block
            yield Skipped(source, "not a regular file")
            return
        handle = open(path, "rb", buffering=JSONL_HEAD_BYTES)  # noqa: SIM115 - closed below, after the last line
    except FileNotFoundError:
        yield Skipped(source, "no such file")
        return
    except OSError as err:
        yield Skipped(source, f"unreadable: {_reason(err)}")
        return
    with handle:
        try:
            yield from read_jsonl_stream(
                handle, source=source, base_id=base_id, fields=options.fields, max_line_bytes=options.max_bytes
            )
        except OSError as err:
            yield Skipped(source, f"unreadable: {_reason(err)}")


def _read_bytes(path: Path, *, source: str, max_bytes: int) -> bytes | Skipped:
    try:
        info = os.stat(path)  # before opening: opening a FIFO would block
        if not stat.S_ISREG(info.st_mode):
            return Skipped(source, "not a regular file")
        if info.st_size > max_bytes:
            return Skipped(source, f"larger than {max_bytes} bytes")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return Skipped(source, "no such file")
    except OSError as err:
        return Skipped(source, f"unreadable: {_reason(err)}")
    if len(data) > max_bytes:
        return Skipped(source, f"larger than {max_bytes} bytes")
    return data


def _read_stdin(stream: TextIO | BinaryIO | None, options: ReadOptions) -> Iterator[Article | Skipped]:
    stream = stream if stream is not None else sys.stdin
    raw = getattr(stream, "buffer", stream)  # bytes when we can get them, so our decoding applies
    try:
        data = raw.read(options.max_bytes + 1)
    except (OSError, ValueError) as err:
        yield Skipped("stdin", f"unreadable: {err}")
        return
    if isinstance(data, str):
        data = _str_to_bytes(data)
    if len(data) > options.max_bytes:
        yield Skipped("stdin", f"larger than {options.max_bytes} bytes")
        return
    yield from read_document(data, kind="sniff", source="stdin", base_id="stdin", fields=options.fields)


def _str_to_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # gives back bytes a text stream could not decode
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _guarded(source: str, items: Iterator[Article | Skipped]) -> Iterator[Article | Skipped]:
    """Last resort: a reader bug on one input becomes a Skipped for that input, never the end of the run."""
    try:
        yield from items
    except Exception as err:
        log.warning("reading %s failed", source, exc_info=True)
        yield Skipped(source, f"internal error: {type(err).__name__}: {err}")


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__
