"""Point-in-polygon lookup: which squad (or grid cell) covers a WGS-84 point.

Areas are GeoJSON Polygon/MultiPolygon geometries in WGS-84 lng/lat. Lookups
go through an STRtree over prepared shapely geometries, so they stay fast for
thousands of areas with detailed boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from domain.geo.coords import LngLat

__all__ = ["Area", "Locator", "areas_from_feature_collection", "parse_geometry"]

_ALLOWED_TYPES = frozenset({"Polygon", "MultiPolygon"})


class Area(msgspec.Struct, frozen=True):
    """A named jurisdiction (squad area or grid cell) with its GeoJSON geometry."""

    id: int
    code: str
    geometry: dict[str, Any]


def parse_geometry(obj: dict[str, Any]) -> BaseGeometry:
    """Parse a GeoJSON Polygon/MultiPolygon geometry into a valid shapely geometry.

    Raises ValueError for other geometry types, empty or invalid geometry. Invalid
    input is rejected rather than repaired: silently "fixing" a boundary could
    move responsibility for a street to another squad.
    """
    geom_type = obj.get("type") if isinstance(obj, dict) else None
    if geom_type not in _ALLOWED_TYPES:
        raise ValueError(f"geometry must be a GeoJSON Polygon or MultiPolygon, got {geom_type!r}")
    try:
        geom = shape(obj)
    except (KeyError, TypeError, ValueError, GEOSException) as exc:
        raise ValueError(f"malformed {geom_type} geometry: {exc}") from exc
    if geom.is_empty:
        raise ValueError(f"{geom_type} geometry is empty")
    if not geom.is_valid:
        raise ValueError(f"invalid {geom_type} geometry: {shapely.is_valid_reason(geom)}")
    return geom


def areas_from_feature_collection(
    fc: dict[str, Any], id_prop: str = "id", code_prop: str = "code"
) -> list[Area]:
    """Build Areas from a GeoJSON FeatureCollection.

    The id is taken from ``properties[id_prop]``, falling back to the feature's
    top-level ``id`` and finally to its 1-based position, so seed files without
    database ids still load. Geometries are validated here to fail early.
    """
    if fc.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    areas: list[Area] = []
    for position, feature in enumerate(fc.get("features", []), start=1):
        props = feature.get("properties") or {}
        if code_prop not in props:
            raise ValueError(f"feature #{position} has no {code_prop!r} property")
        raw_id = props.get(id_prop, feature.get("id", position))
        geometry = feature.get("geometry") or {}
        parse_geometry(geometry)
        areas.append(Area(id=int(raw_id), code=str(props[code_prop]), geometry=geometry))
    return areas


class Locator:
    """Finds the area covering a point; boundaries count as inside.

    When several areas cover a point (nested or overlapping data) the smallest
    one wins, ties broken by the lowest id, so results never depend on input
    order.
    """

    def __init__(self, areas: Iterable[Area]) -> None:
        self._areas: tuple[Area, ...] = tuple(areas)
        self._tree = shapely.STRtree([self._parse(area) for area in self._areas])
        # The tree keeps its own geometry array; preparing it in place speeds up
        # every covers() test below.
        self._geoms = self._tree.geometries
        shapely.prepare(self._geoms)
        self._rank: list[tuple[float, int]] = [
            (size, area.id)
            for size, area in zip(shapely.area(self._geoms).tolist(), self._areas, strict=True)
        ]

    @staticmethod
    def _parse(area: Area) -> BaseGeometry:
        try:
            return parse_geometry(area.geometry)
        except ValueError as exc:
            raise ValueError(f"area id={area.id} code={area.code!r}: {exc}") from exc

    def __len__(self) -> int:
        return len(self._areas)

    def locate(self, point: LngLat) -> Area | None:
        """Return the area covering ``point`` (WGS-84), or None if there is none."""
        return self.locate_many([point])[0]

    def locate_many(self, points: Sequence[LngLat]) -> list[Area | None]:
        """Vectorised ``locate``: one result per input point, in order."""
        if not points or not self._areas:
            return [None] * len(points)
        pts = shapely.points([(p.lng, p.lat) for p in points])
        # Bbox query then a vectorised covers() on the prepared polygons: the tree's
        # own predicate="covered_by" prepares the *points* instead, which is
        # ~40x slower for detailed boundaries.
        point_idx, area_idx = self._tree.query(pts)
        hit = shapely.covers(self._geoms[area_idx], pts[point_idx])
        best: dict[int, int] = {}
        for p, a in zip(point_idx[hit].tolist(), area_idx[hit].tolist(), strict=True):
            if p not in best or self._rank[a] < self._rank[best[p]]:
                best[p] = a
        return [self._areas[best[i]] if i in best else None for i in range(len(points))]
