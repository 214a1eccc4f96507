"""Bytes of one input -> Articles: decoding, then one parser per format (text, Markdown, HTML, JSON,
JSON Lines, CSV). Every function here turns bad input into a `Skipped`, never an exception.

`geomap.articles` finds the inputs and owns ids; this module only parses. Trafilatura and charset-normalizer
stay inside it.

Offsets: the mapper computes offsets into `Article.text`, so the text is fixed here once. Text files keep
their header lines (title, dateline, byline) in the text and copy them into metadata. Record texts (JSON,
JSON Lines) are kept verbatim, because annotated corpora carry offsets into them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from geomap.models import Article, Skipped
from geomap.pdf import is_pdf, read_pdf

Item = Article | Skipped


@dataclass(frozen=True)
class RecordFields:
    """Which field of a record (JSON, JSON Lines, CSV) holds what."""

    text: str = "text"
    title: str = "title"
    url: str = "url"
    date: str = "date"
    id: str = "id"


KIND_BY_SUFFIX = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".pdf": "pdf",
    ".urls": "urls",
    ".rss": "feed",
    ".atom": "feed",
}

# What a file that is not text is, by its first bytes, so that "skipped" says what the user has in hand.
_ZIP_MEMBERS = (
    (b"word/", "Word document"),
    (b"xl/", "Excel workbook"),
    (b"ppt/", "PowerPoint presentation"),
    (b"opendocument.text", "OpenDocument text"),
    (b"opendocument.spreadsheet", "OpenDocument spreadsheet"),
    (b"application/epub", "EPUB e-book"),
)
_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Word, Excel or PowerPoint document (old Office format)"),
    (b"{\\rtf", "RTF document"),
    (b"\x89PNG\r\n\x1a\n", "image (PNG)"),
    (b"\xff\xd8\xff", "image (JPEG)"),
    (b"GIF8", "image (GIF)"),
    (b"II*\x00", "image (TIFF)"),
    (b"MM\x00*", "image (TIFF)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!", "RAR archive"),
    (b"\x7fELF", "program"),
    (b"SQLite format 3\x00", "SQLite database"),
)


def kind_for_suffix(suffix: str) -> str:
    """The reader for a file extension; "sniff" when the extension says nothing."""
    return KIND_BY_SUFFIX.get(suffix.lower(), "sniff")


def read_document(data: bytes, *, kind: str, source: str, base_id: str, fields: RecordFields) -> Iterator[Item]:
    """Parse one input's bytes. `base_id` is a single document's id and the prefix of record ids."""
    if kind == "pdf" or is_pdf(data):
        yield read_pdf(data, source=source, article_id=base_id)
        return
    text = decode_bytes(data)
    if text is None:
        yield Skipped(source, binary_kind(data))
        return
    if not text.strip():
        yield Skipped(source, "empty file")
        return
    if kind == "sniff":
        kind = sniff_kind(text)
    if kind in ("json", "jsonl", "csv"):
        reader = {"json": read_json, "jsonl": read_jsonl, "csv": read_csv}[kind]
        yield from reader(text, source=source, base_id=base_id, fields=fields)
        return
    if kind == "text":
        yield from parse_text(text, source=source, article_id=base_id)
        return
    parser = {"markdown": parse_markdown, "html": parse_html}[kind]
    yield parser(text, source=source, article_id=base_id)


def binary_kind(data: bytes) -> str:
    """Why a file that is not text was skipped, in the user's words: "Word document, not a format geomap reads"."""
    what = "binary file"
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        what = next((name for member, name in _ZIP_MEMBERS if member in head), "ZIP archive")
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        what = "image (WebP)"
    elif data[4:8] == b"ftyp":
        what = "video or audio (MP4)"
    else:
        what = next((name for magic, name in _MAGIC if data.startswith(magic)), what)
    if what == "binary file":
        return what
    return f"{what}, not a format geomap reads (text, Markdown, HTML, PDF, JSON, CSV)"


def sniff_kind(text: str) -> str:
    """Guess a format from content: HTML, a JSON document, JSON Lines, else plain text."""
    head = text.lstrip()[:1000].lower()
    if head.startswith(("<!doctype html", "<html")) or ("<html" in head and "<body" in text.lower()):
        return "html"
    if head[:1] in "{[":
        if _parses_as_json(text):
            return "json"
        first = head.splitlines()[0] if head else ""
        if first.startswith("{") and _parses_as_json(text.lstrip().splitlines()[0]):
            return "jsonl"
    return "text"


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


# --- decoding -------------------------------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Control characters (Unicode category Cc) other than \t \n \v \f \r and \x1a, the DOS end-of-file mark.
_CONTROL = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
MAX_CONTROL_RATIO = 0.01
# charset-normalizer mistakes short Western text for cp1250, cp775...; trust it only for text that is mostly
# in another script (Cyrillic, Greek, CJK...), where cp1252 would produce nonsense.
MIN_FOREIGN_LETTERS = 20
MIN_FOREIGN_RATIO = 0.8


def decode_bytes(data: bytes) -> str | None:
    """Text from bytes (BOMs, UTF-8, legacy code pages), or None when the bytes are not text."""
    text = _decode(data)
    if text is None or _looks_binary(text):
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\x1a")


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _foreign_script(data) or _western(data)


def _western(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # cannot fail; the control-character test rejects binary


def _foreign_script(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    letters = [c for c in text if ord(c) > 127 and c.isalpha()]
    foreign = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
    if len(letters) >= MIN_FOREIGN_LETTERS and foreign >= MIN_FOREIGN_RATIO * len(letters):
        return text
    return None


def _looks_binary(text: str) -> bool:
    return "\x00" in text or len(_CONTROL.findall(text)) > MAX_CONTROL_RATIO * len(text)


# --- dates ----------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_PREFIX = r"(?:(?:published|updated|posted|last\s+updated|date)(?:\s+on)?\s*:?\s*)?"
_TIME = r"(?:\s*(?:[,|·•–—-]|\bat\b)?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[A-Za-z]{2,5})?)?"
_DATE_PATTERNS = tuple(
    re.compile(_PREFIX + _WEEKDAY + body + _TIME, re.IGNORECASE)
    for body in (
        _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR,  # May 15, 2025
        _DAY + r"\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR,  # 15 May 2025
        _YEAR + r"-(?P<mnum>\d{1,2})-" + _DAY,  # 2025-05-15
        r"(?P<a>\d{1,2})[./-](?P<b>\d{1,2})[./-]" + _YEAR,  # 15-07-2025, 07/15/2025
    )
)


def parse_date(value: object) -> str | None:
    """An ISO 8601 date (or date-time, when the value is one) from a date-like value, else None.

    Numeric dates are read day-first or month-first only when one of the two numbers exceeds 12.
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if not isinstance(value, str) or len(value) > 80:
        return None
    value = value.strip()
    iso = _iso_datetime(value)
    if iso:
        return iso
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(value)
        if match:
            return _date_from_match(match)
    return None


_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d++)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")


def _iso_datetime(value: str) -> str | None:
    if not _ISO_DATETIME.fullmatch(value):
        return None
    try:
        return (
            dt.datetime.fromisoformat(value).isoformat()
            if len(value) > 10
            else dt.date.fromisoformat(value).isoformat()
        )
    except ValueError:
        return None


def _date_from_match(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if groups.get("month"):
        month, day = _MONTHS[groups["month"].lower()], int(groups["day"])
    elif groups.get("mnum"):
        month, day = int(groups["mnum"]), int(groups["day"])
    else:
        a, b = int(groups["a"]), int(groups["b"])
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a:
            month, day = a, b
        else:
            return None  # ambiguous (or impossible)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


# --- plain text -----------------------------------------------------------------------------------

HEADER_LINES = 12  # non-empty lines searched for a dateline or byline
TITLE_LINES = 6  # non-empty lines searched for a title, stopping at the first paragraph
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 30
MIN_CUT_OFFSET = 200  # a trailing block starts after at least this much article
MAX_FRAGMENTS = 8  # dangling lines (tags, widget labels) removed just above a trailing block
MAX_FRAGMENT_CHARS = 120

_BYLINE = re.compile(r"by\s+(?P<name>[^|;,]{1,80}?)\s*(?:$|[|;,]|\s[-–—]\s)", re.IGNORECASE)
_NAME_CONNECTORS = frozenset({"van", "von", "de", "da", "del", "der", "la", "le", "al", "bin", "and", "&"})
# Used with fullmatch on a line; the leading \b and possessive repeats keep a search over it linear too.
_TRAILING_BLOCK = re.compile(
    r"\b(?:"
    r"(?:\d++|no)\s++comments?(?:\s+yet)?"
    r"|comments?(?:\s*\(\d+\))?"
    r"|(?:post|leave|add|write)\s+a\s+(?:comment|reply)"
    r"|(?:show|view|load)\s+(?:all\s+)?comments"
    r"|related(?:\s+(?:articles?|stories|posts|news|content|coverage|reading|links|topics))?"
    r"|you\s+(?:may|might)\s+also\s+(?:like|enjoy|be\s+interested\s+in)"
    r"|(?:recommended|most\s+(?:read|popular|viewed))(?:\s+(?:stories|articles|for\s+you))?"
    r"|(?:read|up)\s+next"
    r")\s*[:.…!]*",
    re.IGNORECASE,
)
_SENTENCE_END = tuple('.!?"”’)]»…')


_BLANK_LINES = re.compile(r"\n{3,}")
# Patterns used with .match at the start of a block or line; the lookbehinds keep a search linear as well.
_RELATED_HEAD = re.compile(
    r"(?<!\s)\s*+(?:related|you\s++(?:may|might)|recommended|most|(?:read|up)\s++next)", re.IGNORECASE
)
_COMMENTS_HEAD = re.compile(
    r"(?<![\d\s])(?:(?:\d++|no)?+\s*+comment|post|leave|add|write|show|view|load)", re.IGNORECASE
)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def normalize_text(text: str) -> str:
    """Line ends already normalised: strip trailing blanks, squeeze runs of blank lines, trim the ends."""
    lines = [line.rstrip() for line in text.lstrip("\ufeff").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def parse_text(text: str, *, source: str, article_id: str) -> Iterator[Item]:
    """A plain-text article: header lines stay in the text and are also read as title, date and byline.

    A trailing "Related Articles" block is not part of the article; when it carries whole articles
    (a headline followed by paragraphs of prose), each of them is an article of its own.
    """
    text, block = split_trailing_block(normalize_text(text))
    if not text:
        yield Skipped(source, "empty file")
        return
    header = read_header(text.split("\n"))
    extra = (("section", header.section),) if header.section else ()
    yield Article(
        id=article_id,
        text=text,
        title=header.title,
        source=source,
        date=header.date,
        author=header.author,
        extra=extra,
    )
    for n, entry in enumerate(related_entries(block), start=1):
        yield Article(
            id=f"{article_id}#related-{n}",
            text=entry.text,
            title=entry.title,
            source=source,
            site=entry.site,
            date=entry.date,
            extra=(("found_in", article_id),),
        )


@dataclass(frozen=True)
class RelatedEntry:
    text: str
    title: str
    site: str | None
    date: str | None = None


MIN_PROSE_CHARS = 200  # a line this long is article prose, not a headline or a widget label


def related_entries(block: str) -> list[RelatedEntry]:
    """Whole articles inside a "Related" block: paragraphs of prose, each with the headline above it.

    Entries are separated by blank lines; an entry without prose (a bare list of headlines) is dropped.
    """
    if not _TRAILING_BLOCK.fullmatch(block.split("\n", 1)[0].strip()) or not _RELATED_HEAD.match(block):
        return []
    entries = []
    for chunk in _PARAGRAPH_BREAK.split(block.split("\n", 1)[1] if "\n" in block else ""):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        prose_at = next((i for i, line in enumerate(lines) if len(line) >= MIN_PROSE_CHARS), None)
        if prose_at is None or prose_at == 0:
            continue
        site = _repeated_label(lines[:prose_at])
        title = _strip_site(lines[prose_at - 1], site)
        body = "\n".join(lines[prose_at:])
        dates = [d for d in (parse_date(line) for line in lines[:prose_at]) if d]
        entries.append(
            RelatedEntry(text=f"{title}\n\n{body}", title=title, site=site, date=dates[0] if dates else None)
        )
    return entries


def _repeated_label(lines: list[str]) -> str | None:
    """A short line the entry repeats ("Site" and "- Site") names the site that published it."""
    seen: dict[str, int] = {}
    for line in lines:
        key = line.lstrip("-–—•* ").strip()
        seen[key] = seen.get(key, 0) + 1
    repeated = [k for k, n in seen.items() if n > 1 and len(k) <= 80]
    return repeated[0] if repeated else None


def _strip_site(title: str, site: str | None) -> str:
    if site:
        title = re.compile(rf"\s*[-–—|]\s*{re.escape(site)}\s*$").sub("", title)  # a title: 200 characters at most
    return title.strip()


@dataclass(frozen=True)
class Header:
    title: str = ""
    date: str | None = None
    author: str | None = None
    section: str = ""


def read_header(lines: list[str]) -> Header:
    """Title, dateline, byline and section word from the first lines of a text article."""
    head = [line.strip() for line in lines if line.strip()][:HEADER_LINES]
    dates = [d for d in (parse_date(line) for line in head) if d]
    authors = [a for a in (byline_author(line) for line in head) if a]
    title, section = _title_and_section(head)
    return Header(
        title=title, date=dates[0] if dates else None, author=authors[0] if authors else None, section=section
    )


def _title_and_section(head: list[str]) -> tuple[str, str]:
    candidates: list[str] = []
    for line in head[:TITLE_LINES]:
        if len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
            break  # the first paragraph ends the header
        if parse_date(line) or byline_author(line):
            continue
        candidates.append(line)
    for min_words in (3, 2):
        for i, line in enumerate(candidates):
            if len(line.split()) >= min_words:
                section = candidates[0] if i > 0 and len(candidates[0].split()) <= 3 else ""
                return line, section
    return "", ""


def byline_author(line: str) -> str | None:
    """'By Naomi Ellis | Senior Correspondent' -> 'Naomi Ellis'; None when the line is not a byline."""
    match = _BYLINE.match(line) if len(line) <= 150 else None
    if not match:
        return None
    name = match.group("name").strip()
    words = name.split()
    if not 1 <= len(words) <= 8 or not all(_is_name_word(w) for w in words):
        return None
    return name


def _is_name_word(word: str) -> bool:
    return word.lower() in _NAME_CONNECTORS or (word[0].isupper() and not any(c.isdigit() for c in word))


def cut_trailing_block(text: str) -> str:
    """Drop a trailing 'Comments' / 'Related Articles' block and the dangling widget lines just above it."""
    return split_trailing_block(text)[0]


def split_trailing_block(text: str) -> tuple[str, str]:
    """(the article, the trailing block from its first 'Comments'/'Related' line on; "" when none)."""
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        if offset >= MIN_CUT_OFFSET and _TRAILING_BLOCK.fullmatch(line.strip()):
            block = "\n".join(lines[i:])
            # the article is followed by comments and then related articles: keep looking past comments
            return "\n".join(_drop_fragments(lines[:i])).rstrip(), _related_part(block)
        offset += len(line) + 1
    return text, ""


def _related_part(block: str) -> str:
    """From a trailing block, the part that starts at a 'Related ...' heading (comments are dropped)."""
    lines = block.split("\n")
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _TRAILING_BLOCK.fullmatch(stripped) and not _COMMENTS_HEAD.match(stripped):
            return "\n".join(lines[i:])
    return ""


def _drop_fragments(lines: list[str]) -> list[str]:
    dropped = 0
    while lines and dropped < MAX_FRAGMENTS:
        last = lines[-1].strip()
        if not last:
            lines = lines[:-1]
            continue
        if len(last) > MAX_FRAGMENT_CHARS or last.endswith(_SENTENCE_END):
            break
        lines = lines[:-1]
        dropped += 1
    return lines


# --- Markdown -------------------------------------------------------------------------------------

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
_TITLE_KEYS = ("title", "headline")
_URL_KEYS = ("url", "link", "canonical", "permalink")
_DATE_KEYS = ("date", "published", "pubdate", "published_at", "created")
_AUTHOR_KEYS = ("author", "authors", "byline")
_SITE_KEYS = ("site", "sitename", "site_name", "publication", "publisher", "source")


def parse_markdown(text: str, *, source: str, article_id: str) -> Item:
    """Markdown with optional YAML front matter; the body, lightly unmarked, is the text."""
    meta, body = split_front_matter(text)
    heading = _MD_HEADING.search(body)
    for pattern, replacement in _MD_CLEANUPS:
        body = pattern.sub(replacement, body)
    body = cut_trailing_block(normalize_text(body))
    if not body:
        return Skipped(source, "no article text")
    fields = metadata_fields(meta, title_keys=_TITLE_KEYS, url_keys=_URL_KEYS, date_keys=_DATE_KEYS)
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


def metadata_fields(
    meta: Mapping[Any, Any], *, title_keys: Iterable[str], url_keys: Iterable[str], date_keys: Iterable[str]
) -> dict[str, Any]:
    """Article keyword arguments (title, url, date, author, site, extra) from a metadata mapping."""
    meta = {str(k): v for k, v in meta.items()}
    used: set[str] = set()

    def first(keys: Iterable[str]) -> tuple[str, Any]:
        for key in keys:
            if key in meta and _as_text(meta[key]):
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
    extra = tuple((k, _as_text(v)) for k, v in meta.items() if k not in used and _as_text(v))
    return {
        "title": _one_line(_as_text(title)),
        "url": _as_text(url) or None,
        "date": date,
        "author": _as_text(author) or None,
        "site": _as_text(site) or None,
        "extra": extra,
    }


def _as_text(value: Any) -> str:
    """A metadata value as text: scalars as written, lists of scalars joined; nested structures dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean_surrogates(value).strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | dt.date | dt.datetime):
        return value.isoformat() if isinstance(value, dt.date | dt.datetime) else str(value)
    if isinstance(value, list | tuple):
        parts = [_as_text(v) for v in value if not isinstance(v, dict | list | tuple)]
        return ", ".join(p for p in parts if p)
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean_surrogates(text: str) -> str:
    # Lone surrogates (from JSON "\ud800") cannot be encoded; U+FFFD keeps every offset where it was.
    return _SURROGATES.sub("\ufffd", text)


_SURROGATES = re.compile("[\ud800-\udfff]")


# --- HTML -----------------------------------------------------------------------------------------

# A saved page is read as it is: no extensive date search in the text, the publication date over updates.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def parse_html(html: str, *, source: str, article_id: str) -> Item:
    """The main text of a saved web page (trafilatura, offline) plus its metadata."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_images=False,
        include_links=False,
        include_tables=True,
        date_extraction_params=_DATE_PARAMS,
    )
    text = normalize_text(_clean_surrogates(str(getattr(document, "text", "") or "")))
    if not text:
        return Skipped(source, "no article text")
    meta = {
        key: getattr(document, key, None)
        for key in (
            "title",
            "url",
            "date",
            "author",
            "sitename",
            "description",
            "categories",
            "tags",
            "language",
        )
    }
    fields = metadata_fields(meta, title_keys=("title",), url_keys=("url",), date_keys=("date",))
    return Article(id=article_id, text=text, source=source, **fields)


# --- records: JSON, JSON Lines, CSV ---------------------------------------------------------------


def read_json(text: str, *, source: str, base_id: str, fields: RecordFields) -> Iterator[Item]:
    """A list of records, {"articles": [...]}, or one record."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as err:
        yield Skipped(source, f"invalid JSON: {_short(err)}")
        return
    if isinstance(value, dict) and isinstance(value.get("articles"), list):
        value = value["articles"]
    if isinstance(value, dict):
        yield record_article(value, source=source, fallback_id=base_id, fields=fields)
    elif isinstance(value, list):
        if not value:
            yield Skipped(source, "no records")
        for number, record in enumerate(value, start=1):
            yield record_article(record, source=f"{source}:{number}", fallback_id=f"{base_id}:{number}", fields=fields)
    else:
        yield Skipped(source, "JSON is neither a record nor a list of records")


def read_jsonl(text: str, *, source: str, base_id: str, fields: RecordFields) -> Iterator[Item]:
    """One record per line; a bad line is skipped and the others still read."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield _jsonl_record(line, number, source=source, base_id=base_id, fields=fields)


def _jsonl_record(line: str, number: int, *, source: str, base_id: str, fields: RecordFields) -> Item:
    where = f"{source}:{number}"
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as err:
        return Skipped(where, f"invalid JSON: {_short(err)}")
    return record_article(record, source=where, fallback_id=f"{base_id}:{number}", fields=fields)


JSONL_HEAD_BYTES = 65536  # what is looked at to tell a JSON Lines file from a binary one


def read_jsonl_stream(
    handle: BinaryIO, *, source: str, base_id: str, fields: RecordFields, max_line_bytes: int
) -> Iterator[Item]:
    """A JSON Lines file read line by line, whatever its size: memory follows the longest line (a line longer
    than `max_line_bytes` is skipped). Lines are UTF-8, as JSON is; a line that is not is decoded as other text."""
    head = handle.peek(JSONL_HEAD_BYTES)[:JSONL_HEAD_BYTES] if hasattr(handle, "peek") else b""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):  # UTF-16 or UTF-32: not line by line
        data = handle.read(max_line_bytes + 1)
        if len(data) > max_line_bytes:
            yield Skipped(source, f"larger than {max_line_bytes} bytes")
        else:
            yield from read_document(data, kind="jsonl", source=source, base_id=base_id, fields=fields)
        return
    cut = head.rfind(b"\n")
    if decode_bytes(head[: cut if cut > 0 else len(head)]) is None:
        yield Skipped(source, binary_kind(head))
        return
    found = False
    for number, raw in enumerate(_bounded_lines(handle, max_line_bytes), start=1):
        if raw is None:
            yield Skipped(f"{source}:{number}", f"line larger than {max_line_bytes} bytes")
            continue
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = decode_bytes(raw) or ""
        if line.strip():
            found = True
            yield _jsonl_record(line, number, source=source, base_id=base_id, fields=fields)
    if not found:
        yield Skipped(source, "empty file")


def _bounded_lines(handle: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The lines of a binary file; None for a line longer than `limit` (the rest of it is read and dropped)."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := handle.readline(65536)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def read_csv(text: str, *, source: str, base_id: str, fields: RecordFields) -> Iterator[Item]:
    """One record per row, the first row naming the fields."""
    limit = csv.field_size_limit(max(len(text), 131072))  # an article may exceed csv's default field limit
    try:
        rows, error = _csv_rows(text)
    finally:
        csv.field_size_limit(limit)
    if rows and fields.text not in rows[0][1]:
        found = ", ".join(repr(name) for name in list(rows[0][1])[:20])
        yield Skipped(source, f"no {fields.text!r} column (its columns: {found}; choose one with --text-field)")
        return
    for line, row in rows:
        yield record_article(row, source=f"{source}:{line}", fallback_id=f"{base_id}:{line}", fields=fields)
    if error:
        yield Skipped(source, error)
    elif not rows:
        yield Skipped(source, "no records")


def _csv_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    rows: list[tuple[int, dict[str, Any]]] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    start = 2
    try:
        for row in reader:
            rows.append((start, {k: v for k, v in row.items() if isinstance(k, str)}))
            start = reader.line_num + 1
    except csv.Error as err:
        return rows, f"invalid CSV at line {reader.line_num}: {_short(err)}"
    return rows, ""


def record_article(record: object, *, source: str, fallback_id: str, fields: RecordFields) -> Item:
    """One record -> Article. Title, url, date may sit at top level or under "meta" (the gold format)."""
    if not isinstance(record, dict):
        return Skipped(source, "record is not an object")
    text = record.get(fields.text)
    if text is None:
        return Skipped(source, f"no text (field {fields.text!r})")
    if not isinstance(text, str):
        return Skipped(source, f"field {fields.text!r} is not text")
    if not text.strip():
        return Skipped(source, "empty text")
    nested = record.get("meta")
    meta = {
        **(nested if isinstance(nested, dict) else {}),
        **{k: v for k, v in record.items() if k != "meta"},
    }
    meta = {k: v for k, v in meta.items() if k not in (fields.text, fields.id)}
    found = metadata_fields(
        meta,
        title_keys=(fields.title, *_TITLE_KEYS),
        url_keys=(fields.url, *_URL_KEYS),
        date_keys=(fields.date, *_DATE_KEYS),
    )
    own_id = _as_text(record.get(fields.id)) if not isinstance(record.get(fields.id), list) else ""
    return Article(id=_one_line(own_id) or fallback_id, text=_clean_surrogates(text), source=source, **found)


def _short(err: BaseException) -> str:
    message = str(err) or type(err).__name__
    return message if len(message) <= 120 else message[:117] + "..."
