"""Name normalisation shared by the gazetteer build and look-ups."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geomap.names import is_abbreviation, is_latin, lookup_keys, lookup_variants, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Yonkers", "yonkers"),
        ("The Balkans", "balkans"),
        ("the Hague", "hague"),
        ("Côte d’Ivoire", "cote divoire"),
        ("Côte d'Ivoire", "cote divoire"),
        ("Nagorno-Karabakh", "nagorno karabakh"),
        ("Nagorno–Karabakh", "nagorno karabakh"),  # en dash
        ("Ukraine's", "ukraine"),
        ("Ukraine’s", "ukraine"),
        ("Kharkivs’ka Oblast’", "kharkivska oblast"),
        ("U.S.A.", "usa"),
        ("Washington, D.C.", "washington dc"),
        ("St. Louis", "st louis"),
        ("  São   Paulo ", "sao paulo"),
        ("Łódź", "lodz"),
        ("Ærøskøbing", "aeroskobing"),
        ("İstanbul", "istanbul"),
        ("Bosnia & Herzegovina", "bosnia and herzegovina"),
        ("Guinea-Bissau (country)", "guinea bissau country"),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_a_lone_the() -> None:
    assert normalize("The") == "the"


@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_canonical(text: str) -> None:
    key = normalize(text)
    assert normalize(key) == key
    assert key == key.strip() and "  " not in key
    assert not key.startswith("the ")


@given(st.text(alphabet=st.sampled_from("abcdeéxyz -'’.,"), max_size=30))
def test_case_and_accents_do_not_matter(text: str) -> None:
    assert normalize(text.upper()) == normalize(text)
    assert normalize(text.replace("é", "e")) == normalize(text)


@pytest.mark.parametrize(
    ("raw", "keys"),
    [
        ("Aras River", ["aras river", "aras"]),
        ("Zaporizhzhia region", ["zaporizhzhia region", "zaporizhzhia"]),
        ("Donetsk Oblast", ["donetsk oblast", "donetsk"]),
        ("Republic of Georgia", ["republic of georgia", "georgia"]),
        ("Caspian Sea", ["caspian sea", "caspian"]),
        ("St. Louis", ["st louis", "saint louis"]),
        ("US", ["us", "united states"]),
        ("U.S.", ["us", "united states"]),
        ("USA", ["usa", "united states"]),
        ("UK", ["uk", "united kingdom"]),
        ("NYC", ["nyc", "new york city"]),
        ("UAE", ["uae", "united arab emirates"]),
        ("Lima", ["lima"]),
        ("River", ["river"]),  # a generic word alone is kept
    ],
)
def test_lookup_keys(raw: str, keys: list[str]) -> None:
    assert lookup_keys(raw) == keys


def test_lowercase_words_are_not_expanded_as_abbreviations() -> None:
    assert lookup_keys("us") == ["us"]
    assert lookup_keys("uk") == ["uk"]


def test_generic_word_carries_a_feature_hint() -> None:
    variants = lookup_variants("Aras River")
    assert variants[0].features == frozenset()
    assert "river" in variants[1].features
    assert "admin1" in lookup_variants("Zaporizhzhia region")[1].features


def test_capitals_try_abbreviations_first() -> None:
    first, *rest = lookup_variants("US")
    assert first.key == "us" and first.abbr_only
    assert not any(v.abbr_only for v in rest)
    assert lookup_variants("Lima")[0].abbr_only is False


def test_empty_name_has_no_keys() -> None:
    assert lookup_keys(" ,. ") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("UAE", True), ("U.S.", True), ("NY", True), ("in", False), ("Me", False), ("USNB Cuba", False),
     ("NEWYORKCITY", False), ("A", False)],
)  # fmt: skip
def test_is_abbreviation(name: str, expected: bool) -> None:
    assert is_abbreviation(name) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Yonkers", True),
        ("Ærø", True),
        ("Sjunik", True),
        ("Сольдеу", False),
        ("スルデウ", False),
        ("123", False),
    ],
)
def test_is_latin(name: str, expected: bool) -> None:
    assert is_latin(name) is expected


def test_repeated_article_is_dropped_once_and_for_all() -> None:
    assert normalize("The the Gambia") == normalize(normalize("The the Gambia")) == "gambia"
