"""Tests for point -> squad / grid-cell lookup, including the demo seed data."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from domain.geo import (
    Area,
    LngLat,
    Locator,
    areas_from_feature_collection,
    haversine_m,
    parse_geometry,
)

SEED_DIR = Path(__file__).resolve().parents[3] / "storage" / "seed"


def square(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def area(area_id: int, geometry: dict[str, Any]) -> Area:
    return Area(id=area_id, code=f"A{area_id}", geometry=geometry)


def located_id(locator: Locator, lng: float, lat: float) -> int | None:
    found = locator.locate(LngLat(lng, lat))
    return None if found is None else found.id


# --- synthetic geometry -------------------------------------------------------


def test_nested_areas_smallest_wins_regardless_of_order():
    big, small = area(1, square(0, 0, 10, 10)), area(2, square(2, 2, 4, 4))
    for areas in ([big, small], [small, big]):
        locator = Locator(areas)
        assert located_id(locator, 3, 3) == 2
        assert located_id(locator, 2, 3) == 2  # on the inner boundary
        assert located_id(locator, 5, 5) == 1


def test_adjacent_areas_and_boundaries():
    locator = Locator([area(7, square(1, 0, 2, 1)), area(3, square(0, 0, 1, 1))])
    assert located_id(locator, 0.5, 0.5) == 3
    assert located_id(locator, 1.5, 0.5) == 7
    assert located_id(locator, 0, 0.5) == 3  # outer edge counts as inside
    assert located_id(locator, 2, 1) == 7  # corner counts as inside
    # Shared edge, equal areas: the lowest id wins, deterministically.
    assert located_id(locator, 1, 0.5) == 3


def test_point_outside_all_areas_is_none():
    locator = Locator([area(1, square(0, 0, 1, 1))])
    assert locator.locate(LngLat(5, 5)) is None
    assert locator.locate(LngLat(1.0000001, 0.5)) is None


def test_multipolygon_and_hole():
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(0, 0, 1, 1)["coordinates"], square(3, 0, 4, 1)["coordinates"]],
    }
    holed = {
        "type": "Polygon",
        "coordinates": [
            square(10, 0, 14, 4)["coordinates"][0],
            [[11, 1], [11, 3], [13, 3], [13, 1], [11, 1]],
        ],
    }
    locator = Locator([area(1, multi), area(2, holed)])
    assert located_id(locator, 3.5, 0.5) == 1
    assert located_id(locator, 0.5, 0.5) == 1
    assert located_id(locator, 2, 0.5) is None  # between the parts
    assert located_id(locator, 10.5, 0.5) == 2
    assert located_id(locator, 12, 2) is None  # inside the hole
    assert located_id(locator, 11, 2) == 2  # on the hole's edge


def test_locate_many_matches_locate_and_keeps_order():
    locator = Locator(
        [area(1, square(0, 0, 10, 10)), area(2, square(2, 2, 4, 4)), area(3, square(10, 0, 20, 10))]
    )
    points = [LngLat(x / 2, y / 2) for x, y in itertools.product(range(-2, 44), range(-2, 24))]
    assert locator.locate_many(points) == [locator.locate(p) for p in points]
    assert locator.locate_many([]) == []


def test_empty_locator():
    locator = Locator([])
    assert len(locator) == 0
    assert locator.locate(LngLat(0, 0)) is None
    assert locator.locate_many([LngLat(0, 0)]) == [None]


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "invalid",
        ),  # bow-tie
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "Polygon or MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
            "invalid",
        ),  # collapsed ring
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "malformed"),
        ({"type": "Polygon"}, "malformed"),
        ({"type": "Polygon", "coordinates": []}, "empty"),
        ({}, "Polygon or MultiPolygon"),
    ],
)
def test_invalid_geometry_rejected(geometry: dict[str, Any], message: str):
    with pytest.raises(ValueError, match=message):
        parse_geometry(geometry)
    with pytest.raises(ValueError, match="area id=9 code='A9'"):
        Locator([area(9, geometry)])


def test_areas_from_feature_collection():
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": 10, "code": "X"},
                "geometry": square(0, 0, 1, 1),
            },
            {
                "type": "Feature",
                "id": 20,
                "properties": {"code": "Y"},
                "geometry": square(1, 0, 2, 1),
            },
            {"type": "Feature", "properties": {"code": "Z"}, "geometry": square(2, 0, 3, 1)},
        ],
    }
    assert [(a.id, a.code) for a in areas_from_feature_collection(fc)] == [
        (10, "X"),
        (20, "Y"),
        (3, "Z"),
    ]
    with pytest.raises(ValueError, match="FeatureCollection"):
        areas_from_feature_collection({"type": "Feature"})
    fc["features"][0]["properties"] = {}
    with pytest.raises(ValueError, match="'code'"):
        areas_from_feature_collection(fc)


# --- demo seed data -----------------------------------------------------------


@pytest.fixture(scope="module")
def squads_fc() -> dict[str, Any]:
    return json.loads((SEED_DIR / "minhang_squads.geojson").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def grids_fc() -> dict[str, Any]:
    return json.loads((SEED_DIR / "minhang_grids.geojson").read_text(encoding="utf-8"))


def test_demo_squads_shape(squads_fc: dict[str, Any]):
    features = squads_fc["features"]
    assert len(features) == 14
    codes = [f["properties"]["code"] for f in features]
    assert len(set(codes)) == 14 and all(re.fullmatch(r"310112\d{3}", c) for c in codes)
    assert {f["properties"]["kind"] for f in features} == {"subdistrict", "town", "industrial_zone"}
    geoms = [parse_geometry(f["geometry"]) for f in features]  # raises if invalid
    for a, b in itertools.combinations(geoms, 2):
        assert a.intersection(b).area < 1e-12


def test_demo_centres_locate_to_own_squad(squads_fc: dict[str, Any]):
    locator = Locator(areas_from_feature_collection(squads_fc))
    assert len(locator) == 14
    centres = [LngLat(*f["properties"]["centre"]) for f in squads_fc["features"]]
    expected = [f["properties"]["code"] for f in squads_fc["features"]]
    assert [a.code if a else None for a in locator.locate_many(centres)] == expected
    assert locator.locate(LngLat(116.3975, 39.9087)) is None  # Beijing


def test_demo_grid_cells_lie_in_their_squads(squads_fc: dict[str, Any], grids_fc: dict[str, Any]):
    squads = {f["properties"]["code"]: shape(f["geometry"]) for f in squads_fc["features"]}
    cells = grids_fc["features"]
    assert len(cells) == 4 * len(squads)
    assert len({c["properties"]["code"] for c in cells}) == len(cells)
    for cell in cells:
        props = cell["properties"]
        assert re.fullmatch(rf"{props['squad_code']}-\d{{4}}", props["code"])
        assert squads[props["squad_code"]].covers(parse_geometry(cell["geometry"]))


def test_demo_grid_cells_are_100m_squares(grids_fc: dict[str, Any]):
    for cell in grids_fc["features"]:
        x0, y0, x1, y1 = shape(cell["geometry"]).bounds
        assert haversine_m(LngLat(x0, y0), LngLat(x1, y0)) == pytest.approx(100.0, abs=0.5)
        assert haversine_m(LngLat(x0, y0), LngLat(x0, y1)) == pytest.approx(100.0, abs=0.5)


def test_demo_grid_locator(grids_fc: dict[str, Any]):
    locator = Locator(areas_from_feature_collection(grids_fc))
    for cell in grids_fc["features"]:
        centroid = shape(cell["geometry"]).centroid
        found = locator.locate(LngLat(centroid.x, centroid.y))
        assert found is not None and found.code == cell["properties"]["code"]
