"""Coordinate systems used in China and conversions between them.

WGS-84 is the GPS datum; GCJ-02 ("Mars coordinates") is the legally mandated
obfuscated datum used by Amap/Tencent; BD-09 is Baidu's further offset of
GCJ-02. The formulas are the standard public ones (Krasovsky ellipsoid
constants). All functions are pure and work on degrees.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable

import msgspec

__all__ = [
    "CoordType",
    "LngLat",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_m",
    "in_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_EARTH_RADIUS_M = 6371008.8  # IUGG mean radius

# Stop refining an inverse once the forward image is this close (degrees, ~1e-4 m);
# the iteration bound keeps pathological inputs from looping forever.
_INVERSE_TOLERANCE_DEG = 1e-9
_INVERSE_MAX_ITERATIONS = 30


class CoordType(enum.StrEnum):
    """Datum a coordinate pair is expressed in."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"


class LngLat(msgspec.Struct, frozen=True):
    """A longitude/latitude pair in degrees (datum given by context)."""

    lng: float
    lat: float


def in_china(point: LngLat) -> bool:
    """Return True when the point is inside the rough China bounding box.

    Outside it GCJ-02 is defined to be identical to WGS-84.
    """
    return 72.004 <= point.lng <= 137.8347 and 0.8293 <= point.lat <= 55.8271


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _gcj02_offset(lng: float, lat: float) -> tuple[float, float]:
    """Return the (dlng, dlat) GCJ-02 offset in degrees at a WGS-84 point."""
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlng, dlat


def wgs84_to_gcj02(point: LngLat) -> LngLat:
    """Convert WGS-84 to GCJ-02 (identity outside China)."""
    if not in_china(point):
        return point
    dlng, dlat = _gcj02_offset(point.lng, point.lat)
    return LngLat(point.lng + dlng, point.lat + dlat)


def _refine_inverse(
    forward: Callable[[LngLat], LngLat], target: LngLat, estimate: LngLat
) -> LngLat:
    """Refine ``estimate`` until ``forward(estimate)`` matches ``target``.

    Fixed-point iteration: both offsets vary slowly (their Jacobian is close to
    the identity), so subtracting the residual converges in a few steps.
    """
    for _ in range(_INVERSE_MAX_ITERATIONS):
        image = forward(estimate)
        err_lng = image.lng - target.lng
        err_lat = image.lat - target.lat
        if abs(err_lng) < _INVERSE_TOLERANCE_DEG and abs(err_lat) < _INVERSE_TOLERANCE_DEG:
            break
        estimate = LngLat(estimate.lng - err_lng, estimate.lat - err_lat)
    return estimate


def gcj02_to_wgs84(point: LngLat) -> LngLat:
    """Convert GCJ-02 to WGS-84 (identity outside China).

    GCJ-02 has no closed-form inverse. The naive inverse (subtract the offset
    evaluated at the GCJ-02 point) is off by up to a few metres, so we start
    there and refine until the forward transform reproduces the input.
    """
    if not in_china(point):
        return point
    return _refine_inverse(wgs84_to_gcj02, point, point)


def gcj02_to_bd09(point: LngLat) -> LngLat:
    """Convert GCJ-02 to Baidu BD-09."""
    x, y = point.lng, point.lat
    z = math.sqrt(x * x + y * y) + 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) + 0.000003 * math.cos(x * _X_PI)
    return LngLat(z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006)


def _bd09_to_gcj02_approx(point: LngLat) -> LngLat:
    """The standard published BD-09 inverse; off by up to ~0.15 m."""
    x, y = point.lng - 0.0065, point.lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return LngLat(z * math.cos(theta), z * math.sin(theta))


def bd09_to_gcj02(point: LngLat) -> LngLat:
    """Convert Baidu BD-09 to GCJ-02.

    Starts from the standard approximate inverse and refines it, so round trips
    through BD-09 are millimetre-exact instead of decimetre-exact.
    """
    return _refine_inverse(gcj02_to_bd09, point, _bd09_to_gcj02_approx(point))


def wgs84_to_bd09(point: LngLat) -> LngLat:
    """Convert WGS-84 to Baidu BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(wgs84_to_gcj02(point))


def bd09_to_wgs84(point: LngLat) -> LngLat:
    """Convert Baidu BD-09 to WGS-84 (via GCJ-02)."""
    return gcj02_to_wgs84(bd09_to_gcj02(point))


def to_wgs84(point: LngLat, coord_type: CoordType) -> LngLat:
    """Convert a point expressed in ``coord_type`` to WGS-84."""
    match coord_type:
        case CoordType.wgs84:
            return point
        case CoordType.gcj02:
            return gcj02_to_wgs84(point)
        case CoordType.bd09:
            return bd09_to_wgs84(point)
    raise ValueError(f"unsupported coordinate type: {coord_type!r}")


def from_wgs84(point: LngLat, coord_type: CoordType) -> LngLat:
    """Convert a WGS-84 point to ``coord_type``."""
    match coord_type:
        case CoordType.wgs84:
            return point
        case CoordType.gcj02:
            return wgs84_to_gcj02(point)
        case CoordType.bd09:
            return wgs84_to_bd09(point)
    raise ValueError(f"unsupported coordinate type: {coord_type!r}")


def haversine_m(a: LngLat, b: LngLat) -> float:
    """Great-circle distance between two points, in metres (spherical Earth)."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2.0) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2.0) ** 2
    return 2.0 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
