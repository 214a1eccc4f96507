"""Plain, frozen data passed between the stages, and the one interface names are looked up through.
Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Kind(StrEnum):
    """How a map groups places: the legend's colours and the kind filter."""

    COUNTRY = "country"
    REGION = "region"
    CITY = "city"
    PHYSICAL = "physical"
    OTHER = "other"


class Feature(StrEnum):
    """What a place is: the gazetteer's coarse features, onto which GeoNames' feature codes and online geocoders'
    types are mapped (gazetteer/geonames.py, geocoders.py). A StrEnum, so "admin1" and Feature.ADMIN1 are equal
    and every output writes the plain word."""

    COUNTRY = "country"
    CAPITAL = "capital"
    CITY = "city"
    ADMIN1 = "admin1"
    ADMIN2 = "admin2"
    ADMIN3 = "admin3"
    ADMIN1_GROUP = "admin1_group"  # regions made of first-level divisions ("Kurdistan", "Donbas")
    REGION = "region"
    MACRO_REGION = "macro_region"  # "Middle East", "Western Europe"
    CONTINENT = "continent"
    DISPUTED_AREA = "disputed_area"
    OCEAN = "ocean"
    SEA = "sea"
    GULF = "gulf"
    BAY = "bay"
    STRAIT = "strait"
    CANAL = "canal"
    RIVER = "river"
    LAKE = "lake"
    WATERFALL = "waterfall"
    REEF = "reef"
    WATER = "water"
    ISLAND = "island"
    ISLAND_GROUP = "island_group"
    PENINSULA = "peninsula"
    CAPE = "cape"
    MOUNTAIN = "mountain"
    MOUNTAIN_RANGE = "mountain_range"
    PLATEAU = "plateau"
    PLAIN = "plain"
    DESERT = "desert"
    DEPRESSION = "depression"
    POLE = "pole"
    TERRAIN = "terrain"
    UNDERSEA = "undersea"
    VEGETATION = "vegetation"
    HISTORICAL = "historical"
    SITE = "site"
    ROAD = "road"
    OTHER = "other"

    @classmethod
    def of(cls, value: str) -> Feature:
        """The feature a word names; OTHER for a word that names none (an online geocoder's own types)."""
        return cls._value2member_map_.get(value, cls.OTHER)  # type: ignore[return-value]

    @property
    def kind(self) -> Kind:
        return _KINDS.get(self, Kind.PHYSICAL)


_KINDS = {
    Feature.COUNTRY: Kind.COUNTRY,
    **dict.fromkeys((Feature.CAPITAL, Feature.CITY), Kind.CITY),
    **dict.fromkeys(
        (
            Feature.ADMIN1,
            Feature.ADMIN2,
            Feature.ADMIN3,
            Feature.ADMIN1_GROUP,
            Feature.REGION,
            Feature.MACRO_REGION,
            Feature.CONTINENT,
            Feature.DISPUTED_AREA,
        ),
        Kind.REGION,
    ),  # fmt: skip
    **dict.fromkeys((Feature.HISTORICAL, Feature.SITE, Feature.ROAD, Feature.OTHER), Kind.OTHER),
}  # every other feature is physical


def kind_of(place: Place) -> Kind:
    """The map's kind of a place; for a feature that says nothing, GeoNames' code does (PCL*, ADM*, PPL*)."""
    kind = Feature.of(place.feature).kind
    if kind is Kind.OTHER:
        code = place.feature_code.upper()
        for prefix, by_code in (("PCL", Kind.COUNTRY), ("ADM", Kind.REGION), ("PPL", Kind.CITY)):
            if code.startswith(prefix):
                return by_code
    return kind


@dataclass(frozen=True)
class Article:
    """One article. `text` is exactly what the reader view shows; every offset refers to it."""

    id: str
    text: str
    title: str = ""
    source: str = ""  # where it came from: a file path, "stdin", "file.jsonl:12"
    url: str | None = None
    date: str | None = None  # ISO 8601 date (or date-time) when known
    author: str | None = None
    site: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # any other metadata, kept as text pairs
    also_sources: tuple[str, ...] = ()  # other files carrying the same text (syndicated copies)
    language: str | None = None  # ISO 639-1 code when detected (geomap.language); None: the default model's


@dataclass(frozen=True)
class Skipped:
    """An input that could not be used, and why (reported on stderr, never fatal)."""

    source: str
    reason: str


@dataclass(frozen=True)
class Mention:
    """A span of an article's text recognised as naming a place."""

    article_id: str
    start: int  # character offsets into Article.text, end exclusive
    end: int
    text: str  # == article.text[start:end]
    sentence: str  # the sentence containing the mention
    sentence_start: int  # offset of `sentence` in Article.text
    label: str  # where it came from: spaCy's label ("GPE", "LOC", "FAC") or "GAZ", "DOC"
    kind: str = "toponym"  # "toponym" or "demonym" (an adjective such as "Iranian")


@dataclass(frozen=True)
class Place:
    """One real place from the gazetteer (or an online geocoder)."""

    id: str  # stable id: "gn:<geonameid>" when known, else "<source>:<key>"
    name: str
    lat: float
    lon: float
    feature: Feature  # what it is: country, admin1, capital, city, sea, river... (see Feature)
    feature_code: str = ""  # GeoNames feature code where known (PPLC, ADM1, SEA...)
    country_code: str = ""  # ISO 3166-1 alpha-2, "" for seas, continents...
    country: str = ""  # country name
    admin1: str = ""  # first-level division name
    admin1_code: str = ""  # GeoNames admin-1 code, e.g. "AM.08" -> "08"
    population: int = 0
    source: str = ""  # "geonames", "naturalearth", "cldr", "user", "nominatim"...

    @property
    def label(self) -> str:
        """'Yonkers, New York, United States' — the name a person expects to read."""
        parts = [self.name]
        for part in (self.admin1, self.country):
            if part and part not in parts:
                parts.append(part)
        return ", ".join(parts)


@dataclass(frozen=True)
class Candidate:
    """A place a name may refer to, with how the name matched it."""

    place: Place
    matched: str  # the gazetteer name that matched
    name_kind: str = "name"  # "name" (main), "alt" (alternate name), "abbr", "demonym"
    known_names: int = 0  # distinct names the gazetteer knows the place by (more for prominent places)
    country_population: int = 0  # of the country the place lies in (0: none, or unknown)
    towns_population: int = 0  # of a first-level region: the summed population of the towns in it


@dataclass(frozen=True)
class Resolution:
    """What a mention was resolved to. `place` is None when no candidate was credible."""

    mention: Mention
    place: Place | None
    score: float = 0.0
    alternatives: tuple[Place, ...] = ()  # runner-up places, best first
    reason: str = ""  # short why, e.g. "qualifier: Ohio" or "no candidate"


@dataclass(frozen=True)
class ArticleResult:
    """Everything the pipeline learned about one article."""

    article: Article
    resolutions: tuple[Resolution, ...] = ()

    @property
    def resolved(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if r.place is not None)

    @property
    def unresolved(self) -> tuple[Resolution, ...]:
        return tuple(r for r in self.resolutions if r.place is None)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run over many inputs."""

    articles: tuple[ArticleResult, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    stats: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


class Lookup(Protocol):
    """Where names are looked up, by recognition and resolution alike: the gazetteer, or the cache (and an
    opt-in online geocoder) in front of it."""

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]: ...

    def demonym(self, word: str) -> Place | None: ...
