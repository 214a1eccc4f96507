"""Distances on the Earth, shared by resolution, the gazetteer and evaluation. Standard library only."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
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
    """Points on the sphere, for "how far is the nearest other point" in logarithmic time.

    A k-d tree over the points' unit vectors: the straight-line (chord) distance between two unit vectors
    grows with the distance along the surface, so the nearest point by chord is the nearest on the Earth, and
    a subtree whose box lies farther than the best chord so far cannot hold a nearer one. The distance returned
    is `great_circle_km` of the point found, the very figure a scan over every point would give.
    """

    def __init__(self, points: Iterable[tuple[float, float, K]]) -> None:
        self._points = [(_unit(lat, lon), lat, lon, key) for lat, lon, key in points]
        self._root = _build(list(range(len(self._points))), self._points)

    def __len__(self) -> int:
        return len(self._points)

    def nearest_km(self, lat: float, lon: float, *, within_km: float, skip: Collection[K] = ()) -> float | None:
        """Distance to the nearest point whose key is not in `skip`, if one lies within `within_km`."""
        if not self._points:
            return None
        query = _unit(lat, lon)
        limit = _chord(min(within_km, math.pi * EARTH_RADIUS_KM))
        best, found = limit * limit * (1 + 1e-9), -1
        stack = [self._root]
        while stack:
            node = stack.pop()
            if isinstance(node, list):  # a leaf: its points' indexes
                for i in node:
                    vec, _, _, key = self._points[i]
                    d2 = (vec[0] - query[0]) ** 2 + (vec[1] - query[1]) ** 2 + (vec[2] - query[2]) ** 2
                    if d2 <= best and key not in skip:
                        best, found = d2, i
                continue
            axis, split, below, above = node
            gap = query[axis] - split
            near, far = (below, above) if gap < 0 else (above, below)
            if gap * gap <= best:
                stack.append(far)
            stack.append(near)
        if found < 0:
            return None
        _, plat, plon, _ = self._points[found]
        distance = great_circle_km(lat, lon, plat, plon)
        return distance if distance <= within_km else None


K_LEAF = 8  # points per leaf of the k-d tree
_Node = list[int] | tuple[int, float, "_Node", "_Node"]


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lmb = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lmb), math.cos(phi) * math.sin(lmb), math.sin(phi))


def _chord(km: float) -> float:
    """The straight-line distance between two points of the unit sphere `km` apart along the surface."""
    return 2 * math.sin(km / EARTH_RADIUS_KM / 2)


def _build(indexes: list[int], points: list[tuple[tuple[float, float, float], float, float, K]]) -> _Node:
    if len(indexes) <= K_LEAF:
        return indexes
    spreads = [max(points[i][0][a] for i in indexes) - min(points[i][0][a] for i in indexes) for a in range(3)]
    axis = spreads.index(max(spreads))
    indexes.sort(key=lambda i: points[i][0][axis])
    middle = len(indexes) // 2
    split = points[indexes[middle]][0][axis]
    return (axis, split, _build(indexes[:middle], points), _build(indexes[middle:], points))
