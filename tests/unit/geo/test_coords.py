"""Tests for China coordinate-system conversions (WGS-84 / GCJ-02 / BD-09)."""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.geo import (
    CoordType,
    LngLat,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

Convert = Callable[[LngLat], LngLat]

# Published reference pairs for the input (116.404, 39.915), Tiananmen, Beijing,
# shared by the widely used coordtransform ports (Rust coordtransform_rs, hutool
# CoordinateUtil, Python coord_converter tests).
BEIJING = LngLat(116.404, 39.915)
FORWARD_REFERENCES = [
    (wgs84_to_gcj02, LngLat(116.41024449916938, 39.91640428150164)),
    (gcj02_to_bd09, LngLat(116.41036949371029, 39.92133699351021)),
    (wgs84_to_bd09, LngLat(116.41662724378733, 39.922699552216216)),
]
# Those ports use one-step approximate inverses, off by centimetres to metres; our
# refined inverses must land close to them, but not necessarily on them.
NAIVE_INVERSE_REFERENCES = [
    (bd09_to_gcj02, LngLat(116.39762729119315, 39.90865673957631)),
    (gcj02_to_wgs84, LngLat(116.39775550083061, 39.91359571849836)),
    (bd09_to_wgs84, LngLat(116.3913836995125, 39.907253214522164)),
]

shanghai = st.builds(
    LngLat,
    lng=st.floats(min_value=120.8, max_value=122.2),
    lat=st.floats(min_value=30.6, max_value=31.9),
)
outside_china = st.one_of(
    st.builds(LngLat, lng=st.floats(-180.0, 72.0), lat=st.floats(-90.0, 90.0)),
    st.builds(LngLat, lng=st.floats(137.9, 180.0), lat=st.floats(-90.0, 90.0)),
    st.builds(LngLat, lng=st.floats(72.0, 137.9), lat=st.floats(55.9, 90.0)),
    st.builds(LngLat, lng=st.floats(72.0, 137.9), lat=st.floats(-90.0, 0.8)),
)


@pytest.mark.parametrize(("convert", "expected"), FORWARD_REFERENCES)
def test_forward_formulas_match_published_values(convert: Convert, expected: LngLat):
    result = convert(BEIJING)
    assert result.lng == pytest.approx(expected.lng, abs=1e-9)
    assert result.lat == pytest.approx(expected.lat, abs=1e-9)


@pytest.mark.parametrize(("convert", "naive"), NAIVE_INVERSE_REFERENCES)
def test_iterative_inverse_is_near_published_naive_inverse(convert: Convert, naive: LngLat):
    assert haversine_m(convert(BEIJING), naive) < 1.0


def test_gcj02_inverse_matches_published_iterative_value():
    # gcoord (hujiulong/gcoord) unit test, also an iterative inverse, 5 decimals.
    result = gcj02_to_wgs84(LngLat(123.0, 45.0))
    assert result.lng == pytest.approx(122.99395597, abs=1e-5)
    assert result.lat == pytest.approx(44.99804071, abs=1e-5)


@pytest.mark.parametrize(
    ("inverse", "forward"), [(gcj02_to_wgs84, wgs84_to_gcj02), (bd09_to_gcj02, gcj02_to_bd09)]
)
def test_inverses_are_exact_where_naive_ones_are_not(inverse: Convert, forward: Convert):
    assert haversine_m(forward(inverse(BEIJING)), BEIJING) < 1e-3


@given(shanghai)
def test_gcj02_round_trip_within_5cm(point: LngLat):
    assert haversine_m(gcj02_to_wgs84(wgs84_to_gcj02(point)), point) < 0.05
    assert haversine_m(wgs84_to_gcj02(gcj02_to_wgs84(point)), point) < 0.05


@given(shanghai)
def test_bd09_round_trip_within_5cm(point: LngLat):
    assert haversine_m(bd09_to_wgs84(wgs84_to_bd09(point)), point) < 0.05
    assert haversine_m(bd09_to_gcj02(gcj02_to_bd09(point)), point) < 0.05


@given(shanghai)
def test_gcj02_offset_in_shanghai_is_hundreds_of_metres(point: LngLat):
    assert 100.0 < haversine_m(wgs84_to_gcj02(point), point) < 1000.0


@given(outside_china)
def test_gcj02_is_identity_outside_china(point: LngLat):
    assert wgs84_to_gcj02(point) == point
    assert gcj02_to_wgs84(point) == point


@pytest.mark.parametrize("coord_type", list(CoordType))
@given(point=shanghai)
def test_dispatch_round_trips(coord_type: CoordType, point: LngLat):
    assert haversine_m(to_wgs84(from_wgs84(point, coord_type), coord_type), point) < 0.05


def test_dispatch_uses_the_matching_conversion():
    assert to_wgs84(BEIJING, CoordType.wgs84) == BEIJING
    assert from_wgs84(BEIJING, CoordType.gcj02) == wgs84_to_gcj02(BEIJING)
    assert from_wgs84(BEIJING, CoordType.bd09) == wgs84_to_bd09(BEIJING)
    assert to_wgs84(BEIJING, CoordType.gcj02) == gcj02_to_wgs84(BEIJING)
    assert to_wgs84(BEIJING, CoordType("bd09")) == bd09_to_wgs84(BEIJING)


def test_haversine_known_distances():
    one_degree_of_latitude = 6371008.8 * math.pi / 180.0
    assert haversine_m(LngLat(121.0, 31.0), LngLat(121.0, 32.0)) == pytest.approx(
        one_degree_of_latitude
    )
    assert haversine_m(BEIJING, BEIJING) == 0.0
    # Shanghai People's Square to Beijing Tiananmen is roughly 1,067 km.
    assert 1_060_000 < haversine_m(LngLat(121.4737, 31.2304), BEIJING) < 1_075_000


def test_value_types_are_frozen_and_decodable():
    point = msgspec.json.decode(b'{"lng": 121.4, "lat": 31.1}', type=LngLat)
    assert point == LngLat(121.4, 31.1)
    with pytest.raises(AttributeError):
        point.lng = 0.0  # type: ignore[misc]
    assert CoordType("gcj02") is CoordType.gcj02
    assert str(CoordType.bd09) == "bd09"
