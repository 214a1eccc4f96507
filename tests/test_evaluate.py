"""Scoring against hand-built gold and predictions whose right answers are worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from geopy.distance import great_circle
from hypothesis import given
from hypothesis import strategies as st

from geomap.errors import InputError, UsageError
from geomap.evaluate import (
    CorpusScore,
    auc_log_error,
    error_records,
    format_scores,
    great_circle_km,
    load_jsonl,
    score_corpus,
)

TEXT = "Alpha met Beta in Gamma, then Delta, Epsilon and Zeta before Eta. " * 3
KM_PER_DEGREE = 111.195  # one degree of a great circle on the mean-radius Earth
LOG_MAX = math.log(20040.0)


def gold_article(spans: list[tuple[int, int]], coords: list[Any] | None = None, id: str = "a") -> dict:
    coords = coords or [(0.0, 0.0)] * len(spans)
    toponyms = [
        {"start": s, "end": e, "name": TEXT[s:e], "lat": c[0] if c else None, "lon": c[1] if c else None}
        for (s, e), c in zip(spans, coords, strict=True)
    ]
    return {"id": id, "source": "T", "text": TEXT, "meta": {}, "toponyms": toponyms}


def mention(start: int, end: int, lat: float | None = 0.0, lon: float | None = 0.0, **extra: Any) -> dict:
    return {"start": start, "end": end, "text": TEXT[start:end], "name": "x", "lat": lat, "lon": lon, **extra}


def prediction(mentions: list[dict], id: str = "a") -> dict:
    return {"id": id, "title": "", "source": "t.jsonl:1", "mentions": mentions}


# --- distances ----------------------------------------------------------------------------------------


def test_great_circle_of_known_city_pairs() -> None:
    london, paris = (51.5074, -0.1278), (48.8566, 2.3522)
    new_york, los_angeles = (40.7128, -74.0060), (34.0522, -118.2437)
    sydney, tokyo = (-33.8688, 151.2093), (35.6762, 139.6503)
    assert great_circle_km(*london, *paris) == pytest.approx(343.5, abs=1.0)
    assert great_circle_km(*new_york, *los_angeles) == pytest.approx(3936, abs=5)
    assert great_circle_km(*sydney, *tokyo) == pytest.approx(7820, abs=15)
    for a, b in [(london, paris), (new_york, los_angeles), (sydney, tokyo)]:
        assert great_circle_km(*a, *b) == pytest.approx(great_circle(a, b).km, rel=1e-9)
        assert great_circle_km(*a, *b) == pytest.approx(great_circle_km(*b, *a))


def test_great_circle_edge_cases() -> None:
    assert great_circle_km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert great_circle_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(KM_PER_DEGREE, abs=0.01)
    assert great_circle_km(0.0, 179.0, 0.0, -179.0) == pytest.approx(2 * KM_PER_DEGREE, abs=0.02)
    assert great_circle_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * 6371.009)
    assert great_circle_km(90.0, 0.0, -90.0, 0.0) == pytest.approx(math.pi * 6371.009)


# --- AUC ------------------------------------------------------------------------------------------------


def test_auc_of_known_error_lists() -> None:
    e = math.e
    assert auc_log_error([]) is None
    assert auc_log_error([0.0, 0.0, 0.0]) == 0.0
    assert auc_log_error([20039.0, 20039.0]) == pytest.approx(1.0)
    assert auc_log_error([0.0, 20039.0]) == pytest.approx(0.5)
    # heights 0, 1, 2 (over ln 20040) at x = 0, 0.5, 1: trapezoids 0.25 + 0.75
    assert auc_log_error([0.0, e - 1, e**2 - 1]) == pytest.approx(1.0 / LOG_MAX)
    assert auc_log_error([e**2 - 1, 0.0, e - 1]) == pytest.approx(1.0 / LOG_MAX)  # sorted first
    # heights 0, 0, 3 at x = 0, 1/2, 1 (sorted): only the last trapezoid has area, 0.5 * 3 / 2
    assert auc_log_error([e**3 - 1, 0.0, 0.0]) == pytest.approx(0.75 / LOG_MAX)
    assert auc_log_error([e - 1]) == pytest.approx(1.0 / LOG_MAX)


# --- recognition ------------------------------------------------------------------------------------------


def test_exact_and_overlap_precision_recall_f1() -> None:
    gold = [gold_article([(0, 5), (10, 14), (18, 23)])]
    predicted = [
        prediction(
            [
                mention(0, 5),  # exact
                mention(9, 14),  # overlaps "Beta" (with the space before)
                mention(30, 35),  # "Delta": no gold there
                mention(37, 44),  # "Epsilon": no gold there
            ]
        )
    ]
    score = score_corpus(gold, predicted)
    assert (score.gold, score.predicted, score.exact_matched, score.overlap_matched) == (3, 4, 1, 2)
    assert score.exact_precision == pytest.approx(1 / 4)
    assert score.exact_recall == pytest.approx(1 / 3)
    assert score.exact_f1 == pytest.approx(2 / 7)
    assert score.overlap_precision == pytest.approx(2 / 4)
    assert score.overlap_recall == pytest.approx(2 / 3)
    assert score.overlap_f1 == pytest.approx(4 / 7)
    p, r = score.overlap_precision, score.overlap_recall
    assert p is not None and r is not None
    assert score.overlap_f1 == pytest.approx(2 * p * r / (p + r))


def test_touching_spans_do_not_overlap() -> None:
    score = score_corpus([gold_article([(0, 5)])], [prediction([mention(5, 9)])])
    assert score.overlap_matched == 0


def test_matching_is_one_to_one() -> None:
    # the same span predicted twice matches once, exactly and by overlap
    twice = score_corpus([gold_article([(0, 5)])], [prediction([mention(0, 5), mention(0, 5)])])
    assert (twice.exact_matched, twice.overlap_matched, twice.predicted) == (1, 1, 2)
    assert twice.overlap_precision == pytest.approx(0.5)
    # two predictions inside one gold span: one match
    inside = score_corpus([gold_article([(18, 35)])], [prediction([mention(18, 23), mention(30, 35)])])
    assert inside.overlap_matched == 1
    # one prediction across two gold spans: one match
    across = score_corpus([gold_article([(18, 23), (30, 35)])], [prediction([mention(18, 35)])])
    assert (across.overlap_matched, across.overlap_recall) == (1, pytest.approx(0.5))


def test_greedy_takes_largest_overlap_and_prefers_the_exact_span() -> None:
    gold = [gold_article([(0, 10)])]
    largest = list(error_records(gold, [prediction([mention(0, 3), mention(2, 10)])]))
    assert [(r["kind"], r["start"], r["end"]) for r in largest] == [("false_alarm", 0, 3)]
    tie = list(error_records(gold, [prediction([mention(0, 12), mention(0, 10)])]))
    assert [(r["kind"], r["start"], r["end"]) for r in tie] == [("false_alarm", 0, 12)]


def test_no_predictions_gives_undefined_precision_and_zero_f1() -> None:
    score = score_corpus([gold_article([(0, 5)])], [prediction([])])
    assert score.exact_precision is None and score.overlap_precision is None
    assert score.overlap_recall == 0.0 and score.overlap_f1 == 0.0
    assert score.acc161_resolved is None and score.median_km is None and score.auc is None
    assert score.acc161_end_to_end == 0.0


def test_missing_and_extra_articles() -> None:
    gold = [gold_article([(0, 5)], id="a"), gold_article([(10, 14), (18, 23)], id="b")]
    predicted = [prediction([mention(0, 5)], id="a"), prediction([mention(0, 5)], id="not-in-gold")]
    score = score_corpus(gold, predicted)
    assert (score.articles, score.articles_missing, score.gold, score.predicted) == (2, 1, 3, 1)
    assert score.overlap_recall == pytest.approx(1 / 3)
    assert score.acc161_end_to_end == pytest.approx(1 / 3)
    misses = [r for r in error_records(gold, predicted) if r["kind"] == "miss"]
    assert [(r["article"], r["text"]) for r in misses] == [("b", "Beta"), ("b", "Gamma")]


def test_repeated_ids_are_refused() -> None:
    gold = [gold_article([(0, 5)])]
    with pytest.raises(UsageError, match="more than once"):
        score_corpus(gold, [prediction([]), prediction([])])
    with pytest.raises(UsageError, match="more than once"):
        score_corpus(gold + gold, [prediction([])])


def test_demonym_switch() -> None:
    gold = [gold_article([(0, 5), (10, 14)])]
    predicted = [prediction([mention(0, 5, kind="demonym"), {**mention(10, 14), "kind": "toponym"}])]
    dropped = score_corpus(gold, predicted)
    kept = score_corpus(gold, predicted, include_demonyms=True)
    assert (dropped.predicted, dropped.overlap_matched, dropped.demonyms) == (1, 1, 1)
    assert (kept.predicted, kept.overlap_matched, kept.demonyms) == (2, 2, 1)
    assert (dropped.demonyms_included, kept.demonyms_included) == (False, True)
    assert [r["kind"] for r in error_records(gold, predicted)] == ["miss"]
    assert list(error_records(gold, predicted, include_demonyms=True)) == []
    no_kind = [prediction([{k: v for k, v in mention(0, 5).items() if k != "kind"}])]
    assert score_corpus(gold, no_kind).predicted == 1  # absent kind means toponym


def test_misaligned_offsets_are_counted() -> None:
    shifted = {**mention(0, 5), "start": 1, "end": 6}
    score = score_corpus([gold_article([(0, 5)])], [prediction([mention(10, 14), shifted])])
    assert score.misaligned == 1


# --- resolution -------------------------------------------------------------------------------------------

# Gold spans (all at 0,0 unless None) and what is predicted for each.
SPANS = [(0, 5), (10, 14), (18, 23), (30, 35), (37, 44), (49, 53), (61, 64), (66, 71)]
GOLD_COORDS: list[Any] = [(0.0, 0.0)] * 6 + [None, None]
PREDICTED = [
    mention(0, 5, 0.0, 0.0),  # 0 km
    mention(10, 14, 1.0, 0.0),  # 111 km
    mention(18, 23, 2.0, 0.0),  # 222 km
    mention(30, 35, 10.0, 0.0),  # 1112 km
    mention(37, 44, None, None),  # recognised, unresolved
    # (49, 53) gold with coordinates: missed
    mention(61, 64, 5.0, 5.0),  # gold has no coordinates: not scored for resolution
    # (66, 71) gold without coordinates: missed
]


def resolution_case() -> tuple[list[dict], list[dict]]:
    return [gold_article(SPANS, GOLD_COORDS)], [prediction(PREDICTED)]


def test_resolution_figures() -> None:
    score = score_corpus(*resolution_case())
    assert (score.gold_with_coords, score.recognised_with_coords, score.resolved) == (6, 5, 4)
    assert (score.unresolved, score.within_161) == (1, 2)
    assert score.acc161_resolved == pytest.approx(2 / 4)
    assert score.acc161_recognised == pytest.approx(2 / 5)
    assert score.acc161_end_to_end == pytest.approx(2 / 6)
    degree = KM_PER_DEGREE
    assert score.errors_km == pytest.approx((0.0, degree, 2 * degree, 10 * degree), abs=0.1)
    assert score.median_km == pytest.approx(1.5 * degree, abs=0.1)
    assert score.mean_km == pytest.approx(13 * degree / 4, abs=0.1)
    heights = sorted(math.log1p(e) / LOG_MAX for e in (0.0, degree, 2 * degree, 10 * degree))
    by_hand = ((heights[0] + heights[3]) / 2 + heights[1] + heights[2]) / 3
    assert score.auc == pytest.approx(by_hand, abs=1e-4)


def test_far_resolutions_of_countries_and_regions_are_counted_apart() -> None:
    gold = [gold_article([(0, 5), (10, 14), (18, 23)])]
    predicted = [
        prediction([
            mention(0, 5, 3.0, 0.0, feature="country"),  # 334 km: a country's point
            mention(10, 14, 3.0, 0.0, feature="city"),  # 334 km: a wrong town
            mention(18, 23, 0.5, 0.0, feature="admin1"),  # 56 km: not far
        ])
    ]  # fmt: skip
    score = score_corpus(gold, predicted)
    assert (score.far, score.far_areas) == (2, 1)
    assert row(format_scores({"c": score}), "    countries/regions among them") == ["1"]


def test_161_km_is_inclusive() -> None:
    def degrees(km: float) -> float:
        return km / great_circle_km(0.0, 0.0, 1.0, 0.0)

    gold = [gold_article([(0, 5), (10, 14)])]
    predicted = [prediction([mention(0, 5, degrees(160.99), 0.0), mention(10, 14, degrees(161.01), 0.0)])]
    assert score_corpus(gold, predicted).within_161 == 1
    assert CorpusScore(errors_km=(161.0, 161.0000001)).within_161 == 1


# --- error records ----------------------------------------------------------------------------------------


def test_error_records_kinds_spans_and_coordinates() -> None:
    gold, predicted = resolution_case()
    predicted[0]["mentions"].append(mention(76, 80))  # "Beta" of the second copy: a false alarm
    records = list(error_records(gold, predicted))
    assert [(r["kind"], r["start"], r["end"], r["text"]) for r in records] == [
        ("far", 18, 23, "Gamma"),
        ("far", 30, 35, "Delta"),
        ("unresolved", 37, 44, "Epsilon"),
        ("miss", 49, 53, "Zeta"),
        ("miss", 66, 71, "Alpha"),
        ("false_alarm", 76, 80, "Beta"),
    ]
    far = records[1]
    assert far["article"] == "a"
    assert far["error_km"] == pytest.approx(10 * KM_PER_DEGREE, abs=0.1)
    assert (far["gold"]["lat"], far["predicted"]["lat"]) == (0.0, 10.0)
    assert records[2]["predicted"]["lat"] is None and records[2]["error_km"] is None
    assert records[3]["predicted"] is None and records[5]["gold"] is None
    assert "[[Delta]]" in far["context"]
    assert far["context"].startswith("Alpha met Beta") and len(far["context"]) <= 5 + 2 * 80 + 4
    json.dumps(records)  # JSON-ready
    wide = [r["kind"] for r in error_records(gold, predicted, far_km=1000.0)]
    assert wide.count("far") == 1


def test_context_is_cut_to_about_80_characters_each_side() -> None:
    gold = [gold_article([(84, 89)], [(0.0, 0.0)])]
    (record,) = error_records(gold, [prediction([])])
    left, rest = record["context"].split("[[")
    inside, right = rest.split("]]")
    assert inside == TEXT[84:89] == "Gamma"
    assert len(left) <= 80 and len(right) <= 80 and len(left) >= 75 and len(right) >= 75


# --- properties -----------------------------------------------------------------------------------------

spans = st.lists(st.tuples(st.integers(0, 150), st.integers(1, 12)), max_size=12).map(
    lambda pairs: sorted({(s, min(s + n, len(TEXT))) for s, n in pairs})
)


@given(gold_spans=spans, predicted_spans=spans)
def test_figures_stay_consistent(
    gold_spans: list[tuple[int, int]], predicted_spans: list[tuple[int, int]]
) -> None:
    gold = [gold_article(gold_spans)]
    predicted = [prediction([mention(s, e, 1.0, 0.0) for s, e in predicted_spans])]
    score = score_corpus(gold, predicted)
    assert score.exact_matched <= score.overlap_matched <= min(score.gold, score.predicted)
    for figure in (score.exact_f1, score.overlap_f1, score.overlap_precision, score.acc161_end_to_end):
        assert figure is None or 0.0 <= figure <= 1.0
    kinds = [r["kind"] for r in error_records(gold, predicted)]
    assert kinds.count("miss") == score.gold - score.overlap_matched
    assert kinds.count("false_alarm") == score.predicted - score.overlap_matched


@given(gold_spans=spans)
def test_a_perfect_prediction_scores_perfectly(gold_spans: list[tuple[int, int]]) -> None:
    gold = [gold_article(gold_spans)]
    score = score_corpus(gold, [prediction([mention(s, e) for s, e in gold_spans])])
    if gold_spans:
        assert score.exact_f1 == score.overlap_f1 == score.acc161_end_to_end == 1.0
        assert score.auc == 0.0
    assert list(error_records(gold, [prediction([mention(s, e) for s, e in gold_spans])])) == []


# --- reading and printing ---------------------------------------------------------------------------------


def test_load_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "a", "text": "é"}\n\n{"id": "b"}\n', encoding="utf-8")
    assert load_jsonl(path) == [{"id": "a", "text": "é"}, {"id": "b"}]
    path.write_text('{"id": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"gold\.jsonl:2"):
        load_jsonl(path)
    path.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r":1: expected a JSON object"):
        load_jsonl(path)
    with pytest.raises(InputError, match="cannot read"):
        load_jsonl(tmp_path / "absent.jsonl")


def row(table: str, label: str) -> list[str]:
    (line,) = [line for line in table.splitlines() if line.startswith(label + " ")]
    return line[len(label) :].split()


def test_format_scores_table() -> None:
    scores = {"resolving": score_corpus(*resolution_case()), "empty": CorpusScore()}
    table = format_scores(scores)
    assert table.splitlines()[0].split() == ["resolving", "empty"]
    assert row(table, "Acc@161 (resolved)") == ["0.500", "n/a"]
    assert row(table, "Acc@161 (recognised)") == ["0.400", "n/a"]
    assert row(table, "Acc@161 (end-to-end)") == ["0.333", "n/a"]
    assert row(table, "gold toponyms") == ["8", "0"]
    assert row(table, "overlap span R") == [f"{6 / 8:.3f}", "n/a"]
    assert row(table, "median error km") == [f"{1.5 * KM_PER_DEGREE:.1f}", "n/a"]
    assert "dropped" in table and "WARNING" not in table


def test_format_scores_warns_about_missing_articles_and_bad_offsets() -> None:
    table = format_scores({"c": CorpusScore(articles=2, articles_missing=1, misaligned=3)})
    assert "WARNING c: 3 predicted offsets" in table and "WARNING c: 1 gold articles" in table


def test_as_dict_is_json_ready() -> None:
    data = score_corpus(*resolution_case()).as_dict()
    assert data["acc161_recognised"] == pytest.approx(0.4) and data["gold"] == 8
    assert "errors_km" not in data
    json.dumps(data)


def test_resolutions_beyond_1500_km_are_counted() -> None:
    near, far, very_far = (0.0, 1.0), (0.0, 10.0), (0.0, 20.0)  # ~111 km, ~1,112 km, ~2,224 km from (0, 0)
    gold = [gold_article([(0, 5), (10, 14), (18, 23)])]
    predicted = [{"id": "a", "mentions": [mention(0, 5, *near), mention(10, 14, *far), mention(18, 23, *very_far)]}]
    score = score_corpus(gold, predicted)
    assert (score.resolved, score.far, score.way_off) == (3, 2, 1)
    assert score.way_off_share == pytest.approx(1 / 3)
    assert "beyond 1,500 km" in format_scores({"t": score})


def test_given_spans_leave_the_recognition_figures_out() -> None:
    gold = [gold_article([(0, 5)])]
    score = score_corpus(gold, [{"id": "a", "mentions": [mention(0, 5)]}], spans_given=True)
    assert score.overlap_f1 is None and score.exact_precision is None
    assert score.acc161_resolved == 1.0
    assert "overlap span F1" in format_scores({"t": score}) and "n/a" in format_scores({"t": score})
