"""PDF reports as articles (the only pypdf import): the text layer of every page, with the page numbers kept.

Think-tank and government reports, court filings and NGO briefs come as PDFs. The text is what pypdf extracts
from each page's text layer, its layout lines joined back into paragraphs (a line that does not end a sentence
runs on into the next; a word hyphenated across lines is joined), with a "[page N]" line where page N starts, so
that the reader view shows where a sentence is. Title, author and date come from the document's metadata (the
first line of text stands in for a missing title). A PDF with no text layer (a scan) or one that needs a password
is skipped with that reason; a damaged one is skipped as unreadable.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING

from geomap.models import Article, Skipped

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

MAGIC = b"%PDF-"
MIN_LETTERS = 40  # fewer letters than this in the whole text layer: a scan, not a text PDF
SHORT_LINE = 0.7  # a line shorter than this share of the column's width ends its paragraph
_HYPHENATED = re.compile(r"[a-zà-ÿ]-$")
_LETTER = re.compile(r"[^\W\d_]")
_PAGE = "[page {}]"


def is_pdf(data: bytes) -> bool:
    """PDF files start with %PDF- (a few leading bytes of junk are allowed by readers; not here)."""
    return data[:1024].lstrip().startswith(MAGIC)


def read_pdf(data: bytes, *, source: str, article_id: str) -> Article | Skipped:
    from pypdf import PdfReader  # here, not at import: telling a PDF from other files needs no pypdf
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            return Skipped(source, "encrypted PDF: it needs a password")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
    except FileNotDecryptedError:
        return Skipped(source, "encrypted PDF: it needs a password")
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        log.debug("reading PDF %s failed", source, exc_info=True)
        return Skipped(source, f"unreadable PDF ({type(err).__name__}: {' '.join(str(err).split())[:200]})")
    text = pdf_text(pages)
    if len(_LETTER.findall(text)) < MIN_LETTERS:
        return Skipped(source, f"PDF without a text layer ({len(pages)} pages of images?): run OCR on it first")
    title = _meta(meta, "title") or _first_line(text)
    date = _meta_date(meta)
    return Article(
        id=article_id,
        text=text,
        title=title,
        source=source,
        date=date,
        author=_meta(meta, "author") or None,
        extra=(("format", "pdf"), ("pages", str(len(pages)))),
    )


def _opens_without_password(reader: PdfReader) -> bool:
    """Many PDFs are encrypted only against editing, with an empty password for reading."""
    from pypdf.errors import PyPdfError

    try:
        return bool(reader.decrypt(""))
    except (PyPdfError, NotImplementedError, ValueError):
        return False


def pdf_text(pages: list[str]) -> str:
    """The pages' text as paragraphs, each page after the first introduced by a "[page N]" line."""
    parts = []
    for number, page in enumerate(pages, start=1):
        body = _paragraphs(page)
        if not body:
            continue
        parts.append(body if number == 1 else f"{_PAGE.format(number)}\n\n{body}")
    return "\n\n".join(parts)


def _paragraphs(page: str) -> str:
    """Layout lines joined into paragraphs. A line as wide as the text column runs on into the next (a word
    hyphenated at its end is joined); a line clearly shorter than the column (the last of a paragraph, a
    heading) ends its paragraph, as does a blank line."""
    lines = [" ".join(raw.split()) for raw in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    column = lengths[(len(lengths) * 3) // 4]  # most lines are full ones: the column's width in characters
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif _HYPHENATED.search(current) and line[:1].islower():
            current = current[:-1] + line  # "inter-" + "national"
        else:
            current = f"{current} {line}"
        if len(line) < SHORT_LINE * column:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _meta(meta: object, name: str) -> str:
    value = getattr(meta, name, None) if meta is not None else None
    return " ".join(str(value).split())[:300] if value else ""


def _meta_date(meta: object) -> str | None:
    from pypdf.errors import PyPdfError

    for name in ("creation_date", "modification_date"):
        try:
            value = getattr(meta, name, None) if meta is not None else None
        except (ValueError, TypeError, PyPdfError):  # a malformed date string in the metadata
            value = None
        if isinstance(value, datetime):
            return value.date().isoformat()
    return None


def _first_line(text: str) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."
