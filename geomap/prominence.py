"""How likely a bare mention of a name means a given place, before any context: its prominence.

One home for the idea, on two scales that serve two purposes:

* `place_prior` (units of log10(population)) is what recognition and resolution weigh: a country outranks any
  city of its name, a first-level region counts like a city of about 3 million, physical features sit between;
* `prior` (0-100) orders a name's candidates as the gazetteer returns them (a capital and a big city before a
  village; features by kind), the order the resolver's "top" and "lead" features read.
"""

from __future__ import annotations

import math

from geomap.models import Place

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
POPULATED = frozenset({"city", "capital", ""})


def place_prior(place: Place) -> float:
    """How likely a bare mention of this place's name means it, in units of log10(population)."""
    if place.feature in POPULATED or place.feature not in FEATURE_PRIOR:
        base = math.log10(max(place.population, 0) + 1) if place.feature in POPULATED else DEFAULT_PRIOR
        if place.feature == "capital" or place.feature_code == "PPLC":
            base += CAPITAL_BONUS
        return max(base, math.log10(max(place.population, 0) + 1))
    return max(FEATURE_PRIOR[place.feature], math.log10(max(place.population, 0) + 1))


# Prior weight of each coarse feature: country > continent/ocean > sea > admin1 and big regions > ...
# Cities and capitals are weighted by population instead (see `prior`).
FEATURE_WEIGHT: dict[str, float] = {
    "country": 100, "continent": 92, "ocean": 90, "sea": 76, "gulf": 74, "bay": 72, "strait": 72,
    "region": 72, "admin1": 72, "peninsula": 66, "desert": 66, "admin2": 66, "island": 60,
    "mountain": 52, "river": 52, "lake": 52, "canal": 52, "admin3": 50,
    # only GeoNames imports bring these; a spot or road rarely is what a bare name means
    "historical": 35, "site": 30, "road": 25, "undersea": 25, "vegetation": 25,
}  # fmt: skip
_OTHER_WEIGHT = 48.0


def prior(feature: str, population: int) -> float:
    """How likely a bare mention of this place's name means this place, before any context."""
    if feature == "capital":
        return 58.0 + 3.0 * math.log10(population + 1)
    if feature == "city":
        return min(40.0 + 5.0 * math.log10(population + 1), 75.0)
    return FEATURE_WEIGHT.get(feature, _OTHER_WEIGHT)
