"""Bytes -> text, and what kind of input they hold: the step every reader but PDF's starts from.

Inputs come in whatever encoding their author's tools used (BOMs, UTF-8, legacy Windows code pages, other
scripts) and some are not text at all (a Word file, an image). Here the bytes become text once, with line ends
normalised so that every later offset is into the same string, or are turned down with a reason in the user's
words ("Word document, not a format geomap reads"). Which reader applies is decided here too, from a file's
extension or, when that says nothing, from its content. charset-normalizer is imported only here.
"""

from __future__ import annotations

import json
import re
import unicodedata

from geomap.models import Skipped

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


def document_text(data: bytes, *, source: str) -> str | Skipped:
    """The text of a whole input, or why it is skipped: not text (and what it is instead), or empty."""
    text = decode_bytes(data)
    if text is None:
        return Skipped(source, binary_kind(data))
    if not text.strip():
        return Skipped(source, "empty file")
    return text


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
