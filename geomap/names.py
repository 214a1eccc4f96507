"""Place-name look-up variants and the name patterns recognition uses; query time only.

`lookup_variants` and `lookup_keys` give the keys a look-up tries after the exact one (`normalize`, in
`namekeys.py` with the other name tests the gazetteer build uses, re-exported here). Nothing here changes what
the gazetteer holds, so editing it does not rebuild the gazetteer (it is in `pipeline.code_version`).
Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geomap.namekeys import is_abbreviation, normalize
from geomap.namekeys import is_latin as is_latin  # re-exported: the name tests live in namekeys.py

# Whole-name abbreviations (keys are normalised, so "U.S.A." arrives as "usa").
ABBREVIATIONS: dict[str, str] = {
    "us": "united states",
    "usa": "united states",
    "uk": "united kingdom",
    "uae": "united arab emirates",
    "drc": "democratic republic of the congo",
    "prc": "china",
    "nyc": "new york city",
    "dc": "district of columbia",
    "eu": "european union",
}

# US state abbreviations of newspaper style (AP), written with a period: "Lima, Ohio", "Athens, Ga.".
# Only a capitalised word ending in a period is read this way, so "Miss" or "Wash" stay words.
STATE_ABBREVIATIONS: dict[str, str] = {
    "ala": "alabama",
    "ariz": "arizona",
    "ark": "arkansas",
    "calif": "california",
    "colo": "colorado",
    "conn": "connecticut",
    "del": "delaware",
    "fla": "florida",
    "ga": "georgia",
    "ill": "illinois",
    "ind": "indiana",
    "kan": "kansas",
    "kans": "kansas",
    "ky": "kentucky",
    "la": "louisiana",
    "md": "maryland",
    "mass": "massachusetts",
    "mich": "michigan",
    "minn": "minnesota",
    "miss": "mississippi",
    "mo": "missouri",
    "mont": "montana",
    "neb": "nebraska",
    "nev": "nevada",
    "nh": "new hampshire",
    "nj": "new jersey",
    "nm": "new mexico",
    "ny": "new york",
    "nc": "north carolina",
    "nd": "north dakota",
    "okla": "oklahoma",
    "ore": "oregon",
    "pa": "pennsylvania",
    "ri": "rhode island",
    "sc": "south carolina",
    "sd": "south dakota",
    "tenn": "tennessee",
    "tex": "texas",
    "vt": "vermont",
    "va": "virginia",
    "wash": "washington",
    "wva": "west virginia",
    "wis": "wisconsin",
    "wyo": "wyoming",
}

# Generic words a writer adds to a name, and the coarse features they point at.
_ADMIN = frozenset({"admin1", "admin2", "region"})
GENERIC_SUFFIXES: dict[str, frozenset[str]] = {
    "province": _ADMIN,
    "region": _ADMIN,
    "oblast": _ADMIN,
    "governorate": _ADMIN,
    "prefecture": _ADMIN,
    "district": _ADMIN,
    "county": frozenset({"admin2", "admin1"}),
    "state": frozenset({"admin1"}),
    "republic": frozenset({"country", "admin1"}),
    "river": frozenset({"river"}),
    "sea": frozenset({"sea", "ocean", "gulf"}),
    "mountains": frozenset({"mountain"}),
    "city": frozenset({"city", "capital"}),
}
_GENERIC_PREFIXES: dict[str, str] = {
    "province of": "province",
    "region of": "region",
    "state of": "state",
    "republic of": "republic",
    "city of": "city",
}

# "Jackson and Barrow counties", "Butler, Clark or Warren counties": the kind of unit every listed name is,
# and the word that follows such a name when it is written out ("Jackson County").
# Possessive quantifiers throughout: a name word never gives back letters (nothing after it could use them), so
# a run of capitalised words cannot be split in exponentially many ways ("HELLO WORLD THIS IS" took seconds).
UNITS_AFTER_LIST = re.compile(
    r"^(?:\s*+,?+\s*+(?:and|or)?+\s*+[A-Z][\w.'’-]*+(?:\s[A-Z][\w.'’-]*+)?+){0,8}+,?+\s++"
    r"(counties|parishes|provinces|states|regions|districts|townships|oblasts|governorates|prefectures)\b"
)
UNIT_SUFFIXES = {"counties": "County", "parishes": "Parish", "provinces": "Province", "oblasts": "Oblast"}
_SAINT = (("st ", "saint "), ("saint ", "st "), ("ste ", "sainte "), ("mt ", "mount "))


@dataclass(frozen=True)
class LookupKey:
    """One key to try, and the features a generic word in the query asked for (empty: any).

    `abbr_only`: match only names stored as abbreviations ("US" must not find the French village Us).
    """

    key: str
    features: frozenset[str] = frozenset()
    abbr_only: bool = False


def lookup_variants(name: str) -> list[LookupKey]:
    """Keys to try in order, each with the feature hint of any generic word it dropped.

    A name written in capitals ("US", "UK", "NYC") is first looked up among abbreviations,
    then expanded ("united states"), and only then as an ordinary name ("LIMA" in a headline).
    """
    base = normalize(name)
    if not base:
        return []
    out: list[LookupKey] = []
    state = _state_abbreviation(name)
    if state:
        out.append(LookupKey(state, frozenset({"admin1"})))
    if is_abbreviation(name):
        out.append(LookupKey(base, abbr_only=True))
        if base.replace(" ", "") in ABBREVIATIONS:
            out.append(LookupKey(ABBREVIATIONS[base.replace(" ", "")]))
    out.append(LookupKey(base))
    if _CAMEL_CASE.fullmatch(name):  # "SierraLeone", "NewYork": run together in a hashtag or a handle
        out.append(LookupKey(normalize(_CAMEL_BREAK.sub(" ", name))))
    stripped = _strip_generic(base)
    if stripped is not None:
        out.append(stripped)
    for short, long in _SAINT:
        for variant in (out[-1], stripped) if stripped else (out[-1],):
            if variant.key.startswith(short):
                out.append(LookupKey(long + variant.key[len(short) :], variant.features))
    adjectival = _compass_adjective(out[-1].key)
    if adjectival:  # "West Africa" is written "Western Africa" as a region's name
        out.append(LookupKey(adjectival, out[-1].features))
    compass = _strip_compass(out[-1].key)
    if compass:  # "Northeast Georgia", "Columbus East": last resort, the name without the direction
        out.append(LookupKey(compass))
    seen: set[tuple[str, bool]] = set()
    unique = []
    for variant in out:
        if (variant.key, variant.abbr_only) not in seen:
            seen.add((variant.key, variant.abbr_only))
            unique.append(variant)
    return unique


_CAMEL_CASE = re.compile(r"(?:[A-Z][a-z]++){2,4}+")
_CAMEL_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z])")


def lookup_keys(name: str) -> list[str]:
    """The normalised name first, then fallbacks: 'Aras River' -> ['aras river', 'aras']."""
    return list(dict.fromkeys(variant.key for variant in lookup_variants(name)))


def _strip_generic(key: str) -> LookupKey | None:
    words = key.split()
    if len(words) >= 2 and words[-1] in GENERIC_SUFFIXES:
        return LookupKey(" ".join(words[:-1]), GENERIC_SUFFIXES[words[-1]])
    for prefix, word in _GENERIC_PREFIXES.items():
        if key.startswith(prefix + " ") and len(key) > len(prefix) + 1:
            return LookupKey(key[len(prefix) + 1 :], GENERIC_SUFFIXES[word])
    return None


_COMPASS_WORDS = frozenset(
    "north south east west northern southern eastern western central northeast northwest southeast southwest "
    "northeastern northwestern southeastern southwestern upper lower greater".split()
)


_COMPASS_ADJECTIVES = {"north": "northern", "south": "southern", "east": "eastern", "west": "western"}


def _compass_adjective(key: str) -> str | None:
    """'west africa' -> 'western africa', 'southeast asia' -> 'south eastern asia' (as CLDR writes its
    regions); None without a direction word."""
    first, _, rest = key.partition(" ")
    if not rest:
        return None
    for plain, adjective in _COMPASS_ADJECTIVES.items():
        if first == plain:
            return f"{adjective} {rest}"
        if first in (f"north{plain}", f"south{plain}"):
            return f"{first[: -len(plain)]} {adjective} {rest}"
    return None


def _strip_compass(key: str) -> str | None:
    """'northeast georgia' -> 'georgia', 'columbus east' -> 'columbus'; None when no direction word."""
    words = key.split()
    if len(words) < 2:
        return None
    if words[0] in _COMPASS_WORDS:
        return " ".join(words[1:])
    if words[-1] in _COMPASS_WORDS:
        return " ".join(words[:-1])
    return None


def _state_abbreviation(name: str) -> str | None:
    """'Kan.' -> 'kansas', 'N.Y.' -> 'new york'; None unless capitalised and ending in a period. Initials
    stand for words, one each: 'L.A.' (two initials) is not Louisiana (one word)."""
    name = name.strip()
    if not name.endswith(".") or not name[:1].isupper() or " " in name:
        return None
    state = STATE_ABBREVIATIONS.get(name.replace(".", "").lower())
    initials = [part for part in name.split(".") if part]
    if state is None or (len(initials) > 1 and len(initials) != len(state.split())):
        return None
    return state
