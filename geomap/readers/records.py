"""Records: JSON (a list of records, {"articles": [...]} or one record), JSON Lines and CSV, one Article each.

Exports, scraped datasets and annotated corpora come as records. A bad record is skipped and the others still
read; a JSON Lines file is streamed, so its size does not matter. Record texts are kept verbatim (only lone
surrogates become U+FFFD, in place), because annotated corpora carry offsets into them. Which field holds what
is the user's to say (`RecordFields`, from --text-field and the like).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from geomap.models import Article, Skipped
from geomap.readers.decode import binary_kind, decode_bytes, document_text
from geomap.readers.metadata import (
    DATE_KEYS,
    TITLE_KEYS,
    URL_KEYS,
    as_text,
    clean_surrogates,
    metadata_fields,
    one_line,
)

Item = Article | Skipped


@dataclass(frozen=True)
class RecordFields:
    """Which field of a record (JSON, JSON Lines, CSV) holds what."""

    text: str = "text"
    title: str = "title"
    url: str = "url"
    date: str = "date"
    id: str = "id"


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
            text = document_text(data, source=source)
            if isinstance(text, Skipped):
                yield text
            else:
                yield from read_jsonl(text, source=source, base_id=base_id, fields=fields)
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
        title_keys=(fields.title, *TITLE_KEYS),
        url_keys=(fields.url, *URL_KEYS),
        date_keys=(fields.date, *DATE_KEYS),
    )
    own_id = as_text(record.get(fields.id)) if not isinstance(record.get(fields.id), list) else ""
    return Article(id=one_line(own_id) or fallback_id, text=clean_surrogates(text), source=source, **found)


def _short(err: BaseException) -> str:
    message = str(err) or type(err).__name__
    return message if len(message) <= 120 else message[:117] + "..."
