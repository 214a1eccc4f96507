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
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from geomap.geo import NearestIndex, great_circle_km
from geomap.models import Article, ArticleResult, Candidate, Mention, Place, Resolution
from geomap.names import UNIT_SUFFIXES, UNITS_AFTER_LIST, normalize
from geomap.overrides import Overrides, Rule

# The prior of a place, in the units of log10(population): what a bare mention of the name most
# likely means before any context. A country outranks any city of its name; a first-level region
# counts like a city of ~3 million; physical features sit between.
FEATURE_PRIOR: dict[str, float] = {
    "continent": 8.5,
    "country": 8.5,
    "ocean": 8.0,
    "sea": 7.5,
    "macro_region": 7.5,
    "gulf": 7.5,
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

    alternate_name: float = -2.0  # the name is only an alternate name of the place
    qualifier: float = 10.0  # "Lima, Ohio": candidate lies in the qualifying region
    doc_country: float = 2.0  # the article names the candidate's country
    doc_admin1: float = 1.5  # ... or its first-level region
    contains: float = 1.5  # a region that holds other places the article names (per place, capped)
    contains_cap: float = 3.0
    country_share: float = 2.5  # times the share of the article's other places in the same country
    admin1_share: float = 2.0  # times the share of the article's other places in the same first-level region
    proximity: float = 2.0  # next to the article's other places (decays over ~300 km)
    same_kind: float = 3.0  # times the share of a list's other names read as the same kind ("A, B and C")
    colocated: float = 4.0  # some reading of another name lies within COLOCATED_KM ("Walker County" + "Huntsville")
    # A hamlet below this prior (about 3,000 people) that nothing in the article supports, in an article that
    # places its other names, is not credible ("Java" read as a village in Georgia): it stays unresolved.
    credible_prior: float = 3.5
    bias: float = 2.0  # user's --country
    min_score: float = 0.0  # below this no candidate is credible


@dataclass(frozen=True)
class ResolveOptions:
    countries: tuple[str, ...] = ()  # soft bias, ISO alpha-2
    weights: Weights = field(default_factory=Weights)
    alternatives: int = 3  # runner-ups kept with every resolution
    overrides: Overrides = field(default_factory=Overrides)

    def fingerprint(self) -> str:
        return f"bias={','.join(sorted(self.countries))};w={self.weights};overrides={self.overrides.digest}"


@dataclass(frozen=True)
class _Scored:
    place: Place
    score: float
    reason: str
    supported: bool = False  # something besides the place's own size spoke for it (context, qualifier, user)


def resolve_article(
    article: Article,
    mentions: Sequence[Mention],
    lookup: Lookup,
    options: ResolveOptions = ResolveOptions(),
) -> ArticleResult:
    """Resolve every mention of one article.

    Each name starts at its likeliest reading alone; then, for a few rounds, every name is re-ranked
    in the context of the others' current readings (their countries, regions and positions), so
    that a coherent reading of the whole article emerges ("Athens" with Gwinnett County and Atlanta
    is Athens, Georgia; with Sparta and Crete it is the Greek capital).
    """
    rules = {normalize(m.text): options.overrides.rule_for(m.text, article.text) for m in mentions}
    never = {key for key, rule in rules.items() if rule is not None and rule.place is None}
    mentions = [m for m in mentions if normalize(m.text) not in never]
    toponyms = [m for m in mentions if m.kind != "demonym"]
    units = _units(article.text, toponyms)
    cands = {
        key: _override_or(rules[key], lookup, m.text, units.get(key)) for key, m in _first_by_key(toponyms).items()
    }
    qualifiers = _qualifiers(article.text, toponyms, cands)
    siblings = _lists(article.text, toponyms, qualifiers)
    colocated = _colocated(cands)
    named = _with_demonyms(_named_regions(cands), [m for m in mentions if m.kind == "demonym"], lookup)
    weight = Counter(normalize(m.text) for m in toponyms)
    winners = {key: max(c, key=_prior).place for key, c in cands.items() if c}
    chosen: dict[str, list[_Scored]] = {}
    for _ in range(ROUNDS):
        context = _Context.build(named, winners, weight, siblings, colocated)
        chosen = {key: _rank(c, key, qualifiers.get(key), context, options) for key, c in cands.items()}
        new = {key: ranked[0].place for key, ranked in chosen.items() if ranked}
        if new == winners:
            break
        winners = new
    placed = len(winners) >= 2
    return ArticleResult(article, tuple(_resolution(m, chosen, lookup, options, placed) for m in mentions))


ROUNDS = 4


def _override_or(rule: Rule | None, lookup: Lookup, name: str, unit: str | None = None) -> list[Candidate]:
    """The user's place for this name, when an override says so; else the lookup's candidates. With a unit
    word from the text, the divisions the name and the word find: "Jackson" in "Jackson and Barrow counties"
    is looked up as "Jackson County", "Washington" in "Washington state" as "Washington State" (which the
    look-up's generic-word rule reads as the region Washington)."""
    if rule is not None and rule.place is not None:
        return [Candidate(rule.place, name, "override")]
    if unit:
        divisions = [c for c in lookup.candidates(f"{name} {unit}") if c.place.feature in ("admin1", "admin2")]
        if divisions:
            return divisions
    return lookup.candidates(name)


# "Washington state", "the state of Washington", "Aceh province": a first-level region.
_REGION_WORDS = r"(?P<unit>state|province|oblast|governorate|prefecture)"
_REGION_AFTER = re.compile(rf"^\s+{_REGION_WORDS}\b", re.IGNORECASE)
_REGION_BEFORE = re.compile(rf"\b{_REGION_WORDS}\s+of\s+(?:the\s+)?$", re.IGNORECASE)


def _units(text: str, mentions: Sequence[Mention]) -> dict[str, str]:
    """Name -> the unit word the text gives it, to look up with the name: "County" from "Jackson and Barrow
    counties", "State" from "Washington state" or "the state of Washington"."""
    out: dict[str, str] = {}
    for m in mentions:
        listed = UNITS_AFTER_LIST.match(text[m.end : m.end + 160])
        region = _REGION_AFTER.match(text[m.end : m.end + 20]) or _REGION_BEFORE.search(
            text[max(0, m.start - 30) : m.start]
        )
        unit = UNIT_SUFFIXES.get(listed.group(1)) if listed else None
        unit = unit or (region.group("unit").title() if region else None)
        if unit:
            out.setdefault(normalize(m.text), unit)
    return out


def _first_by_key(mentions: Sequence[Mention]) -> dict[str, Mention]:
    out: dict[str, Mention] = {}
    for m in mentions:
        out.setdefault(normalize(m.text), m)
    return out


def _resolution(
    mention: Mention, chosen: dict[str, list[_Scored]], lookup: Lookup, options: ResolveOptions, placed: bool
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
    lone_hamlet = placed and not best.supported and place_prior(best.place) < options.weights.credible_prior
    if best.score < options.weights.min_score or (lone_hamlet and best.place.feature in POPULATED):
        return Resolution(mention, None, 0.0, alternatives=(best.place, *alternatives), reason="no credible candidate")
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
    context: _Context,
    options: ResolveOptions,
) -> list[_Scored]:
    w = options.weights
    scored: dict[str, _Scored] = {}
    # "Mexico" names the country Mexico: that the article is about Mexico speaks for the country, not for
    # Mexico City (which "Mexico" also names) or any other place in Mexico.
    own_countries = {c.place.country_code for c in candidates if c.place.feature == "country"}
    for cand in candidates:
        place = cand.place
        score = _prior(cand)
        reasons = [place.feature or "place"]
        if cand.name_kind == "override":
            reasons.append("--overrides")
        elif cand.name_kind not in ("name", "abbr"):
            score += w.alternate_name
        if qualifier is not None and _in_qualifier(place, qualifier):
            score += w.qualifier
            reasons.append("qualifier")
        for bonus, reason in context.evidence(place, key, w, own_countries):
            score += bonus
            reasons.append(reason)
        if place.country_code and place.country_code in options.countries:
            score += w.bias
            reasons.append("--country")
        previous = scored.get(place.id)
        if previous is None or previous.score < score:
            # every reason after the place's own kind is support: an override, a qualifier, context, --country
            scored[place.id] = _Scored(place, round(score, 4), ", ".join(reasons), len(reasons) > 1)
    return sorted(scored.values(), key=lambda s: (-s.score, -s.place.population, s.place.id))


NEAR_KM = 300.0  # closeness halves about every 200 km
NEAR_CUTOFF = 0.01  # closeness below this is no evidence (beyond ~1,400 km)


@dataclass(frozen=True)
class _Located:
    """The article's located readings, summed by country and region, so each candidate's evidence costs the
    same however many names the article has (the sums minus the candidate's own name's share)."""

    places: dict[str, Place]  # name -> its current reading, for readings that are not vast
    weight: Counter[str]  # name -> how often the article uses it
    total: int = 0  # weight of every located name
    country_weight: Counter[str] = field(default_factory=Counter)  # country -> weight of located names in it
    admin1_weight: Counter[tuple[str, str]] = field(default_factory=Counter)  # (country, admin1) -> ..., not admin1s
    country_members: Counter[str] = field(default_factory=Counter)  # country -> located names in it, not countries
    admin1_members: Counter[tuple[str, str]] = field(default_factory=Counter)  # (country, admin1) -> ..., not admin1s
    nearest: NearestIndex[str] = field(default_factory=lambda: NearestIndex(()))

    @classmethod
    def of(cls, places: dict[str, Place], weight: Counter[str]) -> _Located:
        located = cls(
            places,
            weight,
            sum(weight[k] for k in places),
            nearest=NearestIndex((p.lat, p.lon, k) for k, p in places.items()),
        )
        for key, p in places.items():
            located.country_weight[p.country_code] += weight[key]
            if p.feature != "admin1":
                located.admin1_weight[(p.country_code, p.admin1_code)] += weight[key]
                located.admin1_members[(p.country_code, p.admin1_code)] += 1
            if p.feature != "country":
                located.country_members[p.country_code] += 1
        return located


@dataclass(frozen=True)
class _Context:
    """What the rest of the article says, given the current reading of each of its names."""

    countries: dict[str, frozenset[str]]  # country code -> names that name the country outright
    admin1s: dict[tuple[str, str], frozenset[str]]  # (country, admin1) -> names that name it outright
    located: _Located
    siblings: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> names listed with it
    readings: dict[str, Place] = field(default_factory=dict)  # name -> its current reading
    colocated: frozenset[tuple[str, str]] = frozenset()  # (name, place id): another name may mean a place next to it

    @classmethod
    def build(
        cls,
        named: tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]],
        winners: dict[str, Place],
        weight: Counter[str],
        siblings: dict[str, frozenset[str]],
        colocated: frozenset[tuple[str, str]] = frozenset(),
    ) -> _Context:
        located = _Located.of({k: p for k, p in winners.items() if p.feature not in VAST_FEATURES}, weight)
        return cls(named[0], named[1], located, siblings, winners, colocated)

    def evidence(
        self, place: Place, key: str, w: Weights, own_countries: set[str] | frozenset[str] = frozenset()
    ) -> list[tuple[float, str]]:
        """(bonus, reason) pairs for one candidate of the name `key`; `own_countries`: countries `key` names."""
        inside_own = place.country_code in own_countries and place.feature != "country"
        out: list[tuple[float, str]] = []
        if (key, place.id) in self.colocated:
            out.append((w.colocated, "next to a place another name may mean"))
        mates = [self.readings[k] for k in self.siblings.get(key, ()) if k in self.readings]
        if mates:
            alike = sum(1 for p in mates if _kind_of(p) == _kind_of(place)) / len(mates)
            if alike:
                out.append((w.same_kind * alike, "same kind as the names listed with it"))
        named_country = self.countries.get(place.country_code, frozenset()) - {key}
        if place.feature != "country" and not inside_own and named_country:
            out.append((w.doc_country, "article names its country"))
        if place.feature != "admin1" and self.admin1s.get((place.country_code, place.admin1_code), frozenset()) - {key}:
            out.append((w.doc_admin1, "article names its region"))
        return out + self._located_evidence(place, key, w, inside_own)

    def _located_evidence(self, place: Place, key: str, w: Weights, inside_own: bool) -> list[tuple[float, str]]:
        """Evidence from the other names' readings: the places a region holds, shares of the article in the same
        country and region, and the distance to the nearest of them. Sums over all names, minus this name's own."""
        located = self.located
        own = located.places.get(key)
        if len(located.places) - (own is not None) == 0:
            return []
        own_weight = located.weight[key] if own is not None else 0
        out: list[tuple[float, str]] = []
        region = (place.country_code, place.admin1_code)
        if place.feature == "country":
            contains = located.country_members[place.country_code]
        elif place.feature == "admin1":
            contains = located.admin1_members[region]
        else:
            contains = 0
        contains -= own is not None and _holds(place, own)
        if contains:
            out.append((min(w.contains_cap, w.contains * contains), f"holds {contains} other place(s) of the article"))
        total = located.total - own_weight
        same_country = 0
        if place.country_code:
            same_country = located.country_weight[place.country_code]
            same_country -= own_weight if own is not None and own.country_code == place.country_code else 0
        if same_country and place.feature != "country" and not inside_own:
            out.append((w.country_share * same_country / total, "in the article's country"))
        same_admin1 = 0
        if place.admin1_code:
            same_admin1 = located.admin1_weight[region]
            same_admin1 -= own_weight if own is not None and _same_admin1(own, place) and own.feature != "admin1" else 0
        if same_admin1 and place.feature not in ("country", "admin1"):
            out.append((w.admin1_share * same_admin1 / total, "in the article's region"))
        if place.feature not in VAST_FEATURES:
            nearest = located.nearest.nearest_km(place.lat, place.lon, within_km=_NEAR_KM_MAX, skip=key)
            near = math.exp(-nearest / NEAR_KM) if nearest is not None else 0.0
            if near > NEAR_CUTOFF:
                out.append((w.proximity * near, "near the article's other places"))
        return out


_NEAR_KM_MAX = -NEAR_KM * math.log(NEAR_CUTOFF)  # the distance at which closeness falls to the cutoff
COLOCATED_KM = 30.0
_LOCAL_FEATURES = frozenset({"city", "capital", "", "admin2"})


def _colocated(cands: dict[str, list[Candidate]]) -> frozenset[tuple[str, str]]:
    """(name, place id) pairs whose place lies within COLOCATED_KM of some candidate of another name,
    one of the two a county: a town and the county around it ("Huntsville" and "Walker County", both in
    Texas) support each other even when neither is the likeliest reading alone.
    """
    cells: dict[tuple[int, int], list[tuple[str, Place]]] = {}
    for key, candidates in cands.items():
        for c in candidates:
            if c.place.feature in _LOCAL_FEATURES:
                cells.setdefault((int(c.place.lat // 0.5), int(c.place.lon // 0.5)), []).append((key, c.place))
    out: set[tuple[str, str]] = set()
    for (row, col), members in cells.items():
        near = [m for dr in (-1, 0, 1) for dc in (-1, 0, 1) for m in cells.get((row + dr, col + dc), ())]
        for key, place in members:
            if any(
                other != key
                and p.id != place.id
                and "admin2" in (p.feature, place.feature)
                and great_circle_km(place.lat, place.lon, p.lat, p.lon) <= COLOCATED_KM
                for other, p in near
            ):
                out.add((key, place.id))
    return frozenset(out)


# "Ohio, Oregon and Texas", "Mexico, China or Japan": names joined by commas and a conjunction.
_LIST_JOINT = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or|&)\s*$")


def _lists(
    text: str, mentions: Sequence[Mention], qualifiers: dict[str, set[tuple[str, str]]]
) -> dict[str, frozenset[str]]:
    """Name -> the other names listed with it. A list has three names, or two joined by "and"/"or";
    "Lima, Ohio" (a qualified name) is not a list."""
    ordered = sorted(mentions, key=lambda m: m.start)
    runs: list[list[Mention]] = []
    conjoined: list[bool] = []
    for prev, m in zip([None, *ordered], ordered, strict=False):
        gap = text[prev.end : m.start] if prev is not None else ""
        if prev is not None and _LIST_JOINT.match(gap) and normalize(prev.text) not in qualifiers:
            runs[-1].append(m)
            conjoined[-1] = conjoined[-1] or gap.strip(" ,") != ""
        else:
            runs.append([m])
            conjoined.append(False)
    out: dict[str, set[str]] = {}
    for run, conj in zip(runs, conjoined, strict=True):
        keys = {normalize(m.text) for m in run}
        if len(keys) >= 3 or (len(keys) == 2 and conj):
            for key in keys:
                out.setdefault(key, set()).update(keys - {key})
    return {k: frozenset(v) for k, v in out.items()}


def _kind_of(place: Place) -> str:
    """The coarse kind a list's names share: country, admin1, admin2, town, or the physical feature."""
    if place.feature in POPULATED:
        return "town"
    return "admin1" if place.feature == "admin1_group" else place.feature


def _same_admin1(a: Place, b: Place) -> bool:
    return (a.country_code, a.admin1_code) == (b.country_code, b.admin1_code)


def _holds(region: Place, place: Place) -> bool:
    if region.feature == "country":
        return place.country_code == region.country_code and place.feature != "country"
    if region.feature == "admin1":
        return (place.country_code, place.admin1_code) == (region.country_code, region.admin1_code) and (
            place.feature != "admin1"
        )
    return False


def _named_regions(
    cands: dict[str, list[Candidate]],
) -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    """Countries and first-level regions the article names outright (by each name's likeliest reading)."""
    countries: dict[str, set[str]] = {}
    admin1s: dict[tuple[str, str], set[str]] = {}
    for key, candidates in cands.items():
        if not candidates:
            continue
        top = max(candidates, key=_prior).place
        if top.feature == "country" and top.country_code:
            countries.setdefault(top.country_code, set()).add(key)
        elif top.feature == "admin1" and top.admin1_code:
            admin1s.setdefault((top.country_code, top.admin1_code), set()).add(key)
            countries.setdefault(top.country_code, set()).add(key)
    return {k: frozenset(v) for k, v in countries.items()}, {k: frozenset(v) for k, v in admin1s.items()}


def _with_demonyms(
    named: tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]],
    demonyms: Sequence[Mention],
    lookup: Lookup,
) -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]]:
    """'the Indonesian island of Java': an adjective names its country as surely as the country's name."""
    countries = dict(named[0])
    for m in demonyms:
        place = lookup.demonym(m.text)
        if place is not None and place.feature == "country" and place.country_code:
            # keyed "~iranian", so that no name of the article is ever taken for the adjective
            countries[place.country_code] = countries.get(place.country_code, frozenset()) | {f"~{normalize(m.text)}"}
    return countries, named[1]


def _qualifiers(
    text: str, mentions: Sequence[Mention], cands: dict[str, list[Candidate]]
) -> dict[str, set[tuple[str, str]]]:
    """'Lima, Ohio' -> {"lima": {("US", "OH-admin1-code")}}: regions that a name is qualified by, in this text."""
    out: dict[str, set[tuple[str, str]]] = {}
    ordered = sorted(mentions, key=lambda m: m.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if text[first.end : second.start].strip() != ",":
            continue
        # Only a larger unit qualifies: a country is not "in" another ("China, Japan" is a list), and a
        # first-level region only in a country ("Illinois, Missouri" is a list too).
        level = _level(cands.get(normalize(first.text), []))
        regions = {
            (c.place.country_code, c.place.admin1_code if c.place.feature == "admin1" else "")
            for c in cands.get(normalize(second.text), [])
            if c.place.feature in ("country", "admin1")[: max(0, 2 - level)]
        }
        if regions:
            out.setdefault(normalize(first.text), set()).update(regions)
    return out


def _level(candidates: list[Candidate]) -> int:
    """2 when a name most likely names a country, 1 a first-level region, else 0."""
    if not candidates:
        return 0
    return {"country": 2, "admin1": 1}.get(max(candidates, key=_prior).place.feature, 0)


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
    ranked = _rank(candidates, normalize(name), qualifier, _Context({}, {}, _Located.of({}, Counter())), options)
    if qualifier:
        ranked = [s for s in ranked if _in_qualifier(s.place, qualifier)] or ranked
    return [(s.place, s.score) for s in ranked]
