"""Distances on the Earth, shared by resolution, the gazetteer and evaluation. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")

EARTH_RADIUS_KM = 6371.009  # mean radius, as geopy's great_circle uses


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance along the Earth's surface, by the haversine formula on a sphere of mean radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class NearestIndex(Generic[K]):
    """Points on a grid of 1-degree cells, for "how far is the nearest other point" in about constant time.

    Rings of cells around the query point are searched outwards until no unsearched point could be nearer
    than the best found (or than `within_km`). The bound is exact: a point r cells away in latitude is at
    least r - 1 degrees of arc away, and one r cells away in longitude at least the arc to that meridian,
    asin(cos(lat) * sin(r - 1 degrees)); so the answer is the true nearest distance, as a full scan gives.
    """

    def __init__(self, points: Iterable[tuple[float, float, K]]) -> None:
        self._cells: dict[tuple[int, int], list[tuple[float, float, K]]] = {}
        for lat, lon, key in points:
            self._cells.setdefault(_cell(lat, lon), []).append((lat, lon, key))

    def nearest_km(self, lat: float, lon: float, *, within_km: float, skip: K | None = None) -> float | None:
        """Distance to the nearest point whose key is not `skip`, if one lies within `within_km`."""
        row, col = _cell(lat, lon)
        best = math.inf
        for ring in range(MAX_RING + 1):
            for cell in _ring(row, col, ring):
                for plat, plon, key in self._cells.get(cell, ()):
                    if key != skip:
                        best = min(best, great_circle_km(lat, lon, plat, plon))
            if _beyond_km(lat, ring + 1) >= min(best, within_km):
                break
        return best if best <= within_km else None


MAX_RING = 180  # every cell of the grid lies within 180 rings of any other
_DEGREE_KM = math.radians(1.0) * EARTH_RADIUS_KM


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat), math.floor(lon) % 360


def _ring(row: int, col: int, ring: int) -> Iterator[tuple[int, int]]:
    """The cells exactly `ring` steps from (row, col) (longitude wraps around, latitude stops at the poles)."""
    for dr in range(-ring, ring + 1):
        r = row + dr
        if not -90 <= r <= 90:
            continue
        steps = range(-ring, ring + 1) if abs(dr) == ring else (-ring, ring) if ring else (0,)
        for dc in steps:
            yield r, (col + dc) % 360


def _beyond_km(lat: float, ring: int) -> float:
    """A lower bound on the distance from a point at `lat` to any point `ring` or more cells away."""
    if ring <= 1:
        return 0.0
    span = math.radians(min(ring - 1, 90))
    across = EARTH_RADIUS_KM * math.asin(min(1.0, math.cos(math.radians(lat)) * math.sin(span)))
    return min((ring - 1) * _DEGREE_KM, across)
