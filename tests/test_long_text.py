"""Texts of any length: read in pieces cut at paragraph bounds, with no mention or offset lost at the seams."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import spacy

from geomap.models import Article
from geomap.pipeline import Pipeline, Settings
from geomap.recognize import Recognizer, pieces
from tests.conftest import REPO, SEEDS

SPACY_MAX_CHARS = 1_000_000  # spaCy's `nlp.max_length`: it refuses a longer text in one Doc


def _long_text(chars: int) -> str:
    paragraphs = [p.strip() for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")]
    out: list[str] = []
    n = 0
    while sum(len(p) + 2 for p in out) < chars:
        out.append(
            f"On day {n} it rained in Stockholm and in Lima, Peru."
            if n % 3 == 0
            else paragraphs[n % len(paragraphs)]
        )
        n += 1
    return "\n\n".join(out)


@pytest.mark.parametrize("size", [50, 1_000, 7_919, 20_000])
def test_pieces_cover_the_text_and_cut_at_paragraphs(size: int) -> None:
    text = _long_text(40_000)
    parts = list(pieces(text, size))
    assert "".join(p for _, p, _ in parts) == text
    assert [o for o, _, _ in parts] == [sum(len(p) for _, p, _ in parts[:i]) for i in range(len(parts))]
    assert all(len(p) <= size for _, p, _ in parts)
    assert [last for _, _, last in parts] == [False] * (len(parts) - 1) + [True]
    longest = max(len(p) for p in text.split("\n\n"))
    if size >= 2 * longest + 2:  # a whole paragraph fits in the last half of a piece: cuts are at paragraph breaks
        assert all(p.endswith("\n\n") for _, p, _ in parts[:-1])


def test_a_text_without_breaks_is_cut_at_the_limit() -> None:
    text = "x" * 2_500
    assert [(o, len(p)) for o, p, _ in pieces(text, 1_000)] == [(0, 1_000), (1_000, 1_000), (2_000, 500)]
    assert list(pieces("", 1_000)) == [(0, "", True)]


@pytest.fixture(scope="module")
def pipeline(cache_dir_module: Path) -> Iterator[Pipeline]:
    with Pipeline(Settings(cache_dir=cache_dir_module, reuse_articles=False)) as p:
        yield p


def test_pieces_find_what_the_whole_text_finds(pipeline: Pipeline) -> None:
    text = _long_text(30_000)
    article = Article(id="long", text=text)
    whole = Recognizer(pipeline.gazetteer, piece_chars=10**9)
    cut = Recognizer(pipeline.gazetteer, piece_chars=4_000)
    assert len(list(pieces(text, 4_000))) >= 8
    ((_, once),) = whole.recognize([article])
    ((_, in_pieces),) = cut.recognize([article])
    assert [(m.start, m.end, m.text, m.label) for m in in_pieces] == [(m.start, m.end, m.text, m.label) for m in once]
    assert sum(1 for m in in_pieces if m.text == "Stockholm") == text.count("Stockholm")


def test_a_text_file_beyond_spacys_limit_is_mapped_beside_the_others(cache_dir: Path, tmp_path: Path) -> None:
    # spaCy refuses more than 1,000,000 characters in one Doc: this file is read in pieces, and its neighbour too
    lines = [
        "On day {n} it rained in Stockholm, and the ferries that cross the bay in the morning were late again.",
        "the committee met on day {n} to talk about the budget, the schools and the repairs to the old bridge.",
        "farmers said on day {n} that the dry spell had cost them most of the harvest and some of the herds.",
    ]
    # 10,500 paragraphs: a plain text file of 1.05 MB, nothing in it but the article. Past the limit by a margin
    # (the cost is spaCy's, linear in the length: the 2.1 MB this test once read took 100 s of the suite's time)
    paragraphs = [lines[n % 3].format(n=n) for n in range(10_500)]
    text = "\n\n".join(paragraphs)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "archive.txt").write_text(text, encoding="utf-8")
    (inputs / "brief.txt").write_text("Flooding hit Lima, Ohio on Monday, officials in Columbus said.\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "geomap", "parse", str(inputs), "--cache-dir", str(cache_dir), "-j", "2"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    records = {r["id"]: r for r in map(json.loads, run.stdout.splitlines())}
    assert spacy.blank("en").max_length == SPACY_MAX_CHARS  # the limit this file is past
    assert len((inputs / "archive.txt").read_text(encoding="utf-8")) > SPACY_MAX_CHARS
    found = [m for m in records["archive"]["mentions"] if m["text"] == "Stockholm"]
    assert len(found) == text.count("Stockholm")  # across every piece
    assert all(text[m["start"] : m["end"]] == "Stockholm" for m in found)
    assert {m["country_code"] for m in found} == {"SE"}
    assert {"Lima", "Columbus"} <= {m["text"] for m in records["brief"]["mentions"]}
