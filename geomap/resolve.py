"""Resolution: choose one place per mention from the gazetteer's candidates, by evidence.

Evidence, per candidate (weights in `Weights`):
* what kind of place it is and how big (a bare "Georgia" is the country before the US state;
  among towns, the populous one),
* an explicit qualifier right after the mention ("Lima, Ohio", "Yonkers, New York"),
* the countries and regions the article itself mentions,
* the distance to the other places of the article,
* the user's soft country bias (`--country`).
One sense per name per article: every mention of a name resolves to the same place.
A mention with no credible candidate stays unresolved (`Resolution.place is None`), with a reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from geomap.models import Article, ArticleResult, Candidate, Mention, Place, Resolution
from geomap.names import normalize

# The prior of a place, in the units of log10(population): what a bare mention of the name most
# likely means before any context. A country outranks any city of its name; a first-level region
# counts like a city of ~3 million; physical features sit between.
FEATURE_PRIOR: dict[str, float] = {
    "continent": 8.5,
    "country": 8.5,
    "ocean": 8.0,
    "sea": 7.5,
    "macro_region": 7.5,
    "gulf": 7.0,
    "strait": 7.0,
    "admin1": 6.5,
    "region": 6.0,
    "bay": 6.0,
    "peninsula": 6.0,
    "desert": 6.0,
    "mountain_range": 6.0,
    "disputed_area": 6.0,
    "admin1_group": 5.5,
    "admin2": 5.0,
    "river": 5.0,
    "lake": 5.0,
    "island": 5.0,
    "island_group": 5.0,
}
DEFAULT_PRIOR = 4.0  # other physical features (capes, peaks, reefs...)
CAPITAL_BONUS = 1.0
REGION_FEATURES = frozenset({"country", "admin1", "continent", "macro_region", "region", "admin1_group"})
VAST_FEATURES = frozenset({"continent", "ocean", "macro_region"})  # too big to say where "nearby" is
POPULATED = frozenset({"city", "capital", ""})


class Lookup(Protocol):
    """Where candidates come from: the gazetteer, or the cache in front of it."""

    def candidates(self, name: str, *, country_code: str | None = None) -> list[Candidate]: ...

    def demonym(self, word: str) -> Place | None: ...


@dataclass(frozen=True)
class Weights:
    """Evidence, in the prior's units (one unit = ten times the population)."""

    alternate_name: float = -1.0  # the name is only an alternate name of the place
    qualifier: float = 10.0  # "Lima, Ohio": candidate lies in the qualifying region
    doc_country: float = 2.0  # the article names the candidate's country
    doc_admin1: float = 1.5  # ... or its first-level region
    contains: float = 1.5  # a region that holds other places the article names (per place, capped)
    contains_cap: float = 3.0
    proximity: float = 2.0  # next to the article's other places (decays over ~300 km)
    bias: float = 2.0  # user's --country
    min_score: float = 0.0  # below this no candidate is credible


@dataclass(frozen=True)
class ResolveOptions:
    countries: tuple[str, ...] = ()  # soft bias, ISO alpha-2
    weights: Weights = field(default_factory=Weights)
    alternatives: int = 3  # runner-ups kept with every resolution

    def fingerprint(self) -> str:
        return f"bias={','.join(sorted(self.countries))};w={self.weights}"


@dataclass(frozen=True)
class _Scored:
    place: Place
    score: float
    reason: str


def resolve_article(
    article: Article,
    mentions: Sequence[Mention],
    lookup: Lookup,
    options: ResolveOptions = ResolveOptions(),
) -> ArticleResult:
    """Resolve every mention of one article."""
    toponyms = [m for m in mentions if m.kind != "demonym"]
    cands = {key: lookup.candidates(m.text) for key, m in _first_by_key(toponyms).items()}
    qualifiers = _qualifiers(article.text, toponyms, cands)
    anchors = _anchors(cands)
    chosen: dict[str, list[_Scored]] = {}
    for key, candidates in cands.items():
        chosen[key] = _rank(candidates, key, qualifiers.get(key), anchors, options)
    # second pass: now that every name has a first answer, let places pull their neighbours closer
    context = {key: ranked[0].place for key, ranked in chosen.items() if ranked}
    for key, candidates in cands.items():
        others = [p for k, p in context.items() if k != key]
        chosen[key] = _rank(candidates, key, qualifiers.get(key), anchors, options, others)
    return ArticleResult(article, tuple(_resolution(m, chosen, lookup, options) for m in mentions))


def _first_by_key(mentions: Sequence[Mention]) -> dict[str, Mention]:
    out: dict[str, Mention] = {}
    for m in mentions:
        out.setdefault(normalize(m.text), m)
    return out


def _resolution(
    mention: Mention, chosen: dict[str, list[_Scored]], lookup: Lookup, options: ResolveOptions
) -> Resolution:
    if mention.kind == "demonym":
        place = lookup.demonym(mention.text)
        if place is None:
            return Resolution(mention, None, reason="unknown demonym")
        return Resolution(mention, place, 1.0, reason="demonym")
    ranked = chosen.get(normalize(mention.text), [])
    if not ranked:
        return Resolution(mention, None, reason="no candidate in the gazetteer")
    best = ranked[0]
    alternatives = tuple(s.place for s in ranked[1 : 1 + options.alternatives])
    if best.score < options.weights.min_score:
        return Resolution(
            mention, None, 0.0, alternatives=(best.place, *alternatives), reason="no credible candidate"
        )
    return Resolution(mention, best.place, _confidence(ranked), alternatives, best.reason)


def _confidence(ranked: list[_Scored]) -> float:
    """Share of the winner in a softmax over the candidates' scores: 1.0 when nothing competes."""
    top = ranked[0].score
    total = sum(math.exp((s.score - top) * math.log(10)) for s in ranked[:20])
    return round(1.0 / total, 3)


def _prior(candidate: Candidate) -> float:
    return place_prior(candidate.place)


def place_prior(place: Place) -> float:
    """How likely a bare mention of this place's name means it, in units of log10(population)."""
    if place.feature in POPULATED or place.feature not in FEATURE_PRIOR:
        base = math.log10(max(place.population, 0) + 1) if place.feature in POPULATED else DEFAULT_PRIOR
        if place.feature == "capital" or place.feature_code == "PPLC":
            base += CAPITAL_BONUS
        return max(base, math.log10(max(place.population, 0) + 1))
    return max(FEATURE_PRIOR[place.feature], math.log10(max(place.population, 0) + 1))


def _rank(
    candidates: list[Candidate],
    key: str,
    qualifier: set[tuple[str, str]] | None,
    anchors: _Anchors,
    options: ResolveOptions,
    neighbours: Sequence[Place] = (),
) -> list[_Scored]:
    w = options.weights
    scored: dict[str, _Scored] = {}
    for cand in candidates:
        place = cand.place
        score = _prior(cand)
        reasons = [place.feature or "place"]
        if cand.name_kind not in ("name", "abbr"):
            score += w.alternate_name
        if qualifier is not None and _in_qualifier(place, qualifier):
            score += w.qualifier
            reasons.append("qualifier")
        in_country, in_admin1, contains = anchors.support(place, exclude=key)
        if in_country:
            score += w.doc_country
            reasons.append("article names its country")
        if in_admin1:
            score += w.doc_admin1
            reasons.append("article names its region")
        if contains:
            score += min(w.contains_cap, w.contains * contains)
            reasons.append(f"holds {contains} other place(s) of the article")
        if place.country_code and place.country_code in options.countries:
            score += w.bias
            reasons.append("--country")
        if neighbours and place.feature not in VAST_FEATURES:
            near = _closeness(place, neighbours)
            score += w.proximity * near
            if near > 0.5:
                reasons.append("near the article's other places")
        previous = scored.get(place.id)
        if previous is None or previous.score < score:
            scored[place.id] = _Scored(place, round(score, 4), ", ".join(reasons))
    return sorted(scored.values(), key=lambda s: (-s.score, -s.place.population, s.place.id))


def _closeness(place: Place, neighbours: Sequence[Place]) -> float:
    """1.0 next door, 0.5 at ~200 km, ~0 beyond 1,500 km."""
    nearest = min(great_circle_km(place.lat, place.lon, n.lat, n.lon) for n in neighbours)
    return math.exp(-nearest / 300.0)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class _Anchors:
    """What the article's names most likely are, before context: regions it names outright, and where
    its other places lie (to credit a region with the places it holds)."""

    countries: dict[str, frozenset[str]]  # country code -> names (normalised) that name it
    admin1s: dict[tuple[str, str], frozenset[str]]
    located: dict[str, tuple[str, str]]  # name -> (country, admin1) of its likeliest non-region reading

    def support(self, place: Place, *, exclude: str) -> tuple[bool, bool, int]:
        by_country = self.countries.get(place.country_code, frozenset()) - {exclude}
        by_admin1 = self.admin1s.get((place.country_code, place.admin1_code), frozenset()) - {exclude}
        in_admin1 = bool(by_admin1) and place.feature != "admin1"
        contains = 0
        if place.feature == "country":
            contains = sum(
                1 for k, (cc, _) in self.located.items() if k != exclude and cc == place.country_code
            )
        elif place.feature == "admin1":
            contains = sum(
                1
                for k, loc in self.located.items()
                if k != exclude and loc == (place.country_code, place.admin1_code)
            )
        return bool(by_country) and place.feature != "country", in_admin1, contains


def _anchors(cands: dict[str, list[Candidate]]) -> _Anchors:
    countries: dict[str, set[str]] = {}
    admin1s: dict[tuple[str, str], set[str]] = {}
    located: dict[str, tuple[str, str]] = {}
    for key, candidates in cands.items():
        if not candidates:
            continue
        top = max(candidates, key=_prior).place
        if top.feature == "country" and top.country_code:
            countries.setdefault(top.country_code, set()).add(key)
        elif top.feature == "admin1" and top.admin1_code:
            admin1s.setdefault((top.country_code, top.admin1_code), set()).add(key)
            countries.setdefault(top.country_code, set()).add(key)
        elif top.country_code and top.feature not in REGION_FEATURES:
            located[key] = (top.country_code, top.admin1_code)
    return _Anchors(
        {k: frozenset(v) for k, v in countries.items()},
        {k: frozenset(v) for k, v in admin1s.items()},
        located,
    )


def _qualifiers(
    text: str, mentions: Sequence[Mention], cands: dict[str, list[Candidate]]
) -> dict[str, set[tuple[str, str]]]:
    """'Lima, Ohio' -> {"lima": {("US", "OH-admin1-code")}}: regions that a name is qualified by, in this text."""
    out: dict[str, set[tuple[str, str]]] = {}
    ordered = sorted(mentions, key=lambda m: m.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if text[first.end : second.start].strip() != ",":
            continue
        regions = {
            (c.place.country_code, c.place.admin1_code if c.place.feature == "admin1" else "")
            for c in cands.get(normalize(second.text), [])
            if c.place.feature in ("country", "admin1")
        }
        if regions:
            out.setdefault(normalize(first.text), set()).update(regions)
    return out


def _in_qualifier(place: Place, qualifier: set[tuple[str, str]]) -> bool:
    for country, admin1 in qualifier:
        if place.country_code == country and (not admin1 or place.admin1_code == admin1):
            if place.feature not in ("country",) or not admin1:
                return True
    return False


def rank_query(
    query: str, lookup: Lookup, options: ResolveOptions = ResolveOptions(), *, country_code: str | None = None
) -> list[tuple[Place, float]]:
    """Rank the candidates of a free-text query. "Lima, Ohio" is qualified by its last comma part;
    `country_code` keeps only places in that country (as geopy's `country_codes` does)."""
    name, _, qualifier_text = query.rpartition(",")
    if not name.strip():
        name, qualifier_text = query, ""
    qualifier = None
    if qualifier_text.strip():
        qualifier = {
            (c.place.country_code, c.place.admin1_code if c.place.feature == "admin1" else "")
            for c in lookup.candidates(qualifier_text.strip())
            if c.place.feature in ("country", "admin1")
        }
    candidates = lookup.candidates(name.strip(), country_code=country_code)
    ranked = _rank(candidates, normalize(name), qualifier, _Anchors({}, {}, {}), options)
    if qualifier:
        ranked = [s for s in ranked if _in_qualifier(s.place, qualifier)] or ranked
    return [(s.place, s.score) for s in ranked]
