"""Sentences a new user tries, one at a time, and the place each name must come out as: prominence that
context cannot override without local evidence, local cues that beat one sense per name, short texts.

The cases are generic kinds of mistake (a world city put on a small namesake because the article names that
namesake's country; a country's name read as a town; a qualifier ignored), not a corpus's names."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomap.models import Article, Resolution
from geomap.pipeline import Pipeline, Settings


@pytest.fixture(scope="module")
def pipeline(cache_dir_module: Path) -> Pipeline:
    with Pipeline(Settings(cache_dir=cache_dir_module, reuse_articles=False)) as p:
        yield p


def _resolved(pipeline: Pipeline, text: str) -> dict[str, Resolution]:
    [result] = pipeline.process([Article(id="t", text=text)])
    return {r.mention.text: r for r in result.resolutions}


CASES = [
    # a world city, in a sentence with nothing else: the city, not a parish or department of its name
    ("Workers in Manchester went on strike.", "Manchester", "GB", None),
    ("Trains stopped in Cordoba.", "Cordoba", ("AR", "ES"), None),
    pytest.param(
        "Originating from Persia, the dish spread west.",
        "Persia",
        "IR",
        None,
        marks=pytest.mark.xfail(
            strict=True, reason="the embedded country names lack historical names such as 'Persia'"
        ),
    ),
    pytest.param(
        "He celebrated winning the Masters at Augusta.",
        "Augusta",
        "US",
        "Georgia",
        marks=pytest.mark.xfail(
            strict=True, reason="only 'the Masters' points to Georgia; Augusta, Maine is a state capital"
        ),
    ),
    ("The port of Hamburg reported record traffic on Monday.", "Hamburg", "DE", None),
    ("Police in Yonkers said the fire was put out.", "Yonkers", "US", "New York"),
    # a country's name is the country, even in an article about another country's places
    ("The United States and Italy signed the accord in Washington on Monday.", "Italy", "IT", None),
    ("Officials in Texas said exports to China and Egypt had doubled.", "China", "CN", None),
    ("Officials in Texas said exports to China and Egypt had doubled.", "Egypt", "EG", None),
    # a world city keeps its sense when the article's one other place is in a namesake's country
    ("Talks resumed in London on Tuesday, a week after the summit in Ottawa.", "London", "GB", None),
    pytest.param(
        "Flights from Heathrow to Toronto were cancelled after the storm.",
        "Heathrow",
        "GB",
        None,
        marks=pytest.mark.xfail(
            strict=True, reason="the embedded gazetteer has no airports: Heathrow is only a US town there"
        ),
    ),
    # local cues: a region named in the same breath, a government's adjective
    ("Springfield, the Illinois state capital, has a new mayor.", "Springfield", "US", "Illinois"),
    ("In Victoria, Premier Daniel Andrews said Melbourne would reopen.", "Victoria", "AU", None),
    ("In Victoria, Premier Daniel Andrews said Melbourne would reopen.", "Melbourne", "AU", None),
    (
        "The storm hit Dallas and Houston on Monday. In Paris the French government announced new aid.",
        "Paris",
        "FR",
        None,
    ),
    # lists of places: each found and each in its country
    ("Protests spread from Paris to Lyon and Marseille.", "Paris", "FR", None),
    ("Protests spread from Paris to Lyon and Marseille.", "Lyon", "FR", None),
    ("Protests spread from Paris to Lyon and Marseille.", "Marseille", "FR", None),
    # a list names places of one country more often than not, however far apart its towns lie
    ("Customers from Adelaide, Brisbane, Perth, Melbourne and Sydney can now book online.", "Perth", "AU", None),
    # a name written again with a word added ("Paris City Hall") is the same place, not a second one backing it
    (
        "A Paris man was arrested at Paris City Hall on Sunday. He will appear in Henry County court on Tuesday.",
        "Paris",
        "US",
        "Tennessee",
    ),
]


@pytest.mark.parametrize(("text", "name", "country", "admin1"), CASES)
def test_name_resolves_to_the_intended_place(
    pipeline: Pipeline, text: str, name: str, country: str | tuple[str, ...], admin1: str | None
) -> None:
    found = _resolved(pipeline, text)
    assert name in found, f"{name!r} not recognised in {text!r} (found {sorted(found)})"
    place = found[name].place
    assert place is not None, f"{name!r} unresolved: {found[name].reason}"
    countries = (country,) if isinstance(country, str) else country
    assert place.country_code in countries, f"{name!r} -> {place.label} ({place.feature})"
    if admin1:
        assert place.admin1 == admin1, f"{name!r} -> {place.label}"


def test_the_planet_is_not_a_town(pipeline: Pipeline) -> None:
    found = _resolved(pipeline, "The crater is similar to the one on Earth, the team said.")
    earth = found.get("Earth")
    assert earth is None or earth.place is None or earth.place.country_code != "US"


def test_an_ocean_named_without_the_word_is_the_ocean(pipeline: Pipeline) -> None:
    found = _resolved(pipeline, "Her book caused a stir in the US, on the other side of the Atlantic.")
    atlantic = found["Atlantic"].place
    assert atlantic is not None and atlantic.feature == "ocean", f"'Atlantic' -> {atlantic}"


def test_geocode_a_country_in_its_own_language(pipeline: Pipeline) -> None:
    [(best, _), *_] = pipeline.geocode("España")
    assert best.feature == "country" and best.country_code == "ES"


def test_a_qualifier_decides_its_own_mention_and_a_name_can_mean_two_places(pipeline: Pipeline) -> None:
    text = (
        "Springfield is a city in Brown County, Minnesota. Its first settlers came from Springfield, "
        "Massachusetts, in 1877."
    )
    [result] = pipeline.process([Article(id="t", text=text)])
    springfields = [r for r in result.resolutions if r.mention.text == "Springfield"]
    assert [r.place.admin1 if r.place else None for r in springfields] == ["Minnesota", "Massachusetts"]


def test_a_name_first_written_with_its_qualifier_keeps_that_sense(pipeline: Pipeline) -> None:
    text = "The plant in Lima, Ohio closed on Monday. Lima had about 36,000 people in 2020."
    [result] = pipeline.process([Article(id="t", text=text)])
    limas = [r for r in result.resolutions if r.mention.text == "Lima"]
    assert len(limas) == 2 and all(r.place is not None and r.place.admin1 == "Ohio" for r in limas)
