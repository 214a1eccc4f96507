"""Distances on the Earth, shared by resolution, the gazetteer and evaluation. Standard library only."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.009  # mean radius, as geopy's great_circle uses


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance along the Earth's surface, by the haversine formula on a sphere of mean radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
