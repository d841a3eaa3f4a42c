"""Location: every instance is a point on the Earth, in its own datum and in WGS-84."""

from __future__ import annotations

import math

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.geo import CoordType, Location, LocationInvalid


@pytest.mark.parametrize(
    ("lng", "lat", "coord_type"),
    [
        (5e16, 31.0, CoordType.wgs84),
        (math.nan, 31.0, CoordType.wgs84),
        (121.0, math.inf, CoordType.gcj02),
        (10.0, -90.0, CoordType.bd09),  # -90.006 once in WGS-84
        (-180.0, 0.0, CoordType.bd09),  # -180.0065 once in WGS-84
    ],
)
def test_points_off_the_earth_are_refused(lng: float, lat: float, coord_type: CoordType) -> None:
    with pytest.raises(LocationInvalid) as caught:
        Location(lng, lat, coord_type).to_wgs84()
    assert caught.value.code == "location_invalid"


def test_a_decoded_body_is_checked_in_range_and_again_in_wgs84() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"lng": 121, "lat": math.nan}, Location)
    pole = msgspec.convert({"lng": 10, "lat": -90, "coord_type": "bd09"}, Location)
    with pytest.raises(LocationInvalid):
        pole.to_wgs84()


@given(st.floats(-180, 180), st.floats(-90, 90), st.sampled_from(list(CoordType)))
def test_every_stored_point_reads_back_in_every_datum(
    lng: float, lat: float, coord_type: CoordType
) -> None:
    # Whatever WGS-84 point is stored, each datum's answer is a valid Location.
    shown = Location.from_wgs84(lng, lat, coord_type)
    assert shown.coord_type is coord_type


def test_parse_pair() -> None:
    assert Location.parse_pair("121.4,31.1") == Location(121.4, 31.1)
    for text in ("1.2.3,4", "121.4", "a,b", "500,31"):
        with pytest.raises(LocationInvalid):
            Location.parse_pair(text)
