"""Measurements on small WGS-84 polygons (a squad or smaller)."""

from __future__ import annotations

import math
from typing import Any

import shapely

from domain.geo.locator import parse_geometry

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LNG_EQUATOR = 111_320.0


def area_m2(geometry: dict[str, Any]) -> float:
    """Area in square metres, on a local equirectangular projection (error well under 1 %
    for polygons a few kilometres across, which is all a district has)."""
    shape = parse_geometry(geometry)
    lat0 = math.radians(shapely.centroid(shape).y)
    kx = _M_PER_DEG_LNG_EQUATOR * math.cos(lat0)
    projected = shapely.transform(shape, lambda coords: coords * (kx, _M_PER_DEG_LAT))
    return float(projected.area)
