"""Random bytes, text and JSON through every reader: nothing raises, only Articles and Skippeds come out."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geomap.inputs import ReadOptions, read_inputs
from geomap.models import Article, Skipped

SUFFIXES = [".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".csv", ".dat", ""]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)
# Records shaped like articles, so the record paths (ids, meta, dates) are reached, not only "no text".
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
records = st.fixed_dictionaries(
    {"text": st.text(min_size=1, max_size=60) | json_values},
    optional={
        "id": scalars | json_values,
        "title": scalars | json_values,
        "date": st.sampled_from(["2024-05-06", "May 6, 2024", "06/05/2024", "2024-02-30T25:00"]) | scalars,
        "url": scalars,
        "tags": json_values,
        "meta": json_values | st.dictionaries(st.sampled_from(["title", "url", "date", "id"]), scalars),
    },
)
# Text with the characters our parsers look for: front matter, headings, bylines, tags, quotes, commas.
texty = st.text(
    alphabet=st.sampled_from(list("ab Z1\n\r\t-#:{}[]<>/\",'|by.—\u00e9\u2019\ufeff\x00\x1a")) | st.characters(),
    max_size=300,
)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def check(items: list[Article | Skipped]) -> None:
    ids = [i.id for i in items if isinstance(i, Article)]
    assert len(ids) == len(set(ids))
    for item in items:
        assert isinstance(item, Article | Skipped)
        if isinstance(item, Skipped):
            assert item.reason and not item.reason.startswith("internal error"), item
        else:
            assert item.text.strip() and isinstance(item.title, str) and item.id
            item.text.encode("utf-8")  # writable to HTML, SQLite, JSON


def read_file(folder: Path, suffix: str, data: bytes) -> list[Article | Skipped]:
    path = folder / f"input{suffix}"
    path.write_bytes(data)
    return list(read_inputs([path, folder], ReadOptions(max_bytes=100_000)))


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=400))
def test_random_bytes(workdir: Path, suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory(dir=workdir) as name:
        check(read_file(Path(name), suffix, data))


@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), text=texty, encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
def test_random_text(workdir: Path, suffix: str, text: str, encoding: str) -> None:
    with tempfile.TemporaryDirectory(dir=workdir) as name:
        check(read_file(Path(name), suffix, text.encode(encoding, "surrogatepass")))


@FUZZ
@given(value=st.one_of(json_values, st.lists(records, max_size=4), records))
def test_random_json(workdir: Path, value: Any) -> None:
    document = json.dumps(value)
    lines = "\n".join(json.dumps(v) for v in (value if isinstance(value, list) else [value]))
    with tempfile.TemporaryDirectory(dir=workdir) as name:
        folder = Path(name)
        (folder / "a.json").write_text(document)
        (folder / "b.jsonl").write_text(lines)
        (folder / "c.json").write_text(json.dumps({"articles": value}))
        check(list(read_inputs([folder])))
    check(list(read_inputs(["-"], stdin=io.StringIO(lines))))


@FUZZ
@given(rows=st.lists(records, min_size=1, max_size=4))
def test_random_records(workdir: Path, rows: list[dict[str, Any]]) -> None:
    lines = "\n".join(json.dumps(r) for r in rows)
    with tempfile.TemporaryDirectory(dir=workdir) as name:
        folder = Path(name)
        (folder / "a.json").write_text(json.dumps(rows))
        (folder / "b.jsonl").write_text(lines)
        check(list(read_inputs([folder])))


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=4), max_size=5))
def test_random_csv(workdir: Path, rows: list[list[str]]) -> None:
    import csv

    with tempfile.TemporaryDirectory(dir=workdir) as name:
        path = Path(name) / "t.csv"
        with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text", "title"])
            writer.writerows(rows)
        check(list(read_inputs([path])))


@FUZZ
@given(data=st.binary(max_size=400) | texty.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_stdin(data: bytes) -> None:
    check(list(read_inputs(["-"], stdin=io.BytesIO(data))))
