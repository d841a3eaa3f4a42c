"""A cell's trend over the weeks, and the repeat-place rule."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from domain.hotspots import PlacedCase, Trend, classify, repeat_places
from domain.hotspots.places import distance_m

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
LNG, LAT = 121.3994755, 30.9995505


@pytest.mark.parametrize(
    ("weeks", "trend"),
    [
        ([False, False, False, True], Trend.new),
        ([True, True, True, True], Trend.persistent),
        ([True, True, True, False], Trend.persistent),  # 3 of 4, the latest cold
        ([False, True, True, True], Trend.persistent),
        ([True, False, True, True], Trend.persistent),
        ([False, True, False, True], Trend.intermittent),  # 2 of 4, hot again
        ([True, True, False, False], Trend.fading),
        ([False, False, True, False], Trend.fading),
        ([False, False, False, False], None),
        ([True, True, True, False, False, False, False], None),  # older weeks do not count
        ([True, False, False, False, True], Trend.new),  # 5 weeks back is out of the window
        ([True], Trend.new),  # fewer weeks: the missing ones are cold
        ([], None),
    ],
)
def test_classification(weeks: list[bool], trend: Trend | None) -> None:
    assert classify(weeks) is trend


def _at(north_m: float, east_m: float = 0.0) -> tuple[float, float]:
    dlat = math.degrees(north_m / 6_371_008.8)
    dlng = math.degrees(east_m / (6_371_008.8 * math.cos(math.radians(LAT))))
    return LNG + dlng, LAT + dlat


def _case(
    id_: int, north_m: float, days_ago: float, vtype: str = "05-04", east_m: float = 0.0
) -> PlacedCase:
    lng, lat = _at(north_m, east_m)
    return PlacedCase(
        id=id_, violation_type=vtype, lng=lng, lat=lat, created_at=NOW - timedelta(days=days_ago)
    )


def test_three_cases_of_one_type_within_50_m_in_30_days_make_a_place() -> None:
    cases = [_case(1, 0, 1), _case(2, 20, 5), _case(3, -30, 29)]
    (place,) = repeat_places(cases, NOW, min_cases=3)
    assert place.case_ids == (3, 2, 1) and place.cases == 3
    assert place.violation_type == "05-04"
    assert place.first_at == NOW - timedelta(days=29) and place.last_at == NOW - timedelta(days=1)


def test_the_edges_of_the_rule() -> None:
    assert distance_m(_case(1, 0, 0), _case(2, 49.9, 0)) == pytest.approx(49.9, abs=0.01)
    # Every case of a place is within 50 m of its centre case: 0, 25 and 74.9 m make
    # one (the centre at 25 m), 0, 25 and 75.5 m do not.
    (place,) = repeat_places([_case(1, 0, 1), _case(2, 25, 1), _case(3, 74.9, 1)], NOW, min_cases=3)
    assert place.centre_case_id == 2
    assert (
        repeat_places([_case(1, 0, 1), _case(2, 25, 1), _case(3, 75.5, 1)], NOW, min_cases=3) == []
    )
    # 30 days and a minute ago: outside the window.
    old = _case(3, 10, 30 + 1 / 1440)
    assert repeat_places([_case(1, 0, 1), _case(2, 25, 1), old], NOW, min_cases=3) == []
    # A later case does not count either.
    assert repeat_places([_case(1, 0, 1), _case(2, 5, 1), _case(3, 0, -1)], NOW, min_cases=3) == []
    # Another type at the same spot does not count.
    mixed = [_case(1, 0, 1), _case(2, 5, 1), _case(3, 0, 2, vtype="05-05")]
    assert repeat_places(mixed, NOW, min_cases=3) == []
    assert len(repeat_places(mixed, NOW, min_cases=2)) == 1
    with pytest.raises(ValueError):
        repeat_places([], NOW, min_cases=0)


def test_a_chain_does_not_grow_a_place_beyond_50_m_and_no_case_is_in_two() -> None:
    # Cases every 30 m along a street: 0, 30, 60, 90, 120, 150 m.
    street = [_case(i + 1, 30 * i, 1) for i in range(6)]
    places = repeat_places(street, NOW, min_cases=3)
    seen = [i for p in places for i in p.case_ids]
    assert len(seen) == len(set(seen))
    by_id = {c.id: c for c in street}
    for p in places:
        centre = by_id[p.centre_case_id]
        assert all(distance_m(centre, by_id[i]) <= 50 for i in p.case_ids)
    assert [p.case_ids for p in places] == [(1, 2, 3), (4, 5, 6)]
    # The order of the input does not matter.
    assert repeat_places(list(reversed(street)), NOW, min_cases=3) == places


def test_places_are_ranked_by_cases_then_recency() -> None:
    big = [_case(i, i, 3, east_m=500) for i in range(10, 15)]
    recent = [_case(i, i, 1, east_m=-500) for i in range(20, 23)]
    older = [_case(i, i, 9) for i in range(30, 33)]
    places = repeat_places(big + older + recent, NOW, min_cases=3)
    assert [p.cases for p in places] == [5, 3, 3]
    assert places[1].case_ids == (20, 21, 22)
