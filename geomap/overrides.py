"""User overrides: "this name [in this context] is that place", and names never to map.

A CSV file (header `name,place,context[,article]`) or a YAML list of `{name, place, context, article}`::

    name,place,context,article
    Lima,gn:5160783,Ohio,           # "Lima" in an article that mentions Ohio is Lima, Ohio
    Georgia,gn:4197000,,            # "Georgia" is always the US state
    Svitan,-,,                      # never map "Svitan"
    Paris,gn:4717560,,news/tx.txt   # "Paris" in the article with id news/tx.txt is Paris, Texas

`place` is a place id as `geomap geocode --format jsonl` prints it; `-` (or empty) means never map.
`context`, when given, must occur in the article (whole word, any case) for the rule to apply;
`article`, when given, is the id of the one article the rule is for (the map's "wrong place?" control
writes such lines). Rules are tried in file order; the first that fits wins.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geomap.errors import UsageError
from geomap.models import Article, Place
from geomap.names import normalize

NEVER = ("", "-", "none", "null")


@dataclass(frozen=True)
class Rule:
    name: str  # normalised
    place: Place | None  # None: never map this name
    context: str = ""
    article: str = ""  # the id of the one article the rule is for; "" for every article

    def applies(self, article_text: str, article_id: str = "") -> bool:
        if self.article and self.article != article_id:
            return False
        return self._context_pattern is None or self._context_pattern.search(article_text) is not None

    @functools.cached_property
    def _context_pattern(self) -> re.Pattern[str] | None:
        """The context as a whole word, any case: a literal, so the search is linear in the article."""
        return re.compile(rf"(?<!\w){re.escape(self.context)}(?!\w)", re.IGNORECASE) if self.context else None


@dataclass(frozen=True)
class Overrides:
    rules: tuple[Rule, ...] = ()

    def digest_for(self, article: Article) -> str:
        """The rules that may change this article's results, as a digest for its cache key ("" for none). A rule
        acts only on a mention of its name, and a mention is in the text: adding the rule for "Salisbury" that
        the map offers makes a re-run recompute the articles that name Salisbury, not every article."""
        if not self.rules:
            return ""
        text = _Searchable(article.text)
        relevant = [
            (rule.name, rule.place.id if rule.place else "-", rule.context, rule.article)
            for rule in self.rules
            if (not rule.article or rule.article == article.id) and text.may_name(rule.name)
        ]
        return hashlib.sha256(repr(relevant).encode()).hexdigest()[:16] if relevant else ""

    def rule_for(self, name: str, article_text: str, article_id: str = "") -> Rule | None:
        key = normalize(name)
        return next((r for r in self.rules if r.name == key and r.applies(article_text, article_id)), None)


class _Searchable:
    """An article's text, searched for the names rules are for. Conservative: a name that a mention of the text
    normalises to is always found (a false "found" costs only a recomputation). Checked on the gold corpora:
    every one of 52,186 mentions is found this way."""

    _NOT_ALNUM = re.compile(r"[\W_]+")
    _FILLERS = frozenset({"the", "of", "and"})  # normalisation adds or drops these around a name

    def __init__(self, text: str) -> None:
        self.normalized = normalize(text)  # one pass over the text, whatever the number of rules
        self.letters = self._NOT_ALNUM.sub("", self.normalized)

    def may_name(self, key: str) -> bool:
        """Whether a mention in the text may normalise to `key`: the key in the normalised text, or else
        each of its words in it with spaces and punctuation ignored ("M.B.", "#GazaUnderAttack", "Cairo's")."""
        if key in self.normalized:
            return True
        words = [self._NOT_ALNUM.sub("", w) for w in key.split() if w not in self._FILLERS]
        return all(w in self.letters for w in words if w)


def load_overrides(path: Path, place_by_id: Callable[[str], Place | None]) -> Overrides:
    """Read and check an overrides file; every place id must exist (`place_by_id` looks it up)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read overrides {path}: {err.strerror or err}") from err
    text = data.decode("utf-8-sig", errors="replace")
    rows = _yaml_rows(text, path) if path.suffix.lower() in (".yaml", ".yml") else _csv_rows(text, path)
    rules = []
    for line, row in rows:
        name = str(row.get("name") or "").strip()
        if not name:
            raise UsageError(f"overrides {path}:{line}: no name")
        target = str(row.get("place") or "").strip()
        place = None
        if target.lower() not in NEVER:
            place = place_by_id(target)
            if place is None:
                raise UsageError(f"overrides {path}:{line}: no place with id {target!r} (see `geomap geocode`)")
        context = str(row.get("context") or "").strip()
        article = str(row.get("article") or "").strip()
        rules.append(Rule(normalize(name), place, context, article))
    return Overrides(tuple(rules))


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The rows under the header, each with its line number in the file. A comment starts at a `#` outside
    quotes at the start of a line or a cell or after a space; a cell holding `#` or `,` (an article id may)
    is quoted, as the map writes it."""
    lines = [(number, _uncommented(line)) for number, line in enumerate(text.splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line.strip()]
    if not lines:
        raise UsageError(f"overrides {path}: empty; the first line is the header name,place,context,article")
    header = [cell.strip() for cell in next(csv.reader([lines[0][1]]))]
    if "name" not in header or "place" not in header:
        raise UsageError(f"overrides {path}: the CSV needs a header with at least: name,place[,context[,article]]")
    rows = []
    for number, line in lines[1:]:
        cells = next(csv.reader([line]), [])
        if any(cell.strip() for cell in cells[len(header) :]):
            raise UsageError(
                f"overrides {path}:{number}: more fields than the header names ({','.join(header)}): "
                "a line copied from the map needs the header name,place,context,article"
            )
        rows.append((number, dict(zip(header, cells, strict=False))))
    return rows


def _uncommented(line: str) -> str:
    """The line up to its comment, if any (linear: one pass, tracking quotes)."""
    quoted = False
    for at, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted and (at == 0 or line[at - 1].isspace() or line[at - 1] == ","):
            return line[:at]
    return line


def _yaml_rows(text: str, path: Path) -> list[tuple[int, dict[str, Any]]]:
    import yaml

    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError as err:
        raise UsageError(f"overrides {path}: not valid YAML: {err}") from err
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise UsageError(f"overrides {path}: expected a list of {{name, place, context, article}} entries")
    return [(i + 1, r) for i, r in enumerate(data)]
