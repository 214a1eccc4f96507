"""Texts of any length: read in pieces cut at paragraph bounds, with no mention or offset lost at the seams."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geomap.models import Article
from geomap.pipeline import Pipeline, Settings
from geomap.recognize import Recognizer, pieces
from tests.conftest import SEEDS


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


def test_a_text_beyond_spacys_limit_is_mapped(pipeline: Pipeline) -> None:
    text = _long_text(1_200_000)  # spaCy refuses more than 1,000,000 characters in one Doc
    (result,) = pipeline.process([Article(id="huge", text=text)])
    found = [r for r in result.resolutions if r.mention.text == "Stockholm"]
    assert len(found) == text.count("Stockholm")
    assert all(text[r.mention.start : r.mention.end] == "Stockholm" for r in found)
    assert {r.place.country_code for r in found if r.place} == {"SE"}
