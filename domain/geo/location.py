"""A point as clients send and receive it: longitude, latitude and coordinate system."""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

from domain.errors import InvalidInput
from domain.geo.coords import CoordType, LngLat, from_wgs84, to_wgs84

LOCATION_INVALID = "location_invalid"


class LocationInvalid(InvalidInput):
    """A point that is not on the Earth: not finite, out of range, or out of range once
    converted to WGS-84 (a BD-09 point at the pole).

    Deliberately not a ``ValueError``: msgspec would turn that into a generic validation
    error while decoding a body; an ``AppError`` passes through and keeps its code.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(LOCATION_INVALID, detail)


def _on_earth(lng: float, lat: float) -> bool:
    return math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90


def check_wgs84(point: LngLat) -> LngLat:
    """``point`` when it is a valid WGS-84 position, else :class:`LocationInvalid`."""
    if not _on_earth(point.lng, point.lat):
        raise LocationInvalid("the point is outside lng [-180, 180] / lat [-90, 90] in WGS-84")
    return point


class Location(msgspec.Struct, frozen=True):
    """A point with its coordinate system: WGS-84, GCJ-02 (WeChat, AMap) or BD-09 (Baidu).

    Every instance is a finite point in range, however it is made (decoded from a body,
    built from query parameters). Its WGS-84 image, the datum we store, is checked where
    it is taken (``to_wgs84``): an answer in BD-09 near a pole may have no valid WGS-84
    preimage, yet must still be a Location, so that check cannot live here.
    """

    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    coord_type: CoordType = CoordType.wgs84

    def __post_init__(self) -> None:
        if not _on_earth(self.lng, self.lat):
            raise LocationInvalid(
                f"lng must be in [-180, 180] and lat in [-90, 90] ({self.coord_type})"
            )

    @classmethod
    def parse_pair(cls, text: str, coord_type: CoordType = CoordType.wgs84) -> Location:
        """A ``lng,lat`` query value (``near=``), or :class:`LocationInvalid`."""
        lng, comma, lat = text.partition(",")
        try:
            if not comma:
                raise ValueError(text)
            return cls(float(lng), float(lat), coord_type)
        except ValueError as exc:
            raise LocationInvalid("expected `lng,lat` as two decimal numbers") from exc

    def to_wgs84(self) -> LngLat:
        """The point in WGS-84, the datum we store; :class:`LocationInvalid` when the
        conversion leaves the Earth (BD-09 near a pole or the antimeridian)."""
        return check_wgs84(to_wgs84(LngLat(self.lng, self.lat), self.coord_type))

    @classmethod
    def from_wgs84(
        cls, lng: float, lat: float, coord_type: CoordType = CoordType.wgs84
    ) -> Location:
        """A stored WGS-84 point expressed in ``coord_type``.

        BD-09's offset can push a point next to a pole or the antimeridian just past the
        range; it is clamped, since an answer must always be a valid Location.
        """
        p = from_wgs84(LngLat(lng, lat), coord_type)
        return cls(
            round(min(180.0, max(-180.0, p.lng)), 7),
            round(min(90.0, max(-90.0, p.lat)), 7),
            coord_type,
        )

    def expressed_in(self, coord_type: CoordType) -> Location:
        """This point in another coordinate system."""
        if coord_type is self.coord_type:
            return self
        p = self.to_wgs84()
        return Location.from_wgs84(p.lng, p.lat, coord_type)
