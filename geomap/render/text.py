"""Article-derived strings made ready for HTML: escaping, safe URLs, titles and sources, file names of
reader pages, a mention's sentence as a snippet, dates, and a score in words. Shared by the map page and
the reader views."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from pathlib import Path, PurePath
from urllib.parse import urlsplit

from geomap.models import Article, Resolution

LOW_CONFIDENCE = 0.5  # below this a resolution is "uncertain" (reader views mark it)


# A resolution's score (the winner's share of a softmax over its candidates) as a word: the lowest score
# each word stands for, best first.
SCORE_WORDS = ((0.9, "sure"), (LOW_CONFIDENCE, "likely"), (0.0, "uncertain"))


SNIPPET_CONTEXT = 150  # characters kept either side of a mention when a sentence is long


_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL without whitespace or control characters, else None."""
    if not url or _URL_FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def reader_dir_name(map_path: Path | str) -> str:
    """The folder of a map's reader views and assets, named after the map: out/gaza.html -> gaza_files."""
    return f"{PurePath(map_path).stem}_files"


def score_word(score: float) -> str:
    """'sure', 'likely' or 'uncertain'."""
    return next(word for floor, word in SCORE_WORDS if score >= floor)


def reader_filename(article_id: str) -> str:
    """A file name for an article's reader view: readable, filesystem-safe and unique per id."""
    ascii_id = unicodedata.normalize("NFKD", article_id).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_id.lower()).strip("-")[-48:].strip("-") or "article"
    digest = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:10]
    return f"{slug}-{digest}.html"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def source_label(article: Article) -> str:
    """Site name when known, else the file name of the source (never a full local path)."""
    if article.site:
        return article.site
    return PurePath(article.source).name or article.source if article.source else ""


def article_title(article: Article) -> str:
    return article.title.strip() or source_label(article) or article.id


def sentence_html(res: Resolution, *, context: int = SNIPPET_CONTEXT) -> str:
    """The sentence containing the mention, escaped, the mention in <mark>, long sentences trimmed."""
    mention = res.mention
    sentence = mention.sentence
    at = mention.start - mention.sentence_start
    if sentence[at : at + len(mention.text)] != mention.text or not mention.text:
        at = sentence.find(mention.text) if mention.text else -1
    if at < 0:
        return esc(squash(sentence[: 2 * context]))
    end = at + len(mention.text)
    before, after = sentence[max(0, at - context) : at], sentence[end : end + context]
    lead = "…" if at > context else ""
    tail = "…" if end + context < len(sentence) else ""
    return f"{lead}{esc(squash(before))}<mark>{esc(squash(mention.text))}</mark>{esc(squash(after))}{tail}"


_WHITESPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


_ISO_DATE_PREFIX = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?![\d])")


def iso_date(value: str | None) -> str:
    """'YYYY-MM-DD' from an ISO date or date-time ('2024-03', '2024' are padded), else ''."""
    match = _ISO_DATE_PREFIX.match((value or "").strip())
    if not match:
        return ""
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    if not ("01" <= month <= "12" and "01" <= day <= "31"):
        return ""
    return f"{year}-{month}-{day}"
