"""Bytes of one input -> Articles: decoding, then one reader per format (plain text, Markdown, HTML, PDF, JSON,
JSON Lines, CSV). Every reader turns bad input into a `Skipped`, never an exception.

`geomap.inputs` finds the inputs (folders, files, stdin) and owns ids; `geomap.fetch` downloads pages and feeds;
both hand bytes to `read_document` here, which only parses. Each format has its module, so that one format's
rules can be read (and changed) without the others', and what a format needs (trafilatura, PyYAML, pypdf) is
imported by that format's module, only when an input of that format comes:

    decode     bytes -> text, binary files named, the format told by extension or content
    dates      dates as written -> ISO 8601
    text       plain text: header lines as metadata, trailing "Comments" / "Related" blocks cut
    metadata   metadata mappings -> Article fields, shared by Markdown, HTML and records
    markdown   Markdown with YAML front matter
    html       saved web pages (trafilatura)
    records    JSON, JSON Lines (streamed) and CSV records
    pdf        PDF reports, page numbers kept (pypdf)

Offsets: the mapper computes offsets into `Article.text`, so the text is fixed here once.
"""

from __future__ import annotations

from collections.abc import Iterator

from geomap.models import Article, Skipped
from geomap.readers.decode import document_text, kind_for_suffix, sniff_kind
from geomap.readers.html import parse_html
from geomap.readers.markdown import parse_markdown
from geomap.readers.pdf import is_pdf, read_pdf
from geomap.readers.records import JSONL_HEAD_BYTES, RecordFields, read_csv, read_json, read_jsonl, read_jsonl_stream
from geomap.readers.text import parse_text

__all__ = ["JSONL_HEAD_BYTES", "RecordFields", "kind_for_suffix", "read_document", "read_jsonl_stream"]


def read_document(
    data: bytes, *, kind: str, source: str, base_id: str, fields: RecordFields
) -> Iterator[Article | Skipped]:
    """Parse one input's bytes. `base_id` is a single document's id and the prefix of record ids."""
    if kind == "pdf" or is_pdf(data):
        yield read_pdf(data, source=source, article_id=base_id)
        return
    text = document_text(data, source=source)
    if isinstance(text, Skipped):
        yield text
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
