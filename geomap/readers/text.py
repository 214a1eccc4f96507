"""Plain-text articles: the header lines read as title, dateline, byline and section, and the trailing
"Comments" / "Related Articles" blocks cut off (whole articles inside a "Related" block become articles too).

Text pasted from a web page carries the page's furniture. The mapper computes offsets into `Article.text`, so
the header lines stay in the text (they are only copied into metadata) and nothing but the trailing block is
removed. Markdown and HTML reuse the normalising, Markdown the cutting too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from geomap.models import Article, Skipped
from geomap.readers.dates import parse_date

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


def parse_text(text: str, *, source: str, article_id: str) -> Iterator[Article | Skipped]:
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
