"""Markdown articles: YAML front matter for metadata, the body lightly unmarked as the text.

Notes and exported posts come as Markdown. Only what would get in the way of reading the prose is removed
(links and images become their text, heading and bold marks go); the first "# heading" stands in for a missing
title. PyYAML is imported only when there is front matter.
"""

from __future__ import annotations

import re
from typing import Any

from geomap.models import Article, Skipped
from geomap.readers.metadata import DATE_KEYS, TITLE_KEYS, URL_KEYS, metadata_fields
from geomap.readers.text import cut_trailing_block, normalize_text

_FRONT_MATTER = re.compile(r"---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)", re.DOTALL)
_MD_HEADING = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_MD_CLEANUPS = (
    (re.compile(r"<!--.*?-->", re.DOTALL), ""),
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),  # links -> link text
    (re.compile(r"^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE), r"\1"),  # heading marks
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # bold
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
)


def parse_markdown(text: str, *, source: str, article_id: str) -> Article | Skipped:
    """Markdown with optional YAML front matter; the body, lightly unmarked, is the text."""
    meta, body = split_front_matter(text)
    heading = _MD_HEADING.search(body)
    for pattern, replacement in _MD_CLEANUPS:
        body = pattern.sub(replacement, body)
    body = cut_trailing_block(normalize_text(body))
    if not body:
        return Skipped(source, "no article text")
    fields = metadata_fields(meta, title_keys=TITLE_KEYS, url_keys=URL_KEYS, date_keys=DATE_KEYS)
    if not fields["title"] and heading:
        fields["title"] = heading.group("title")
    return Article(id=article_id, text=body, source=source, **fields)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(front matter as a dict, body). Front matter that is not a YAML mapping is dropped, the body kept."""
    text = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(match.group("yaml"))
    except (yaml.YAMLError, ValueError, TypeError, RecursionError, OverflowError):
        meta = None
    return (meta if isinstance(meta, dict) else {}), text[match.end() :]
