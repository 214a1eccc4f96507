"""The key a place name is stored and looked up under, and the tests that decide which names the gazetteer keeps.

Split from `names.py` because the gazetteer build uses exactly this: `normalize` makes the key of every
name it writes, `is_abbreviation` decides a name's kind, `is_latin` which alternate names are kept. This file
is part of the gazetteer's rebuild key (`geomap.gazetteer.build.BUILD_CODE`), so editing it rebuilds the
gazetteer; `names.py` (look-up variants, recognition patterns) is not, so editing that does not.
Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose into a base letter plus a combining mark.
_FOLD = str.maketrans(
    {
        "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ı": "i", "ħ": "h", "ŧ": "t", "ŀ": "l",
        "æ": "ae", "œ": "oe", "þ": "th", "ß": "ss", "ĸ": "k", "ŉ": "n",
    }
)  # fmt: skip
_APOSTROPHES = re.compile(r"[\u2019\u2018\u02bc\u02bb\u02b9\u02bf\u02be`\u00b4\u2032\u201b]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\u00ad_/-]")
_POSSESSIVE = re.compile(r"(?<=\w)'s$")
_DOTTED = re.compile(r"(?<=\w)\.(?=\w)|(?<=\b\w)\.")
_NON_WORD = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_PLAIN = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")  # needs none of the rules below


@lru_cache(maxsize=65536)
def normalize(name: str) -> str:
    """The look-up key of a name: 'The Balkans' -> 'balkans', 'Côte d’Ivoire' -> 'cote divoire'."""
    if _PLAIN.fullmatch(name):
        return _drop_article(name.lower())
    # casefold again after NFKD: compatibility forms decompose to capitals ("🄐" -> "(A)")
    text = unicodedata.normalize("NFKD", name.casefold()).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_FOLD)
    text = _APOSTROPHES.sub("'", text)
    text = _DASHES.sub(" ", text).replace("&", " and ")
    text = _SPACES.sub(" ", text).strip()
    text = _POSSESSIVE.sub("", text)
    text = _DOTTED.sub("", text)  # "u.s.a." -> "usa", "st. louis" -> "st louis"
    text = text.replace("'", "")  # "kharkivs'ka" -> "kharkivska"
    return _drop_article(_SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip())


def _drop_article(text: str) -> str:
    """'the balkans' -> 'balkans', 'republic of the congo' -> 'republic of congo': writers use both."""
    while text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text.replace(" of the ", " of ") if " of the " in text else text


def is_abbreviation(name: str) -> bool:
    """'UAE', 'U.S.', 'NY' -> True: short and written in capitals (so 'in' or 'Me' are not)."""
    if not name.isupper() or " " in name.strip():
        return False
    letters = [ch for ch in name if ch.isalpha()]
    return 2 <= len(letters) <= 5 and all(ch.isascii() for ch in letters)


def is_latin(name: str) -> bool:
    """True if every letter of `name` is Latin script (possibly accented)."""
    if name.isascii():
        return any(ch.isalpha() for ch in name)
    has_letter = False
    for ch in name:
        if ch.isalpha():
            has_letter = True
            if ord(ch) >= 0x250 and not unicodedata.name(ch, "").startswith("LATIN"):
                return False
    return has_letter
