"""Text built to hurt: shouted headlines, runs of capitals, punctuation and whitespace, through the real
recognizer and resolver. Nothing may make a step super-linear, and nothing may break the offsets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geomap.models import Article
from geomap.pipeline import Pipeline, Settings
from tests.conftest import SEEDS

# Runs that once made a pattern backtrack catastrophically, or that a pattern anchored at a run's end
# would try from every offset: capitalised words, capitals, initials, punctuation, whitespace.
HOSTILE_RUNS = [
    "BREAKING NEWS FROM THE WIRE THIS IS SHOUTING IN ALL CAPITALS AGAIN AND AGAIN " * 6,
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 8,
    "Xyzzy Plugh Quux Frobnitz Grault Garply Waldo Fred Plugh Thud " * 8,
    "A." * 300,
    "A'" * 300,
    "Abc-" * 150,
    "Abc, " * 150,
    "," * 600,
    " " * 600,
    "\n" * 200 + " \t" * 200,
    "#GAZA #EBOLA #FERGUSON #BREAKING #NEWS " * 12,
    "!!!???..." * 60,
]


def _paragraphs() -> list[str]:
    paras = [p.strip() for f in sorted(SEEDS.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")]
    return [p for p in paras if len(p) > 300]


def _articles(hostile: bool) -> list[Article]:
    paras = _paragraphs()
    out = []
    for i in range(40):
        body = paras[i % len(paras)]
        if hostile:
            run = HOSTILE_RUNS[i % len(HOSTILE_RUNS)]
            # the run after a place name, where the context patterns look, and inside a sentence
            half = len(body) // 2
            body = f"Flooding hit Lima, Ohio on Monday, {run} in Yonkers. {body[:half]} {run} {body[half:]}"
        else:
            body = f"Flooding hit Lima, Ohio on Monday in Yonkers. {body} {body[:200]}"
        out.append(Article(id=f"{'hostile' if hostile else 'plain'}-{i}", text=body))
    return out


@pytest.fixture(scope="module")
def pipeline(cache_dir_module: Path) -> Iterator[Pipeline]:
    with Pipeline(Settings(cache_dir=cache_dir_module, reuse_articles=False)) as p:
        p.process([Article(id="warm", text="Rain in Baku.")])  # load the model and open the gazetteer
        yield p


def _seconds(pipeline: Pipeline, articles: list[Article]) -> float:
    """The processor time that processing `articles` in this process takes: their cost, which the other processes
    of a busy machine (the suite's other worker, say) do not inflate as they would the wall-clock time."""
    start = time.process_time()
    pipeline.process(articles)
    return time.process_time() - start


def test_hostile_articles_cost_about_what_ordinary_ones_do(pipeline: Pipeline) -> None:
    hostile, plain = _articles(hostile=True), _articles(hostile=False)
    assert sum(len(a.text) for a in hostile) >= sum(len(a.text) for a in plain)
    plain_s = min(_seconds(pipeline, plain) for _ in range(2))
    hostile_s = _seconds(pipeline, hostile)
    print(f"40 hostile articles {hostile_s:.2f} s, 40 ordinary ones {plain_s:.2f} s")
    assert hostile_s <= 3 * plain_s + 1.0, f"40 hostile articles {hostile_s:.1f} s, 40 ordinary ones {plain_s:.1f} s"


def test_hostile_articles_keep_their_places(pipeline: Pipeline) -> None:
    for result in pipeline.process(_articles(hostile=True)[:12]):
        found = {r.mention.text: r.place for r in result.resolutions}
        assert found.get("Lima") is not None and found["Lima"].admin1 == "Ohio", result.article.text[:80]
        assert found.get("Yonkers") is not None, result.article.text[:80]


# Words recognition looks at (cues, places, people, units), glued with the punctuation its patterns cross.
_WORDS = st.sampled_from(
    "Lima Ohio Yonkers Baku Georgia Paris Texas Jackson Barrow counties County state the town of in near said "
    "Mr. U.S. N.Y. Calif. AP BREAKING NEWS ABCDEFGHIJ A. St. Guinea Bissau Kwa Zulu Natal police man "
    "Ebola virus Times Police Department of University".split()
)
_GLUE = st.sampled_from([" ", " ", " ", ", ", ". ", "-", "'s ", "\n", "\n\n", " — ", ": ", "  ", "(", ") ", '"'])
_TEXTS = st.lists(st.tuples(_WORDS, _GLUE), min_size=1, max_size=80).map(lambda ws: "".join(w + g for w, g in ws))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(text=_TEXTS | st.text(max_size=300))
def test_recognition_keeps_offsets_on_any_text(pipeline: Pipeline, text: str) -> None:
    start = time.perf_counter()
    (result,) = pipeline.process([Article(id="fuzz", text=text)])
    assert time.perf_counter() - start < 5.0, "one short text took seconds"
    for r in result.resolutions:
        m = r.mention
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
        assert text[m.sentence_start : m.sentence_start + len(m.sentence)] == m.sentence
        assert m.sentence_start <= m.start and m.end <= m.sentence_start + len(m.sentence)
