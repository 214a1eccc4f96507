"""Qualifiers: the comma parts that say which of a name's places is meant ("Lima, Ohio", "Yonkers, New York,
United States", "Paris, TX"). One reading for `geomap geocode`, the geopy-facing `OfflineGeocoder` and, for
mentions in an article, the resolver: a qualifier names countries or first-level regions, and a place is
within it when it lies in one of them."""

from __future__ import annotations

from collections.abc import Iterable

from geomap.gazetteer import country_codes
from geomap.models import Candidate, Lookup, Place

Region = tuple[str, str]  # (ISO country code, GeoNames admin-1 code or "" for the whole country)
LEVELS = ("country", "admin1")  # the kinds of place a qualifier may name, largest first


def region_of(place: Place) -> Region | None:
    """The region a country or first-level division stands for as a qualifier; None for anything else."""
    if place.feature not in LEVELS or not place.country_code:
        return None
    return (place.country_code, place.admin1_code if place.feature == "admin1" else "")


def regions(candidates: Iterable[Candidate], levels: tuple[str, ...] = LEVELS) -> set[Region]:
    """The regions a qualifier may name, from its candidates (of the kinds in `levels`)."""
    found = (region_of(c.place) for c in candidates if c.place.feature in levels)
    return {r for r in found if r is not None}


def within(place: Place, named: Iterable[Region]) -> bool:
    """Whether the place lies in one of the regions (a country is not within one of its own regions)."""
    for country, admin1 in named:
        if place.country_code == country and (
            not admin1 or (place.admin1_code == admin1 and place.feature != "country")
        ):
            return True
    return False


def parse_query(query: str, lookup: Lookup) -> tuple[str, list[set[Region]]]:
    """'Yonkers, New York, United States' -> ('Yonkers', [{New York}, {United States}]): from the right, each comma
    part that names a country (its name, or its ISO code) or a first-level region scopes the name; the first part
    that names none ends the qualifiers and stays in the name ("Washington, D.C." is a name)."""
    name, scopes = query.strip(" ,"), list[set[Region]]()
    while True:
        head, comma, tail = name.rpartition(",")
        if not comma or not head.strip():
            return name, scopes[::-1]
        named = _named(tail.strip(), lookup)
        if not named:
            return name, scopes[::-1]
        scopes.append(named)
        name = head.strip(" ,")


def _named(text: str, lookup: Lookup) -> set[Region]:
    if len(text) == 2 and text.isalpha() and text.isupper() and text in country_codes():
        return {(text, "")} | regions(lookup.candidates(text))
    return regions(lookup.candidates(text))
