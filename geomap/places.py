"""Mentions grouped into places: the map's points and the GeoJSON export's features. Standard library only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from geomap.models import Article, ArticleResult, Place, Resolution


@dataclass(frozen=True)
class ArticleRef:
    """One article's share of a place: the resolutions in it that point at the place, in text order."""

    article: Article
    resolutions: tuple[Resolution, ...]

    @property
    def mentions(self) -> int:
        return len(self.resolutions)


@dataclass(frozen=True)
class PlacePoint:
    """One map point: a place and the articles mentioning it, most mentions first."""

    place: Place
    articles: tuple[ArticleRef, ...]

    @property
    def mentions(self) -> int:
        return sum(ref.mentions for ref in self.articles)

    @property
    def weakest(self) -> Resolution:
        """The lowest-scoring resolution of any mention of this place."""
        return min((r for ref in self.articles for r in ref.resolutions), key=lambda r: r.score)


def unique_results(results: Iterable[ArticleResult]) -> list[ArticleResult]:
    """Results with distinct article ids, first occurrence wins (each id gets one reader view)."""
    seen: set[str] = set()
    out = []
    for result in results:
        if result.article.id not in seen:
            seen.add(result.article.id)
            out.append(result)
    return out


def aggregate(results: Sequence[ArticleResult]) -> list[PlacePoint]:
    """One point per `Place.id`, most-mentioned places first."""
    places: dict[str, Place] = {}
    by_place: dict[str, dict[str, list[Resolution]]] = {}
    articles: dict[str, Article] = {}
    for result in unique_results(results):
        articles[result.article.id] = result.article
        for res in result.resolved:
            assert res.place is not None
            places.setdefault(res.place.id, res.place)
            by_place.setdefault(res.place.id, {}).setdefault(result.article.id, []).append(res)
    points = [_point(places[pid], per_article, articles) for pid, per_article in by_place.items()]
    points.sort(key=lambda p: (-len(p.articles), -p.mentions, p.place.name, p.place.id))
    return points


def _point(place: Place, per_article: dict[str, list[Resolution]], articles: dict[str, Article]) -> PlacePoint:
    refs = [
        ArticleRef(articles[aid], tuple(sorted(res, key=lambda r: r.mention.start))) for aid, res in per_article.items()
    ]
    refs.sort(key=lambda ref: -ref.mentions)  # stable: ties keep input order
    return PlacePoint(place, tuple(refs))


def drawable(place: Place) -> bool:
    """Whether the place has coordinates Leaflet can draw."""
    return -90.0 <= place.lat <= 90.0 and -180.0 <= place.lon <= 180.0  # also False for NaN
