"""End to end on the seeds with the real model, the real gazetteer and a real SQLite cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomap.models import Article, RunResult
from geomap.pipeline import Pipeline, Settings
from geomap.resolve import great_circle_km
from tests.conftest import SEEDS

# (mention text, expected country code, lat, lon, tolerance km) — the real places, from public references.
EXPECTED = [
    ("Stockholm", "SE", 59.3293, 18.0686, 50),
    ("Yonkers", "US", 40.9312, -73.8988, 50),
    ("Syunik", "AM", 39.5133, 46.3387, 100),
    ("Pokrovsk", "UA", 48.2820, 37.1758, 50),
    ("Tehran", "IR", 35.6892, 51.3890, 50),
    ("Baku", "AZ", 40.4093, 49.8671, 50),
    # the names the small model mislabels (PERSON, ORG, NORP) and the regions and seas
    ("Chasiv Yar", "UA", 48.5867, 37.8353, 50),
    ("Kostyantynivka", "UA", 48.5277, 37.7069, 50),
    ("Nagorno-Karabakh", "AZ", 39.8177, 46.7528, 100),
    ("Nakhchivan", "AZ", 39.2089, 45.4122, 100),
    ("Persian Gulf", "", 26.0, 52.0, 300),
]


@pytest.fixture(scope="module")
def seeds_run(cache_dir_module: Path) -> RunResult:
    with Pipeline(Settings(cache_dir=cache_dir_module)) as pipeline:
        return pipeline.run([SEEDS])


def _resolutions_of(run: RunResult, text: str) -> list:
    return [r for a in run.articles for r in a.resolutions if r.mention.text == text]


@pytest.mark.parametrize(("text", "cc", "lat", "lon", "km"), EXPECTED)
def test_seed_places_resolve_near_the_real_place(
    seeds_run: RunResult, text: str, cc: str, lat: float, lon: float, km: float
) -> None:
    found = _resolutions_of(seeds_run, text)
    assert found, f"{text} not recognised in the seeds"
    for r in found:
        assert r.place is not None, f"{text} unresolved: {r.reason}"
        assert r.place.country_code == cc, (text, r.place)
        assert great_circle_km(r.place.lat, r.place.lon, lat, lon) <= km, (text, r.place)


def test_yonkers_is_in_new_york(seeds_run: RunResult) -> None:
    places = {r.place.admin1 for r in _resolutions_of(seeds_run, "Yonkers") if r.place}
    assert places == {"New York"}


@pytest.mark.parametrize("person", ["Svitan", "Azizi", "Majid Azizi", "Roman Svitan"])
def test_people_are_not_mapped(seeds_run: RunResult, person: str) -> None:
    assert not [r for r in _resolutions_of(seeds_run, person) if r.place is not None]


def test_mentions_carry_offsets_and_sentences(seeds_run: RunResult) -> None:
    for result in seeds_run.articles:
        text = result.article.text
        for r in result.resolutions:
            m = r.mention
            assert text[m.start : m.end] == m.text
            assert text[m.sentence_start : m.sentence_start + len(m.sentence)] == m.sentence
            assert m.sentence_start <= m.start and m.end <= m.sentence_start + len(m.sentence)


def test_unresolved_mentions_are_reported_not_dropped(seeds_run: RunResult) -> None:
    unresolved = [r for a in seeds_run.articles for r in a.unresolved]
    for r in unresolved:
        assert r.reason


def _run_text(cache_dir: Path, text: str, **settings: object) -> list:
    with Pipeline(Settings(cache_dir=cache_dir, **settings)) as pipeline:  # type: ignore[arg-type]
        [result] = pipeline.process([Article(id="t", text=text)])
    return list(result.resolutions)


@pytest.mark.parametrize(
    ("text", "country", "admin1"),
    [
        ("The plant in Lima, Ohio closed on Monday after the flood.", "US", "Ohio"),
        ("Protesters marched through Lima, Peru on Monday.", "PE", None),
    ],
)
def test_lima_follows_its_qualifier(cache_dir: Path, text: str, country: str, admin1: str | None) -> None:
    [lima] = [r for r in _run_text(cache_dir, text) if r.mention.text == "Lima"]
    assert lima.place is not None
    assert lima.place.country_code == country
    if admin1:
        assert lima.place.admin1 == admin1


def test_bare_georgia_next_to_armenia_is_the_country(cache_dir: Path) -> None:
    text = "Trade between Armenia, Azerbaijan and Georgia grew last year, officials in Yerevan said."
    [georgia] = [r for r in _run_text(cache_dir, text) if r.mention.text == "Georgia"]
    assert georgia.place is not None and georgia.place.feature == "country"
    assert georgia.place.country_code == "GE"


def test_warm_run_makes_no_lookups(cache_dir: Path) -> None:
    with Pipeline(Settings(cache_dir=cache_dir)) as cold:
        cold.run([SEEDS])
        assert cold.gazetteer.lookups > 0
    with Pipeline(Settings(cache_dir=cache_dir)) as warm:
        warm.run([SEEDS])
        assert warm.gazetteer.lookups == 0  # every article's result came from the cache


def test_rerun_reuses_article_results(cache_dir: Path) -> None:
    with Pipeline(Settings(cache_dir=cache_dir)) as first:
        a = first.run([SEEDS])
    with Pipeline(Settings(cache_dir=cache_dir)) as second:
        b = second.run([SEEDS])
        assert second.stats == {"processed": 0, "reused": len(b.articles), "duplicates": 0}
        assert second._worker is None  # the model was never even loaded
    assert [x.resolutions for x in a.articles] == [y.resolutions for y in b.articles]


def test_the_article_cache_key_follows_every_gazetteer_module() -> None:
    # The cached article results are keyed by code_version() and the gazetteer's version. The gazetteer's version
    # hashes its build code (BUILD_CODE); code_version() must hash the rest, the queries above all: a query
    # edited must not serve results computed by the old one.
    from geomap.gazetteer import BUILD_CODE
    from geomap.pipeline import code_files

    package = Path(__file__).resolve().parent.parent / "geomap"
    hashed = {path.resolve() for path in code_files()} | {(package / name).resolve() for name in BUILD_CODE}
    modules = {path.resolve() for path in (package / "gazetteer").glob("*.py") if path.name != "__init__.py"}
    assert (package / "gazetteer" / "store.py").resolve() in hashed - {(package / n).resolve() for n in BUILD_CODE}
    assert modules <= hashed
    assert {(package / name).resolve() for name in ("names.py", "namekeys.py")} <= hashed
