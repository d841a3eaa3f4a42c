"""A point as clients send and receive it: longitude, latitude and coordinate system."""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.geo.coords import CoordType, LngLat, from_wgs84, to_wgs84


class Location(msgspec.Struct, frozen=True):
    """A point with its coordinate system: WGS-84, GCJ-02 (WeChat, AMap) or BD-09 (Baidu)."""

    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    coord_type: CoordType = CoordType.wgs84

    def to_wgs84(self) -> LngLat:
        return to_wgs84(LngLat(self.lng, self.lat), self.coord_type)

    @classmethod
    def from_wgs84(
        cls, lng: float, lat: float, coord_type: CoordType = CoordType.wgs84
    ) -> Location:
        p = from_wgs84(LngLat(lng, lat), coord_type)
        return cls(round(p.lng, 7), round(p.lat, 7), coord_type)
