"""Where a named area is, as one point: what a typed-address lookup answers for a street
block or a grid cell (an officer who picks it reports from there)."""

from __future__ import annotations

from typing import Any

from shapely.geometry import Polygon

from domain.geo.coords import LngLat
from domain.geo.locator import parse_geometry


def _inside(polygon: Any) -> LngLat:
    # The representative point lies inside the area (a centroid may not: an L-shaped block).
    p = polygon.representative_point()
    return LngLat(round(p.x, 7), round(p.y, 7))


def point_of_geometry(geometry: dict[str, Any]) -> LngLat:
    """A point inside a GeoJSON Polygon/MultiPolygon (a grid cell's boundary)."""
    return _inside(parse_geometry(geometry))


def point_of_ring(points: list[list[float]] | list[tuple[float, float]]) -> LngLat:
    """A point inside a ring of ``[lng, lat]`` points (a street block's polygon)."""
    return _inside(Polygon([(float(lng), float(lat)) for lng, lat in points]))
