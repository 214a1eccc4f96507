"""Resolution: choose one place per mention from the gazetteer's candidates, by evidence.

Evidence, per candidate, as features a learned model weighs (`geomap.weights`, fitted to gold data by
`scripts/train_resolver.py`):
* what kind of place it is and how prominent (population or kind, the names it is known by, its
  country's size; a bare "Georgia" is the country before the US state),
* the countries and regions the article names, and those named in the mention's own sentence,
* the article's other places: inside it, in its country or region, near it, listed with it,
* the user's soft country bias (`--country`).
An explicit qualifier right after the mention ("Lima, Ohio", "Yonkers, New York") is a rule, not a weight.
One sense per name per article: every mention of a name resolves to the same place.
A mention with no credible candidate stays unresolved (`Resolution.place is None`), with a reason.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geomap import qualifiers
from geomap.cues import LOCAL_AFTER, LOCAL_INSTITUTION
from geomap.geo import NearestIndex, great_circle_km
from geomap.models import Article, ArticleResult, Candidate, Lookup, Mention, Place, Resolution
from geomap.names import UNIT_SUFFIXES, UNITS_AFTER_LIST, normalize
from geomap.overrides import Overrides, Rule, load_overrides
from geomap.prominence import POPULATED, place_prior
from geomap.weights import Model

REGION_FEATURES = frozenset({"country", "admin1", "continent", "macro_region", "region", "admin1_group"})
VAST_FEATURES = frozenset({"continent", "ocean", "macro_region"})  # too big to say where "nearby" is
# A country's reference point is one arbitrary spot in a wide area: a town that happens to lie near the point
# chosen for the United States (in Kansas) is not near the article's places. (Being in the country is
# `country_share`'s evidence.) The same holds for regions that span countries ("Middle East").
_BROAD_FEATURES = frozenset({"country", "admin1_group", "region"})


@dataclass(frozen=True)
class ResolveOptions:
    countries: tuple[str, ...] = ()  # soft bias, ISO alpha-2
    model: Model = field(default_factory=Model.shipped)  # how the evidence is weighed (geomap.weights)
    alternatives: int = 3  # runner-ups kept with every resolution
    overrides: Overrides = field(default_factory=Overrides)
    # A hamlet below this prior (about 3,000 people) that nothing in the article supports, in an article that
    # places its other names, is not credible ("Java" read as a village in Georgia): it stays unresolved.
    credible_prior: float = 3.5

    def fingerprint(self) -> str:
        countries = ",".join(sorted(self.countries))
        # the overrides are not here: each article's cache key holds the rules that may act on it (digest_for)
        return f"bias={countries};model={self.model.digest};credible={self.credible_prior}"


def resolve_options(
    countries: tuple[str, ...], overrides: Path | None, weights: Path | None, place: Callable[[str], Place | None]
) -> ResolveOptions:
    """The options a run's settings give: its country bias, the user's overrides (their place ids found
    with `place`) and the resolver weights (a file, or the shipped ones)."""
    rules = load_overrides(overrides, place) if overrides is not None else Overrides()
    model = Model.load(weights) if weights is not None else Model.shipped()
    return ResolveOptions(countries=countries, model=model, overrides=rules)


@dataclass(frozen=True)
class _Scored:
    place: Place
    score: float
    reason: str
    supported: bool = False  # something besides the place's own size spoke for it (context, qualifier, user)
    features: dict[str, float] = field(default_factory=dict, compare=False)


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
    mentions, chosen, own = _resolve_names(article, mentions, lookup, options)
    placed = sum(1 for ranked in chosen.values() if ranked) >= 2
    resolutions = (
        _resolution(m, own.get(m.start) or chosen.get(normalize(m.text), []), lookup, options, placed) for m in mentions
    )
    return ArticleResult(article, tuple(resolutions))


def candidate_features(
    article: Article, mentions: Sequence[Mention], lookup: Lookup, options: ResolveOptions = ResolveOptions()
) -> dict[str, list[tuple[Place, dict[str, float]]]]:
    """Name -> each candidate place with its features in the final round: what `scripts/train_resolver.py`
    learns the weights from (the same computation `resolve_article` scores)."""
    _, chosen, _ = _resolve_names(article, mentions, lookup, options)
    return {key: [(s.place, s.features) for s in ranked] for key, ranked in chosen.items()}


def _resolve_names(
    article: Article, mentions: Sequence[Mention], lookup: Lookup, options: ResolveOptions
) -> tuple[list[Mention], dict[str, list[_Scored]], dict[int, list[_Scored]]]:
    """The mentions left after the user's never-map rules, each name's candidates ranked, best first (one
    sense per name), and the mentions a qualifier of their own gives another sense (by offset): "Springfield
    ... named after Springfield, Massachusetts" names two places. A name first written with a qualifier
    ("Lima, Ohio ... Lima") keeps that sense throughout."""
    rules = {normalize(m.text): options.overrides.rule_for(m.text, article.text, article.id) for m in mentions}
    never = {key for key, rule in rules.items() if rule is not None and rule.place is None}
    mentions = [m for m in mentions if normalize(m.text) not in never]
    toponyms = [m for m in mentions if m.kind != "demonym"]
    units = _units(article.text, toponyms)
    cands = {
        key: _override_or(rules[key], lookup, m.text, units.get(key)) for key, m in _first_by_key(toponyms).items()
    }
    qualified = _qualifiers(article.text, toponyms, cands)  # mention offset -> regions
    first = _first_by_key(toponyms)
    introduced = {key: qualified[m.start] for key, m in first.items() if m.start in qualified}
    qualifiers: dict[str, set[tuple[str, str]]] = {}  # name -> the regions any of its mentions is qualified by
    for m in toponyms:
        if m.start in qualified:
            qualifiers.setdefault(normalize(m.text), set()).update(qualified[m.start])
    siblings = _lists(article.text, toponyms, qualified)
    aliases = _aliases(cands)
    colocated = _colocated(cands, aliases)
    named = _with_demonyms(_named_regions(cands), [m for m in mentions if m.kind == "demonym"], lookup)
    weight = Counter(normalize(m.text) for m in toponyms)
    near = _sentence_regions(mentions, cands, lookup)
    local = _local_cues(article.text, toponyms)
    # each name's likeliest reading alone (its own evidence: prominence, a qualifier), then in context
    alone = _Context.build(({}, {}), {}, weight, {}, frozenset())

    def ranked_in(context: _Context) -> dict[str, list[_Scored]]:
        return {
            key: _rank(c, key, introduced.get(key), context, options, qualifiers.get(key)) for key, c in cands.items()
        }

    chosen = ranked_in(alone)
    winners = {key: ranked[0].place for key, ranked in chosen.items() if ranked}
    context = alone
    for _ in range(ROUNDS):
        context = _Context.build(named, winners, weight, siblings, colocated, near, local, aliases)
        chosen = ranked_in(context)
        new = {key: ranked[0].place for key, ranked in chosen.items() if ranked}
        if new == winners:
            break
        winners = new
    own = {}
    for m in toponyms:
        key = normalize(m.text)
        regions = qualified.get(m.start)
        if regions and regions != introduced.get(key) and cands.get(key):
            own[m.start] = _rank(cands[key], key, regions, context, options, qualifiers.get(key))
    return mentions, chosen, own


ROUNDS = 4
_Regions = tuple[frozenset[str], frozenset[tuple[str, str]]]  # countries, (country, admin-1 code) pairs
_NO_REGIONS: _Regions = (frozenset(), frozenset())
QUALIFIER_LOG_ODDS = 25.0  # a qualifier's weight: more than any prominence or context can outweigh


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
    mention: Mention, ranked: list[_Scored], lookup: Lookup, options: ResolveOptions, placed: bool
) -> Resolution:
    if mention.kind == "demonym":
        place = lookup.demonym(mention.text)
        if place is None:
            return Resolution(mention, None, reason="unknown demonym")
        return Resolution(mention, place, 1.0, reason="demonym")
    if not ranked:
        return Resolution(mention, None, reason="no candidate in the gazetteer")
    best = ranked[0]
    alternatives = tuple(s.place for s in ranked[1 : 1 + options.alternatives])
    lone_hamlet = placed and not best.supported and place_prior(best.place) < options.credible_prior
    if lone_hamlet and best.place.feature in POPULATED:
        return Resolution(mention, None, 0.0, alternatives=(best.place, *alternatives), reason="no credible candidate")
    return Resolution(mention, best.place, _confidence(ranked, options.model.scale), alternatives, best.reason)


def _confidence(ranked: list[_Scored], scale: float) -> float:
    """Share of the winner in a softmax over the candidates' scores: 1.0 when nothing competes."""
    top = ranked[0].score
    total = sum(math.exp((s.score - top) * scale) for s in ranked[:20])
    return round(1.0 / total, 3)


def _prior(candidate: Candidate) -> float:
    return place_prior(candidate.place)


# Why a candidate won, in words, for the features that raised its score (in this order).
_REASONS = {
    "colocated": "next to a place another name may mean",
    "same_kind": "same kind as the names listed with it",
    "list_country": "in the country of the names listed with it",
    "doc_country": "article names its country",
    "doc_admin1": "article names its region",
    "sentence_country": "its country named in the same sentence",
    "sentence_admin1": "its region named in the same sentence",
    "local_town": "written as a local town",
    "contains": "holds other places of the article",
    "country_share": "in the article's country",
    "admin1_share": "in the article's region",
    "proximity": "near the article's other places",
}
_KIND_FEATURES = {
    "country": "is_country", "admin1": "is_admin1", "admin1_group": "is_region", "admin2": "is_admin2",
    "capital": "is_capital", "region": "is_region", "continent": "is_region", "macro_region": "is_region",
}  # fmt: skip


def _rank(
    candidates: list[Candidate],
    key: str,
    qualifier: set[tuple[str, str]] | None,
    context: _Context,
    options: ResolveOptions,
    elsewhere: set[tuple[str, str]] | None = None,
) -> list[_Scored]:
    """The candidates of one name, best first. `qualifier`: the regions that qualify the mention being
    resolved (a rule); `elsewhere`: those that qualify any mention of the name (a feature)."""
    model = options.model
    scored: dict[str, _Scored] = {}
    # "Mexico" names the country Mexico: that the article is about Mexico speaks for the country, not for
    # Mexico City (which "Mexico" also names) or any other place in Mexico.
    own_countries = {c.place.country_code for c in candidates if c.place.feature == "country"}
    names_country = any(c.place.feature == "country" and c.name_kind in ("name", "abbr") for c in candidates)
    priors = [_prior(c) for c in candidates]
    ordered = sorted(priors, reverse=True) + [0.0, 0.0]
    for cand, prior in zip(candidates, priors, strict=True):
        place = cand.place
        features = _own_features(cand, prior, ordered, names_country)
        features.update(context.features(place, key, own_countries))
        if place.feature in POPULATED and ordered[0] - prior >= OUTRANKED:
            features.update(_outranked(features))
        if elsewhere and qualifiers.within(place, elsewhere):
            features["qualified_elsewhere"] = 1.0  # "... Lima, Ohio ...": another mention says where it is
        score = model.score(features)
        reasons = [place.feature or "place"]
        if cand.name_kind == "override":
            reasons.append("--overrides")
        if qualifier is not None and qualifiers.within(place, qualifier):
            # A rule, not a learned weight: the text itself names the region the place lies in ("Lima, Ohio",
            # "Paris, Tenn."), which decides among the readings it admits whatever their prominence or the
            # article's context. General because it is what the writer says, in any kind of text.
            features["qualifier"] = 1.0
            score += QUALIFIER_LOG_ODDS / model.scale
            reasons.append("qualifier")
        reasons += [text for name, text in _REASONS.items() if features.get(name) and model.weights.get(name, 0) > 0]
        if place.country_code and place.country_code in options.countries:
            score += model.bias
            reasons.append("--country")
        previous = scored.get(place.id)
        if previous is None or previous.score < score:
            # every reason after the place's own kind is support: an override, a qualifier, context, --country
            scored[place.id] = _Scored(place, round(score, 4), ", ".join(reasons), len(reasons) > 1, features)
    return sorted(scored.values(), key=lambda s: (-s.score, -s.place.population, s.place.id))


def _own_features(cand: Candidate, prior: float, priors: list[float], names_country: bool) -> dict[str, float]:
    """What a candidate is, before any context: its prominence (population or kind, the names it is known by,
    its country's population, and for the name's most prominent reading how far it stands above the next
    one, up to a thousandfold), its kind, how the name matched it, and whether the name is a country's that
    it is not. `priors`: all the name's candidates' priors, highest first."""
    place = cand.place
    features = {"prior": prior, "names": math.log1p(cand.known_names)}
    if cand.country_population > 0:
        # news names places in populous countries more often than their namesakes in small ones
        features["country_size"] = math.log10(cand.country_population) - 7.0
    if cand.towns_population > 0:
        # a region's size by the towns in it: Ohio's millions, not a Jamaican parish's thousands
        features["region_size"] = math.log10(cand.towns_population) - 6.0
    if prior >= priors[0]:
        features["top"] = 1.0
        features["lead"] = min(prior - priors[1], 3.0)
    kind = _KIND_FEATURES.get(place.feature, "is_physical" if place.feature not in POPULATED else "")
    if kind:
        features[kind] = 1.0
    if cand.name_kind not in ("name", "abbr", "override"):
        features["alt_name"] = 1.0
    if names_country and place.feature != "country":
        features["other_reading_of_country"] = 1.0  # "Italy" read as Italy, Texas
    return features


# A town a hundred times less prominent than its name's likeliest reading (a Paris or a Geneva in Texas) is
# "outranked": the article's country and the nearness of its other places count for it with their own learned
# weights, so the data say how much such broad context weighs against a world city rather than against a peer.
# (General: it is the same question, "does broad context overturn prominence?", in any text.)
OUTRANKED = 2.0
_OUTRANKED = {"doc_country": "outranked_doc", "country_share": "outranked_share", "proximity": "outranked_near"}


def _outranked(features: dict[str, float]) -> dict[str, float]:
    return {name: features[broad] for broad, name in _OUTRANKED.items() if features.get(broad)}


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
            nearest=NearestIndex((p.lat, p.lon, k) for k, p in places.items() if p.feature not in _BROAD_FEATURES),
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
    near: dict[str, _Regions] = field(default_factory=dict)  # name -> regions named in a sentence with it
    local: frozenset[str] = frozenset()  # names written as a town's in local news ("Paris City Council")
    aliases: dict[str, frozenset[str]] = field(default_factory=dict)  # name -> other names written for it

    @classmethod
    def build(
        cls,
        named: tuple[dict[str, frozenset[str]], dict[tuple[str, str], frozenset[str]]],
        winners: dict[str, Place],
        weight: Counter[str],
        siblings: dict[str, frozenset[str]],
        colocated: frozenset[tuple[str, str]] = frozenset(),
        near: dict[str, _Regions] | None = None,
        local: frozenset[str] = frozenset(),
        aliases: dict[str, frozenset[str]] | None = None,
    ) -> _Context:
        located = _Located.of({k: p for k, p in winners.items() if p.feature not in VAST_FEATURES}, weight)
        return cls(named[0], named[1], located, siblings, winners, colocated, near or {}, local, aliases or {})

    def features(
        self, place: Place, key: str, own_countries: set[str] | frozenset[str] = frozenset()
    ) -> dict[str, float]:
        """What the rest of the article says for one candidate of the name `key` (`own_countries`: the
        countries `key` itself names): a county next to it, a list of places of its kind, its country or
        region named, the article's other places inside it, in its country or region, near it."""
        inside_own = place.country_code in own_countries and place.feature != "country"
        out: dict[str, float] = {}
        if (key, place.id) in self.colocated:
            out["colocated"] = 1.0
        mates = [self.readings[k] for k in self.siblings.get(key, ()) if k in self.readings]
        if mates:
            alike = sum(1 for p in mates if _kind_of(p) == _kind_of(place)) / len(mates)
            if alike:
                out["same_kind"] = alike
            # "Adelaide, Brisbane, Perth and Sydney": a list names places of one country more often than not
            compatriots = sum(1 for p in mates if p.country_code == place.country_code and p.id != place.id)
            if compatriots and place.feature != "country":
                out["list_country"] = compatriots / len(mates)
        named_country = self.countries.get(place.country_code, frozenset()) - {key}
        if place.feature != "country" and not inside_own and named_country:
            out["doc_country"] = 1.0
        if place.feature != "admin1" and self.admin1s.get((place.country_code, place.admin1_code), frozenset()) - {key}:
            out["doc_admin1"] = 1.0
        if key in self.local and place.feature == "city":
            out["local_town"] = 1.0  # a town's council, police, schools, people: more often a town than a capital
        countries, admin1s = self.near.get(key, _NO_REGIONS)
        if place.feature != "country" and not inside_own and place.country_code in countries:
            out["sentence_country"] = 1.0
        if place.feature not in ("country", "admin1") and (place.country_code, place.admin1_code) in admin1s:
            out["sentence_admin1"] = 1.0
        out.update(self._located_features(place, key, inside_own))
        return out

    def _located_features(self, place: Place, key: str, inside_own: bool) -> dict[str, float]:
        """From the other names' readings: the places a region holds (at most 2 count), shares of the article in
        the same country and region, and closeness to the nearest of them. Sums over all names, minus this name's
        own share."""
        located = self.located
        # The name's own reading, and those of the names written for it ("Paris City" of "Paris City Hall" for
        # "Paris"): the place named again, not other places that corroborate it.
        selves = [(k, located.places[k]) for k in (key, *self.aliases.get(key, ())) if k in located.places]
        if len(located.places) == len(selves):
            return {}
        out: dict[str, float] = {}
        region = (place.country_code, place.admin1_code)
        if place.feature == "country":
            contains = located.country_members[place.country_code]
        elif place.feature == "admin1":
            contains = located.admin1_members[region]
        else:
            contains = 0
        contains -= sum(_holds(place, p) for _, p in selves)
        if contains:
            out["contains"] = float(min(contains, 2))
        total = located.total - sum(located.weight[k] for k, _ in selves)
        same_country = 0
        if place.country_code:
            same_country = located.country_weight[place.country_code]
            same_country -= sum(located.weight[k] for k, p in selves if p.country_code == place.country_code)
        if same_country and place.feature != "country" and not inside_own:
            out["country_share"] = same_country / total
        same_admin1 = 0
        if place.admin1_code:
            same_admin1 = located.admin1_weight[region]
            same_admin1 -= sum(located.weight[k] for k, p in selves if _same_admin1(p, place) and p.feature != "admin1")
        if same_admin1 and place.feature not in ("country", "admin1"):
            out["admin1_share"] = same_admin1 / total
        if place.feature not in VAST_FEATURES:
            skip = {key, *(k for k, _ in selves)}
            nearest = located.nearest.nearest_km(place.lat, place.lon, within_km=_NEAR_KM_MAX, skip=skip)
            near = math.exp(-nearest / NEAR_KM) if nearest is not None else 0.0
            if near > NEAR_CUTOFF:
                out["proximity"] = near
        return out


_NEAR_KM_MAX = -NEAR_KM * math.log(NEAR_CUTOFF)  # the distance at which closeness falls to the cutoff
COLOCATED_KM = 30.0
_LOCAL_FEATURES = frozenset({"city", "capital", "", "admin2"})


def _colocated(
    cands: dict[str, list[Candidate]], aliases: dict[str, frozenset[str]] | None = None
) -> frozenset[tuple[str, str]]:
    """(name, place id) pairs whose place lies within COLOCATED_KM of some candidate of another name (not one
    of its `aliases`), one of the two a county: a town and the county around it ("Huntsville" and "Walker
    County", both in Texas) support each other even when neither is the likeliest reading alone.
    """
    aliases = aliases or {}
    cells: dict[tuple[int, int], list[tuple[str, Place]]] = {}
    for key, candidates in cands.items():
        for c in candidates:
            if c.place.feature in _LOCAL_FEATURES:
                cells.setdefault((int(c.place.lat // 0.5), int(c.place.lon // 0.5)), []).append((key, c.place))
    out: set[tuple[str, str]] = set()
    for (row, col), members in cells.items():
        near = [m for dr in (-1, 0, 1) for dc in (-1, 0, 1) for m in cells.get((row + dr, col + dc), ())]
        for key, place in members:
            same = aliases.get(key, frozenset())
            if any(
                other != key
                and other not in same
                and p.id != place.id
                and "admin2" in (p.feature, place.feature)
                and great_circle_km(place.lat, place.lon, p.lat, p.lon) <= COLOCATED_KM
                for other, p in near
            ):
                out.add((key, place.id))
    return frozenset(out)


# "Ohio, Oregon and Texas", "Mexico, China or Japan": names joined by commas and a conjunction.
_LIST_JOINT = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or|&)\s*$")


def _aliases(cands: dict[str, list[Candidate]]) -> dict[str, frozenset[str]]:
    """Name -> the article's other names that are the same name written differently: "Paris City" (of "Paris
    City Hall") whose every candidate the gazetteer found by the name "Paris", which the article also uses."""
    groups: dict[str, set[str]] = {}
    for key, found in cands.items():
        matched = {normalize(c.matched) for c in found}
        if len(matched) == 1 and (other := matched.pop()) != key and other in cands:
            groups.setdefault(other, {other}).add(key)
    return {k: frozenset(members - {k}) for members in groups.values() for k in members}


def _lists(
    text: str, mentions: Sequence[Mention], qualified: dict[int, set[tuple[str, str]]]
) -> dict[str, frozenset[str]]:
    """Name -> the other names listed with it. A list has three names, or two joined by "and"/"or";
    "Lima, Ohio" (a qualified name) is not a list."""
    ordered = sorted(mentions, key=lambda m: m.start)
    runs: list[list[Mention]] = []
    conjoined: list[bool] = []
    for prev, m in zip([None, *ordered], ordered, strict=False):
        gap = text[prev.end : m.start] if prev is not None else ""
        if prev is not None and _LIST_JOINT.match(gap) and prev.start not in qualified:
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


def _local_cues(text: str, mentions: Sequence[Mention]) -> frozenset[str]:
    """Names written the way local news writes its own town: before the town's people, services or
    institutions ("a Paris man", "Dublin City Council", "Norfolk High School"), or as a dateline."""
    out = set()
    for m in mentions:
        after = text[m.end : m.end + 40]
        if m.label == "DATELINE" or LOCAL_AFTER.match(after) or LOCAL_INSTITUTION.match(after):
            out.add(normalize(m.text))
    return frozenset(out)


def _sentence_regions(
    mentions: Sequence[Mention], cands: dict[str, list[Candidate]], lookup: Lookup
) -> dict[str, _Regions]:
    """Name -> the countries and first-level regions named in the same sentence as one of its mentions, by
    another name or an adjective ("in Paris the French government", "Springfield, the Illinois state
    capital"): the most local evidence short of a qualifier, which one sentence carries in any kind of text."""
    regions: list[tuple[int, str, str, str]] = []  # (offset, key, country, admin-1 code), in text order
    for m in mentions:
        key = normalize(m.text)
        if m.kind == "demonym":
            place = lookup.demonym(m.text)
            key = f"~{key}"
        else:
            place = max(cands[key], key=_prior).place if cands.get(key) else None
        region = qualifiers.region_of(place) if place is not None else None
        if region is not None:
            regions.append((m.start, key, *region))
    regions.sort()
    starts = [r[0] for r in regions]
    out: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    for m in mentions:
        if m.kind == "demonym":
            continue
        key = normalize(m.text)
        lo = bisect.bisect_left(starts, m.sentence_start)
        hi = bisect.bisect_left(starts, m.sentence_start + len(m.sentence))
        for _, other, cc, a1 in regions[lo:hi]:
            if other != key:
                countries, admin1s = out.setdefault(key, (set(), set()))
                countries.add(cc)
                if a1:
                    admin1s.add((cc, a1))
    return {key: (frozenset(c), frozenset(a)) for key, (c, a) in out.items()}


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
) -> dict[int, set[tuple[str, str]]]:
    """'Lima, Ohio' -> {offset of "Lima": {("US", "OH-admin1-code")}}: the regions that qualify each mention."""
    out: dict[int, set[tuple[str, str]]] = {}
    ordered = sorted(mentions, key=lambda m: m.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if text[first.end : second.start].strip() != ",":
            continue
        # Only a larger unit qualifies: a country is not "in" another ("China, Japan" is a list), and a
        # first-level region only in a country ("Illinois, Missouri" is a list too).
        level = _level(cands.get(normalize(first.text), []))
        regions = qualifiers.regions(cands.get(normalize(second.text), []), qualifiers.LEVELS[: max(0, 2 - level)])
        if regions:
            out.setdefault(first.start, set()).update(regions)
    return out


def _level(candidates: list[Candidate]) -> int:
    """2 when a name most likely names a country, 1 a first-level region, else 0."""
    if not candidates:
        return 0
    return {"country": 2, "admin1": 1}.get(max(candidates, key=_prior).place.feature, 0)


def rank_query(
    query: str, lookup: Lookup, options: ResolveOptions = ResolveOptions(), *, country_code: str | None = None
) -> list[tuple[Place, float]]:
    """Rank the candidates of a free-text query. "Lima, Ohio", "Yonkers, New York, United States": the comma
    parts that name countries or first-level regions qualify the name (`qualifiers.parse_query`);
    `country_code` keeps only places in that country (as geopy's `country_codes` does)."""
    name, scopes = qualifiers.parse_query(query, lookup)
    innermost = scopes[0] if scopes else None
    candidates = lookup.candidates(name, country_code=country_code)
    while not candidates and "," in name:  # "Springfield, Nowhere": a last part that names nothing goes
        name = name.rpartition(",")[0].strip()
        candidates = lookup.candidates(name, country_code=country_code)
    ranked = _rank(candidates, normalize(name), innermost, _Context({}, {}, _Located.of({}, Counter())), options)
    if scopes:
        ranked = [s for s in ranked if all(qualifiers.within(s.place, scope) for scope in scopes)] or ranked
    return [(s.place, s.score) for s in ranked]
