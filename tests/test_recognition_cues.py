"""Recognition cues of local news, end to end with the real model, gazetteer and cache.

The sentences are written for these tests; each checks one general cue, and a control where the
cue is absent or points the other way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geomap.models import Article, Resolution
from geomap.pipeline import Pipeline, Settings


def _resolutions(cache_dir: Path, text: str) -> list[Resolution]:
    with Pipeline(Settings(cache_dir=cache_dir)) as pipeline:
        [result] = pipeline.process([Article(id="t", text=text)])
    return list(result.resolutions)


def _found(cache_dir: Path, text: str) -> dict[str, Resolution]:
    return {r.mention.text: r for r in _resolutions(cache_dir, text)}


def test_person_of_town_names_the_town(cache_dir: Path) -> None:
    # "of" after a capitalised word usually names an institution ("University of X"); after a person it is
    # where the person lives.
    found = _found(cache_dir, "Her cousin, Dana Whitfield of Grand Prairie, said the house had been empty for years.")
    assert "Grand Prairie" in found
    assert found["Grand Prairie"].place is not None and found["Grand Prairie"].place.admin1 == "Texas"


def test_town_heading_an_official_title_is_a_place(cache_dir: Path) -> None:
    text = '"We will rebuild the bridge," Dublin Mayor Anne Kessler said on Monday, standing beside the river.'
    found = _found(cache_dir, text)
    assert "Dublin" in found
    assert "Anne Kessler" not in found


def test_town_before_its_police_or_people_is_a_place(cache_dir: Path) -> None:
    text = (
        "The fire spread to two sheds before crews arrived. Investigators said Grovetown police had questioned "
        "a neighbour, and a Gainesville man was later charged."
    )
    found = _found(cache_dir, text)
    assert {"Grovetown", "Gainesville"} <= set(found)


def test_school_named_after_a_person_is_not_a_place(cache_dir: Path) -> None:
    found = _found(cache_dir, "Pupils at Franklin Elementary raised money for the shelter this spring.")
    assert "Franklin" not in found


def test_names_listed_before_counties_are_counties(cache_dir: Path) -> None:
    text = (
        "Enrollment has slowed in northeast Georgia, where school boards in Jackson and Barrow counties "
        "froze hiring, officials in Atlanta said."
    )
    found = _found(cache_dir, text)
    for name in ("Jackson", "Barrow"):
        assert name in found, name
        place = found[name].place
        assert place is not None and place.feature == "admin2", (name, place)
        assert place.admin1 == "Georgia", (name, place)


def test_a_bare_common_name_without_a_cue_stays_unmapped(cache_dir: Path) -> None:
    # "Jackson" alone, used for a person, must not become a place because other tests taught it counties.
    found = _found(cache_dir, "Coach Jackson praised the team after the game, and Jackson said the season was long.")
    assert "Jackson" not in found


@pytest.mark.parametrize("word", ["Northeast", "Southeastern"])
def test_compass_words_alone_are_not_places(cache_dir: Path, word: str) -> None:
    found = _found(cache_dir, f"The {word} Conference title game drew a record crowd on Saturday.")
    assert word not in found
