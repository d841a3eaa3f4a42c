"""What a map client asks for: a bounding box in its coordinate system, and a zoom level
that sizes the grid on which many points are counted into clusters (点聚合)."""

from __future__ import annotations

import math

import msgspec

from domain.errors import InvalidInput
from domain.geo.coords import CoordType, LngLat, to_wgs84

BBOX_INVALID = "bbox_invalid"

# The range in which the Chinese datums differ from WGS-84 (and our district lies).
CHINA_LNG = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)
MAX_ZOOM = 20
# A cluster cell is a quarter of a 256-px web-map tile: about 64 px on the screen.
CELLS_PER_TILE = 4


class BBox(msgspec.Struct, frozen=True):
    """``min_lng, min_lat, max_lng, max_lat`` in degrees."""

    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        """A ``bbox=`` value: four decimal numbers, west,south,east,north, inside China's
        range, west < east and south < north; else 400 ``bbox_invalid``."""
        parts = text.split(",")
        try:
            if len(parts) != 4:
                raise ValueError(text)
            w, s, e, n = (float(p) for p in parts)
        except ValueError as exc:
            raise InvalidInput(BBOX_INVALID, "bbox is west,south,east,north in degrees") from exc
        if not all(math.isfinite(v) for v in (w, s, e, n)):
            raise InvalidInput(BBOX_INVALID, "bbox values must be finite")
        if not (w < e and s < n):
            raise InvalidInput(BBOX_INVALID, "bbox needs west < east and south < north")
        inside = CHINA_LNG[0] <= w and e <= CHINA_LNG[1] and CHINA_LAT[0] <= s and n <= CHINA_LAT[1]
        if not inside:
            raise InvalidInput(
                BBOX_INVALID, f"bbox must lie within lng {CHINA_LNG} and lat {CHINA_LAT}"
            )
        return cls(w, s, e, n)

    def to_wgs84(self, coord_type: CoordType) -> BBox:
        """The WGS-84 box holding this box of ``coord_type`` (its corners converted; the
        datum offsets vary so slowly that the edges stay straight to a few cm)."""
        if coord_type is CoordType.wgs84:
            return self
        corners = [
            to_wgs84(LngLat(lng, lat), coord_type)
            for lng in (self.min_lng, self.max_lng)
            for lat in (self.min_lat, self.max_lat)
        ]
        return BBox(
            min(c.lng for c in corners),
            min(c.lat for c in corners),
            max(c.lng for c in corners),
            max(c.lat for c in corners),
        )


CHINA = BBox(CHINA_LNG[0], CHINA_LAT[0], CHINA_LNG[1], CHINA_LAT[1])


def cluster_cell_deg(zoom: int) -> float:
    """The side of a cluster cell at ``zoom``, in degrees: a quarter tile (~64 px)."""
    return 360.0 / float(2**zoom) / CELLS_PER_TILE
