"""Machine-readable records for results: the JSON Lines of `geomap parse`, GeoJSON and CSV.

The field names here are a contract (scripts and `geomap eval` read them): extend, never rename.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

from geomap.models import ArticleResult, Place, Resolution

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


def mentions_geojson(results: Sequence[ArticleResult]) -> dict[str, Any]:
    """A FeatureCollection with one Point per resolved mention."""
    features = []
    for result in results:
        for r in result.resolved:
            assert r.place is not None
            props = {"article_id": result.article.id, "title": result.article.title, **mention_record(r)}
            props.pop("alternatives")
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [r.place.lon, r.place.lat]},
                    "properties": props,
                }
            )
    return {"type": "FeatureCollection", "features": features}


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


def write_mentions_csv(results: Sequence[ArticleResult], out: TextIO) -> int:
    """The CSV of `parse --format csv` written at once: a header, then a row per mention. Returns the rows."""
    writer = csv.DictWriter(out, fieldnames=list(CSV_FIELDS), extrasaction="ignore")
    writer.writeheader()
    rows = mention_rows(results)
    writer.writerows(rows)
    return len(rows)


class StreamWriter:
    """`geomap parse` output written as results arrive: JSON Lines, a GeoJSON FeatureCollection of the resolved
    mentions, or CSV rows; the same bytes as the whole document written at once."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        if fmt not in ("jsonl", "geojson", "csv"):
            raise ValueError(f"no output format {fmt!r}")
        self.out = out
        self.fmt = fmt
        self.started = False
        self._features = 0
        self._csv = csv.DictWriter(out, fieldnames=list(CSV_FIELDS), extrasaction="ignore")

    def write(self, result: ArticleResult) -> None:
        if not self.started:
            self._start()
        if self.fmt == "jsonl":
            self.out.write(json.dumps(article_record(result), ensure_ascii=False) + "\n")
        elif self.fmt == "geojson":
            for feature in mentions_geojson([result])["features"]:
                self.out.write((", " if self._features else "") + json.dumps(feature, ensure_ascii=False))
                self._features += 1
        else:
            self._csv.writerows(mention_rows([result]))

    def _start(self) -> None:
        self.started = True
        if self.fmt == "geojson":
            self.out.write('{"type": "FeatureCollection", "features": [')
        elif self.fmt == "csv":
            self._csv.writeheader()

    def close(self) -> None:
        if not self.started:
            self._start()
        if self.fmt == "geojson":
            self.out.write("]}\n")


def place_line(rank: int, place: Place) -> str:
    pop = f", pop. {place.population}" if place.population else ""
    return f"{rank}. {place.label}  ({place.lat:.5f}, {place.lon:.5f})  {place.feature}{pop}  {place.id}"
