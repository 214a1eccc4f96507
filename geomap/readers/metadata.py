"""Metadata mappings (Markdown front matter, a saved page's metadata, a record's fields) -> Article fields.

Each format names its metadata differently ("headline", "published_at", "byline"...) and holds values of any
type (lists, numbers, dates, nested objects, lone surrogates from JSON). One reading of them keeps title, url,
date, author and site the same whatever the format, and keeps every other scalar in `extra`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from geomap.readers.dates import parse_date

TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "link", "canonical", "permalink")
DATE_KEYS = ("date", "published", "pubdate", "published_at", "created")
_AUTHOR_KEYS = ("author", "authors", "byline")
_SITE_KEYS = ("site", "sitename", "site_name", "publication", "publisher", "source")


def metadata_fields(
    meta: Mapping[Any, Any], *, title_keys: Iterable[str], url_keys: Iterable[str], date_keys: Iterable[str]
) -> dict[str, Any]:
    """Article keyword arguments (title, url, date, author, site, extra) from a metadata mapping."""
    meta = {str(k): v for k, v in meta.items()}
    used: set[str] = set()

    def first(keys: Iterable[str]) -> tuple[str, Any]:
        for key in keys:
            if key in meta and as_text(meta[key]):
                used.add(key)
                return key, meta[key]
        return "", None

    _, title = first(title_keys)
    _, url = first(url_keys)
    date_key, raw_date = first(date_keys)
    _, author = first(_AUTHOR_KEYS)
    _, site = first(_SITE_KEYS)
    date = parse_date(raw_date) if raw_date is not None else None
    if raw_date is not None and date is None:
        used.discard(date_key)  # keep an unreadable date as it was written
    extra = tuple((k, as_text(v)) for k, v in meta.items() if k not in used and as_text(v))
    return {
        "title": one_line(as_text(title)),
        "url": as_text(url) or None,
        "date": date,
        "author": as_text(author) or None,
        "site": as_text(site) or None,
        "extra": extra,
    }


def as_text(value: Any) -> str:
    """A metadata value as text: scalars as written, lists of scalars joined; nested structures dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_surrogates(value).strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | dt.date | dt.datetime):
        return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    if isinstance(value, list | tuple):
        parts = [as_text(v) for v in value if not isinstance(v, dict | list | tuple)]
        return ", ".join(p for p in parts if p)
    return ""


def one_line(text: str) -> str:
    return " ".join(text.split())


def clean_surrogates(text: str) -> str:
    # Lone surrogates (from JSON "\ud800") cannot be encoded; U+FFFD keeps every offset where it was.
    return _SURROGATES.sub("\ufffd", text)


_SURROGATES = re.compile("[\ud800-\udfff]")
