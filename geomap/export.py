"""Every machine-readable output, for `geomap parse` and `geomap map` alike: the JSON Lines of `parse`, one
GeoJSON shape (a Point per place, with the articles that mention it and each mention), and one CSV layout (a
row per mention, cells a spreadsheet would run as formulas defused).

The field names here are a contract (scripts and `geomap eval` read them): extend, never rename.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from geomap.models import ArticleResult, Place, Resolution
from geomap.outputs import write_text_atomic
from geomap.places import PlacePoint, aggregate, drawable, unique_results

DEFAULT_ATTRIBUTION = "Contains data from GeoNames (CC BY 4.0), Natural Earth (public domain)"

CSV_FIELDS = (
    "article_id",
    "title",
    "source",
    "url",
    "date",
    "start",
    "end",
    "text",
    "kind",
    "name",
    "lat",
    "lon",
    "country_code",
    "country",
    "admin1",
    "feature",
    "place_id",
    "score",
    "sentence",
    "label",
    "reason",
    "alternatives",
)  # one layout for every CSV geomap writes (`parse --format csv`, `map --csv`)


def place_record(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "lat": place.lat,
        "lon": place.lon,
        "feature": place.feature,
        "feature_code": place.feature_code,
        "country_code": place.country_code,
        "country": place.country,
        "admin1": place.admin1,
        "population": place.population,
        "id": place.id,
        "source": place.source,
    }


def mention_record(r: Resolution) -> dict[str, Any]:
    m, p = r.mention, r.place
    return {
        "start": m.start,
        "end": m.end,
        "text": m.text,
        "kind": m.kind,
        "label": m.label,
        "name": p.name if p else None,
        "lat": p.lat if p else None,
        "lon": p.lon if p else None,
        "country_code": p.country_code if p else None,
        "country": p.country if p else None,
        "admin1": p.admin1 if p else None,
        "feature": p.feature if p else None,
        "place_id": p.id if p else None,
        "score": r.score,
        "reason": r.reason,
        "alternatives": [{"id": a.id, "name": a.label, "lat": a.lat, "lon": a.lon} for a in r.alternatives],
    }


def article_record(result: ArticleResult) -> dict[str, Any]:
    a = result.article
    record: dict[str, Any] = {"id": a.id, "title": a.title, "source": a.source}
    if a.url:
        record["url"] = a.url
    if a.date:
        record["date"] = a.date
    if a.language:
        record["language"] = a.language
    if a.also_sources:
        record["also_sources"] = list(a.also_sources)
    record["mentions"] = [mention_record(r) for r in result.resolutions]
    return record


def places_geojson(results: Sequence[ArticleResult]) -> dict[str, Any]:
    """A FeatureCollection with one Point per place that has coordinates (as on the map), most articles first:
    the place's fields, how many articles and mentions, the lowest score, and each article with its mentions."""
    features = [_feature(p) for p in aggregate(results) if drawable(p.place)]
    return {"type": "FeatureCollection", "attribution": DEFAULT_ATTRIBUTION, "features": features}


def _feature(point: PlacePoint) -> dict[str, object]:
    place = point.place
    articles = [
        {
            "id": ref.article.id,
            "title": ref.article.title,
            "url": ref.article.url,
            "date": ref.article.date,
            "mentions": ref.mentions,
            "mention_list": [
                {
                    "text": r.mention.text,
                    "start": r.mention.start,
                    "end": r.mention.end,
                    "sentence": r.mention.sentence,
                    "score": r.score,
                }
                for r in ref.resolutions
            ],
        }
        for ref in point.articles
    ]
    return {
        "type": "Feature",
        "id": place.id,
        "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
        "properties": {
            "id": place.id,
            "name": place.name,
            "feature": place.feature,
            "feature_code": place.feature_code,
            "country": place.country,
            "country_code": place.country_code,
            "admin1": place.admin1,
            "source": place.source,
            "articles": len(point.articles),
            "mentions": point.mentions,
            "min_score": round(point.weakest.score, 4),
            "article_list": articles,
        },
    }


def write_geojson(results: Sequence[ArticleResult], path: Path) -> int:
    """`places_geojson` written to a file. Returns the feature count."""
    collection = places_geojson(results)
    write_text_atomic(Path(path), json.dumps(collection, ensure_ascii=False, indent=1, allow_nan=False) + "\n")
    return len(collection["features"])


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text from articles starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe, so "=HYPERLINK(...)" in a title stays text. Numbers pass as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def mention_rows(results: Sequence[ArticleResult]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        a = result.article
        for r in result.resolutions:
            rec = mention_record(r)
            rows.append(
                {
                    "article_id": a.id,
                    "title": a.title,
                    "source": a.source,
                    "url": a.url or "",
                    "date": a.date or "",
                    "sentence": r.mention.sentence,
                    **{k: ("" if rec.get(k) is None else rec[k]) for k in CSV_FIELDS if k in rec},
                    "alternatives": ";".join(alt.id for alt in r.alternatives),
                }
            )
    return [{k: csv_cell(v) for k, v in row.items()} for row in rows]


def write_csv(results: Sequence[ArticleResult], path: Path) -> int:
    """One row per mention, resolved or not, in the layout of `geomap parse --format csv`. Returns the rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS), extrasaction="ignore")
    writer.writeheader()
    rows = mention_rows(unique_results(results))
    writer.writerows(rows)
    write_text_atomic(Path(path), buffer.getvalue())
    return len(rows)


class StreamWriter:
    """`geomap parse` output written as results arrive: JSON Lines or CSV rows at once; GeoJSON (a feature per
    place, which needs every article) when the run ends, from results kept without their text."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        if fmt not in ("jsonl", "geojson", "csv"):
            raise ValueError(f"no output format {fmt!r}")
        self.out = out
        self.fmt = fmt
        self.started = False
        self._kept: list[ArticleResult] = []  # for GeoJSON: the results, without the articles' text
        self._csv = csv.DictWriter(out, fieldnames=list(CSV_FIELDS), extrasaction="ignore")

    def write(self, result: ArticleResult) -> None:
        if not self.started:
            self._start()
        if self.fmt == "jsonl":
            self.out.write(json.dumps(article_record(result), ensure_ascii=False) + "\n")
        elif self.fmt == "geojson":
            self._kept.append(ArticleResult(replace(result.article, text=""), result.resolutions))
        else:
            self._csv.writerows(mention_rows([result]))

    def _start(self) -> None:
        self.started = True
        if self.fmt == "csv":
            self._csv.writeheader()

    def close(self) -> None:
        if not self.started:
            self._start()
        if self.fmt == "geojson":
            self.out.write(json.dumps(places_geojson(self._kept), ensure_ascii=False, allow_nan=False) + "\n")
