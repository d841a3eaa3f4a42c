"""Geography: coordinate systems used in China and point-to-area lookup."""

from domain.geo.coords import (
    CoordType,
    LngLat,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    in_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from domain.geo.location import Location, LocationInvalid
from domain.geo.locator import Area, Locator, areas_from_feature_collection, parse_geometry
from domain.geo.measure import area_m2

__all__ = [
    "Area",
    "CoordType",
    "LngLat",
    "Location",
    "LocationInvalid",
    "Locator",
    "area_m2",
    "areas_from_feature_collection",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_m",
    "in_china",
    "parse_geometry",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
