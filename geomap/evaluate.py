"""Score geomap's predictions against gold-annotated articles. Pure functions, standard library only.

Gold: JSON Lines, one article a line: ``{"id", "text", "toponyms": [{"start", "end", "name", "lat", "lon",
...}]}`` (``lat``/``lon`` may be null). Predictions: what ``geomap parse --format jsonl`` prints,
``{"id", "mentions": [{"start", "end", "text", "lat", "lon", "kind", ...}]}`` (``lat``/``lon`` null when a
mention was not resolved; ``kind`` "toponym" or "demonym", absent meaning "toponym").

Decisions, so the figures can be read without the code:

* Articles are paired by ``id``. A gold article with no prediction counts all its toponyms as missed
  (``CorpusScore.articles_missing`` says how many); predictions for ids not in the gold are ignored.
* Demonyms: unless ``include_demonyms``, predicted mentions of kind "demonym" are dropped before anything
  is scored (LGL annotates adjectival country uses such as "Turkish" as toponyms, GeoVirus does not).
* Exact spans: a prediction counts when (start, end) equal a gold toponym's; one-to-one, so a span
  predicted twice matches once.
* Overlapping spans: a predicted span sharing at least one character with a gold span counts, one-to-one.
  Pairs are taken greedily, largest shared length first; ties go to the pair whose lengths differ least
  (so an exact pair always wins), then to the earlier gold and predicted start. Greedy can fall short of
  the largest possible matching (one long prediction straddling two gold spans may take the wrong one),
  but it is deterministic and easy to explain. F1 is 2 * matched / (gold + predicted).
* Resolution is scored on overlap-matched pairs whose gold toponym has coordinates:
  ``Acc@161 (resolved)`` among pairs the prediction also gave coordinates to (the figure published
  geoparsers report); ``Acc@161 (recognised)`` counts a recognised-but-unresolved pair as wrong;
  ``Acc@161 (end-to-end)`` is over every gold toponym with coordinates, a miss counting as wrong.
  "Within 161 km" means error <= 161 km. Median, mean and AUC use the resolved pairs only.
* Undefined figures (nothing to divide by) are ``None``, never 0 or NaN, so JSON output stays valid.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from os import PathLike
from typing import Any

from geomap.errors import InputError, UsageError
from geomap.geo import great_circle_km
from geomap.models import Article
from geomap.resolve import REGION_FEATURES

MAX_ERROR_KM = 20039.0  # half the equatorial circumference: the largest possible error (Gritta et al. 2018)
ACC_KM = 161.0  # 100 miles, the customary Acc@161 threshold
WAY_OFF_KM = 1500.0  # beyond this a resolution is in another region of the world: the absurd errors
CONTEXT_CHARS = 80


def auc_log_error(errors_km: Sequence[float]) -> float | None:
    """Area under the curve of sorted ln(1 + error), x spread evenly over [0, 1], scaled to [0, 1].

    As defined by Gritta, Pilehvar, Limsopatham & Collier, "What's missing in geographical parsing?"
    (Language Resources and Evaluation 52, 2018) and in their code (`print_stats` in
    milangritta/Geocoding-with-Map-Vector, preprocessing.py): ``trapz(ln(e + 1)) / (ln(MAX) * (n - 1))``.
    We divide by ln(1 + 20039) rather than their ln(20039), so the worst possible answer scores exactly
    1 (the two differ by < 0.001%). Lower is better; 0 means every answer was exact. A single error
    gives its own scaled height (a flat curve). ``None`` for no errors.
    """
    if not errors_km:
        return None
    scale = math.log1p(MAX_ERROR_KM)
    heights = [math.log1p(e) / scale for e in sorted(errors_km)]
    if len(heights) == 1:
        return heights[0]
    area = sum((a + b) / 2 for a, b in zip(heights, heights[1:], strict=False))
    return area / (len(heights) - 1)


@dataclass(frozen=True)
class CorpusScore:
    """Counts from one corpus; every figure is a property computed from them (``None`` when undefined)."""

    articles: int = 0  # gold articles
    articles_missing: int = 0  # gold articles with no prediction
    gold: int = 0  # gold toponyms
    predicted: int = 0  # predicted mentions scored (after dropping demonyms unless included)
    demonyms: int = 0  # predicted demonym mentions (scored or dropped, per `demonyms_included`)
    demonyms_included: bool = False
    spans_given: bool = False  # the gold spans were resolved as given: recognition figures mean nothing
    exact_matched: int = 0
    overlap_matched: int = 0
    gold_with_coords: int = 0
    recognised_with_coords: int = 0  # overlap-matched pairs whose gold toponym has coordinates
    unresolved: int = 0  # ... of which the prediction has no coordinates
    misaligned: int = 0  # predicted mentions whose text is not the gold text at their offsets
    far_areas: int = 0  # resolutions beyond 161 km whose place is a country, region or continent
    errors_km: tuple[float, ...] = field(default=(), repr=False)  # sorted, one per resolved pair

    @property
    def resolved(self) -> int:
        return len(self.errors_km)

    @property
    def within_161(self) -> int:
        return sum(1 for e in self.errors_km if e <= ACC_KM)

    @property
    def far(self) -> int:
        return self.resolved - self.within_161

    @property
    def way_off(self) -> int:
        return sum(1 for e in self.errors_km if e > WAY_OFF_KM)

    @property
    def way_off_share(self) -> float | None:
        return _ratio(self.way_off, self.resolved)

    @property
    def exact_precision(self) -> float | None:
        return None if self.spans_given else _ratio(self.exact_matched, self.predicted)

    @property
    def exact_recall(self) -> float | None:
        return None if self.spans_given else _ratio(self.exact_matched, self.gold)

    @property
    def exact_f1(self) -> float | None:
        return None if self.spans_given else _ratio(2 * self.exact_matched, self.gold + self.predicted)

    @property
    def overlap_precision(self) -> float | None:
        return None if self.spans_given else _ratio(self.overlap_matched, self.predicted)

    @property
    def overlap_recall(self) -> float | None:
        return None if self.spans_given else _ratio(self.overlap_matched, self.gold)

    @property
    def overlap_f1(self) -> float | None:
        return None if self.spans_given else _ratio(2 * self.overlap_matched, self.gold + self.predicted)

    @property
    def acc161_resolved(self) -> float | None:
        return _ratio(self.within_161, self.resolved)

    @property
    def acc161_recognised(self) -> float | None:
        return _ratio(self.within_161, self.recognised_with_coords)

    @property
    def acc161_end_to_end(self) -> float | None:
        return _ratio(self.within_161, self.gold_with_coords)

    @property
    def median_km(self) -> float | None:
        return statistics.median(self.errors_km) if self.errors_km else None

    @property
    def mean_km(self) -> float | None:
        return statistics.fmean(self.errors_km) if self.errors_km else None

    @property
    def auc(self) -> float | None:
        return auc_log_error(self.errors_km)

    def as_dict(self) -> dict[str, Any]:
        """Counts and figures as plain JSON-ready data (without the list of errors)."""
        data = {k: v for k, v in asdict(self).items() if k != "errors_km"}
        data.update({name: getattr(self, name) for name in FIGURES})
        return data


FIGURES = (
    "resolved", "within_161", "far", "way_off", "way_off_share",
    "exact_precision", "exact_recall", "exact_f1",
    "overlap_precision", "overlap_recall", "overlap_f1",
    "acc161_resolved", "acc161_recognised", "acc161_end_to_end",
    "median_km", "mean_km", "auc",
)  # fmt: skip


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# --- matching one article -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ArticleMatch:
    text: str
    gold: tuple[dict[str, Any], ...]
    predicted: tuple[dict[str, Any], ...]
    exact: int
    pairs: tuple[tuple[int, int], ...]  # (gold index, predicted index), overlap matching

    def unmatched_gold(self) -> list[int]:
        used = {g for g, _ in self.pairs}
        return [i for i in range(len(self.gold)) if i not in used]

    def unmatched_predicted(self) -> list[int]:
        used = {p for _, p in self.pairs}
        return [i for i in range(len(self.predicted)) if i not in used]


def _is_demonym(mention: Mapping[str, Any]) -> bool:
    return mention.get("kind", "toponym") == "demonym"


def _kept_mentions(prediction: Mapping[str, Any] | None, include_demonyms: bool) -> tuple[dict[str, Any], ...]:
    mentions = prediction.get("mentions", []) if prediction else []
    return tuple(m for m in mentions if include_demonyms or not _is_demonym(m))


def _exact_count(gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]) -> int:
    gold_spans = Counter((t["start"], t["end"]) for t in gold)
    predicted_spans = Counter((m["start"], m["end"]) for m in predicted)
    return sum(min(n, predicted_spans[span]) for span, n in gold_spans.items())


def _overlap_pairs(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> tuple[tuple[int, int], ...]:
    """One-to-one pairs of overlapping spans, greedy by largest overlap (see the module docstring)."""
    candidates = []
    for g, t in enumerate(gold):
        for p, m in enumerate(predicted):
            shared = min(t["end"], m["end"]) - max(t["start"], m["start"])
            if shared > 0:
                length_gap = abs((t["end"] - t["start"]) - (m["end"] - m["start"]))
                candidates.append((-shared, length_gap, t["start"], m["start"], g, p))
    candidates.sort()
    used_gold: set[int] = set()
    used_predicted: set[int] = set()
    pairs = []
    for *_, g, p in candidates:
        if g not in used_gold and p not in used_predicted:
            used_gold.add(g)
            used_predicted.add(p)
            pairs.append((g, p))
    return tuple(sorted(pairs))


def _match_article(
    article: Mapping[str, Any], prediction: Mapping[str, Any] | None, include_demonyms: bool
) -> _ArticleMatch:
    gold = tuple(article.get("toponyms", []))
    predicted = _kept_mentions(prediction, include_demonyms)
    return _ArticleMatch(
        text=article.get("text", ""),
        gold=gold,
        predicted=predicted,
        exact=_exact_count(gold, predicted),
        pairs=_overlap_pairs(gold, predicted),
    )


def _coords(record: Mapping[str, Any]) -> tuple[float, float] | None:
    lat, lon = record.get("lat"), record.get("lon")
    if lat is None or lon is None:
        return None
    return float(lat), float(lon)


def _index_predictions(predicted: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    by_id: dict[str, Mapping[str, Any]] = {}
    for record in predicted:
        key = str(record["id"])
        if key in by_id:
            raise UsageError(f"article id {key!r} appears more than once in the predictions")
        by_id[key] = record
    return by_id


def _matches(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]], include_demonyms: bool
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any] | None, _ArticleMatch]]:
    by_id = _index_predictions(predicted)
    seen: set[str] = set()
    for article in gold:
        key = str(article["id"])
        if key in seen:
            raise UsageError(f"article id {key!r} appears more than once in the gold data")
        seen.add(key)
        prediction = by_id.get(key)
        yield article, prediction, _match_article(article, prediction, include_demonyms)


# --- scoring ----------------------------------------------------------------------------------------


def score_corpus(
    gold: Sequence[Mapping[str, Any]],
    predicted: Sequence[Mapping[str, Any]],
    *,
    include_demonyms: bool = False,
    spans_given: bool = False,
) -> CorpusScore:
    """Recognition and resolution counts for one corpus; figures are properties of the result.
    `spans_given`: the predictions resolve the gold spans themselves (recognition figures are left out)."""
    counts: Counter[str] = Counter()
    errors: list[float] = []
    for _, prediction, match in _matches(gold, predicted, include_demonyms):
        counts["articles"] += 1
        counts["articles_missing"] += prediction is None
        counts["demonyms"] += sum(_is_demonym(m) for m in (prediction or {}).get("mentions", []))
        _count_article(match, counts, errors)
    return CorpusScore(
        demonyms_included=include_demonyms, spans_given=spans_given, errors_km=tuple(sorted(errors)), **counts
    )


def _count_article(match: _ArticleMatch, counts: Counter[str], errors: list[float]) -> None:
    counts["gold"] += len(match.gold)
    counts["predicted"] += len(match.predicted)
    counts["exact_matched"] += match.exact
    counts["overlap_matched"] += len(match.pairs)
    counts["gold_with_coords"] += sum(_coords(t) is not None for t in match.gold)
    counts["misaligned"] += sum(_misaligned(m, match.text) for m in match.predicted)
    for g, p in match.pairs:
        gold_point, predicted_point = _coords(match.gold[g]), _coords(match.predicted[p])
        if gold_point is None:
            continue
        counts["recognised_with_coords"] += 1
        if predicted_point is None:
            counts["unresolved"] += 1
        else:
            error = great_circle_km(*gold_point, *predicted_point)
            errors.append(error)
            # A country or region is one place with many possible points: is a far error one of those?
            counts["far_areas"] += error > ACC_KM and match.predicted[p].get("feature") in REGION_FEATURES


def _misaligned(mention: Mapping[str, Any], text: str) -> bool:
    """True when the prediction's offsets do not point at its own text in the gold article."""
    return "text" in mention and text[mention["start"] : mention["end"]] != mention["text"]


# --- error listing ----------------------------------------------------------------------------------


def error_records(
    gold: Sequence[Mapping[str, Any]],
    predicted: Sequence[Mapping[str, Any]],
    *,
    include_demonyms: bool = False,
    far_km: float = ACC_KM,
) -> Iterator[dict[str, Any]]:
    """Every mistake, one JSON-ready dict each, in gold article order and text order within an article.

    ``kind`` is "miss" (gold toponym not recognised), "false_alarm" (predicted mention overlapping no
    gold toponym), "unresolved" (recognised, gold has coordinates, prediction has none) or "far"
    (recognised and resolved more than ``far_km`` from the gold coordinates). Each record has
    ``article``, ``kind``, ``start``/``end``/``text`` (the gold span, or the predicted one for a false
    alarm), ``context`` (about 80 characters each side, the span in [[ ]]), ``gold`` and
    ``predicted`` (the two records, or None) and ``error_km`` (or None).
    """
    for article, _, match in _matches(gold, predicted, include_demonyms):
        records = list(_article_errors(str(article["id"]), match, far_km))
        yield from sorted(records, key=lambda r: (r["start"], r["end"], r["kind"]))


def _article_errors(article_id: str, match: _ArticleMatch, far_km: float) -> Iterator[dict[str, Any]]:
    for g in match.unmatched_gold():
        yield _record(article_id, "miss", match, match.gold[g], None)
    for p in match.unmatched_predicted():
        yield _record(article_id, "false_alarm", match, None, match.predicted[p])
    for g, p in match.pairs:
        gold_point, predicted_point = _coords(match.gold[g]), _coords(match.predicted[p])
        if gold_point is None:
            continue
        if predicted_point is None:
            yield _record(article_id, "unresolved", match, match.gold[g], match.predicted[p])
            continue
        error = great_circle_km(*gold_point, *predicted_point)
        if error > far_km:
            yield _record(article_id, "far", match, match.gold[g], match.predicted[p], error)


def _record(
    article_id: str,
    kind: str,
    match: _ArticleMatch,
    gold: Mapping[str, Any] | None,
    predicted: Mapping[str, Any] | None,
    error_km: float | None = None,
) -> dict[str, Any]:
    span = gold if gold is not None else predicted
    assert span is not None
    start, end = span["start"], span["end"]
    return {
        "article": article_id,
        "kind": kind,
        "start": start,
        "end": end,
        "text": match.text[start:end],
        "context": _context(match.text, start, end),
        "gold": dict(gold) if gold is not None else None,
        "predicted": dict(predicted) if predicted is not None else None,
        "error_km": round(error_km, 1) if error_km is not None else None,
    }


def _context(text: str, start: int, end: int, width: int = CONTEXT_CHARS) -> str:
    left = text[max(0, start - width) : start]
    right = text[end : end + width]
    return " ".join(f"{left}[[{text[start:end]}]]{right}".split())


# --- reading and printing ---------------------------------------------------------------------------


def gold_article(record: Mapping[str, Any]) -> tuple[Article, list[tuple[int, int]]]:
    """A gold record as an article and its toponym spans (for resolving the spans as given)."""
    meta = record.get("meta") or {}
    article = Article(id=str(record["id"]), text=str(record.get("text", "")), title=str(meta.get("title") or ""))
    return article, [(int(t["start"]), int(t["end"])) for t in record.get("toponyms", [])]


def load_jsonl(path: str | PathLike[str]) -> list[dict[str, Any]]:
    """One JSON object per non-blank line; InputError names the file and line of anything else."""
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    records.append(_parse_line(line, path, number))
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}") from err
    return records


def _parse_line(line: str, path: str | PathLike[str], number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}:{number}: not JSON ({err.msg})") from err
    if not isinstance(record, dict) or "id" not in record:
        raise InputError(f"{path}:{number}: expected a JSON object with an 'id'")
    return record


_ROWS: tuple[tuple[str, str, str], ...] = (
    ("articles", "articles", "int"),
    ("articles_missing", "  with no prediction", "int"),
    ("gold", "gold toponyms", "int"),
    ("predicted", "predicted mentions", "int"),
    ("demonyms", "  demonyms (see below)", "int"),
    ("misaligned", "  offsets not matching text", "int"),
    ("exact_precision", "exact span P", "ratio"),
    ("exact_recall", "exact span R", "ratio"),
    ("exact_f1", "exact span F1", "ratio"),
    ("overlap_precision", "overlap span P", "ratio"),
    ("overlap_recall", "overlap span R", "ratio"),
    ("overlap_f1", "overlap span F1", "ratio"),
    ("gold_with_coords", "gold with coordinates", "int"),
    ("recognised_with_coords", "  recognised", "int"),
    ("resolved", "    resolved", "int"),
    ("unresolved", "    unresolved", "int"),
    ("acc161_resolved", "Acc@161 (resolved)", "ratio"),
    ("far", "  beyond 161 km", "int"),
    ("far_areas", "    countries/regions among them", "int"),
    ("way_off", "  beyond 1,500 km", "int"),
    ("way_off_share", "  beyond 1,500 km, share", "ratio"),
    ("acc161_recognised", "Acc@161 (recognised)", "ratio"),
    ("acc161_end_to_end", "Acc@161 (end-to-end)", "ratio"),
    ("median_km", "median error km", "km"),
    ("mean_km", "mean error km", "km"),
    ("auc", "AUC (lower better)", "ratio"),
)


def format_scores(scores: Mapping[str, CorpusScore]) -> str:
    """A plain-text table: one row per figure, one column per corpus (in the mapping's order)."""
    names = list(scores)
    label_width = max(len(label) for _, label, _ in _ROWS)
    cells = [[_cell(getattr(scores[name], attr), style) for name in names] for attr, _, style in _ROWS]
    widths = [max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(names)]
    lines = [_line("", label_width, names, widths)]
    lines += [_line(label, label_width, row, widths) for (_, label, _), row in zip(_ROWS, cells, strict=True)]
    lines.append("")
    lines.extend(_footnotes(scores))
    return "\n".join(lines).rstrip() + "\n"


def _line(label: str, label_width: int, cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join([label.ljust(label_width)] + [c.rjust(w) for c, w in zip(cells, widths, strict=True)])


def _cell(value: float | int | None, style: str) -> str:
    if value is None:
        return "n/a"
    if style == "int":
        return str(value)
    if style == "km":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _footnotes(scores: Mapping[str, CorpusScore]) -> list[str]:
    notes = [
        "Demonyms: "
        + "; ".join(f"{n}: {'scored' if s.demonyms_included else 'dropped'}" for n, s in scores.items())
        + ".",
        "Acc@161: share within 161 km. resolved: of recognised toponyms given coordinates;",
        "  recognised: an unresolved one counts as wrong; end-to-end: of all gold toponyms with coordinates.",
    ]
    for name, score in scores.items():
        if score.misaligned:
            notes.append(f"WARNING {name}: {score.misaligned} predicted offsets do not match the gold text.")
        if score.articles_missing:
            notes.append(f"WARNING {name}: {score.articles_missing} gold articles have no prediction.")
    return notes
