"""Check-in rules: the radius by haversine, plans per Shanghai day and weekday, the
missed list, the month's figures and the minimum interval."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import AppError
from domain.geo import LngLat, haversine_m
from domain.patrol.checkins import (
    SHANGHAI,
    Done,
    Plan,
    PointPlan,
    check_inside,
    check_interval,
    check_plan,
    days_between,
    local_day,
    missed,
    month_figures,
)

CENTRE = LngLat(121.3964, 31.0021)
MONDAY = date(2026, 11, 30)


def created(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI)


@given(
    radius=st.integers(10, 500),
    bearing=st.floats(0, 359.9),
    share=st.floats(0.0, 2.0),
)
def test_a_position_counts_exactly_when_it_is_within_the_radius(
    radius: int, bearing: float, share: float
) -> None:
    d = radius * share
    lat = CENTRE.lat + d * math.cos(math.radians(bearing)) / 111_195.08
    lng = CENTRE.lng + d * math.sin(math.radians(bearing)) / (
        111_195.08 * math.cos(math.radians(CENTRE.lat))
    )
    here = LngLat(lng, lat)
    distance = round(haversine_m(CENTRE, here), 1)
    if distance <= radius:
        assert check_inside(CENTRE, radius, here) == distance
    else:
        with pytest.raises(AppError) as refused:
            check_inside(CENTRE, radius, here)
        assert refused.value.code == "checkin_outside_radius"
        assert refused.value.extra == {"distance_m": distance, "radius_m": radius}


def test_the_shanghai_day_is_eight_hours_ahead_of_utc() -> None:
    assert local_day(datetime(2026, 12, 1, 15, 59, tzinfo=UTC)) == date(2026, 12, 1)
    assert local_day(datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == date(2026, 12, 2)
    with pytest.raises(ValueError):
        local_day(datetime(2026, 12, 1, 16, 0))


def test_a_plan_runs_on_its_weekdays_from_creation_until_deactivation() -> None:
    weekdays = check_plan(2, [1, 3, 5])
    point = PointPlan(1, "p", weekdays, created(MONDAY), created(MONDAY + timedelta(days=4)))
    week = [point.planned_on(MONDAY + timedelta(days=n)) for n in range(-1, 7)]
    # Sun before: not yet; Mon 2, Tue 0, Wed 2, Thu 0, Fri: deactivated that day.
    assert week == [0, 2, 0, 2, 0, 0, 0, 0]
    for per_day, days in ((25, [1]), (-1, [1]), (1, []), (1, [0]), (1, [8])):
        with pytest.raises(AppError):
            check_plan(per_day, days)


def test_missed_lists_the_shortfall_per_point_and_day_up_to_today() -> None:
    a = PointPlan(1, "A", Plan(2), created(MONDAY))
    b = PointPlan(2, "B", Plan(1, frozenset({2})), created(MONDAY))
    days = days_between(MONDAY, MONDAY + timedelta(days=3))
    done = {(1, MONDAY): 2, (1, MONDAY + timedelta(days=1)): 1, (2, MONDAY + timedelta(days=1)): 3}
    today = MONDAY + timedelta(days=2)
    got = [
        (s.point_id, s.day.day, s.planned, s.done, s.shortfall, s.day_over)
        for s in missed([a, b], done, days, today)
    ]
    assert got == [(1, 1, 2, 1, 1, True), (1, 2, 2, 0, 2, False)]


def test_a_month_counts_done_toward_the_plan_and_each_officer() -> None:
    a = PointPlan(1, "A", Plan(2), created(MONDAY))
    days = days_between(MONDAY, MONDAY + timedelta(days=1))
    checkins = [Done(1, 7, MONDAY)] * 3 + [Done(1, 8, MONDAY + timedelta(days=1))]
    f = month_figures([a], checkins, days)
    assert (f.planned, f.done_toward_plan, f.done, f.rate) == (4, 3, 4, 0.75)
    assert [(o.officer_id, o.done) for o in f.officers] == [(7, 3), (8, 1)]
    assert month_figures([], [], days).rate is None


@given(st.integers(0, 200))
def test_days_between_covers_both_ends_and_refuses_long_spans(n: int) -> None:
    if n < 92:
        days = days_between(MONDAY, MONDAY + timedelta(days=n))
        assert len(days) == n + 1 and days[-1] - days[0] == timedelta(days=n)
    else:
        with pytest.raises(AppError):
            days_between(MONDAY, MONDAY + timedelta(days=n))
    with pytest.raises(AppError):
        days_between(MONDAY, MONDAY - timedelta(days=1))


def test_the_same_officer_waits_half_an_hour_between_check_ins_at_a_point() -> None:
    now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    check_interval(None, now)
    check_interval(now - timedelta(minutes=30), now)
    with pytest.raises(AppError) as refused:
        check_interval(now - timedelta(minutes=29, seconds=30), now)
    assert refused.value.code == "checkin_too_soon" and refused.value.extra["retry_after_min"] == 1


@given(
    per_day=st.integers(0, 4),
    weekdays=st.sets(st.integers(1, 7), min_size=1),
    counts=st.lists(st.integers(0, 6), min_size=1, max_size=20),
)
def test_the_shortfalls_are_what_the_month_figures_miss(
    per_day: int, weekdays: set[int], counts: list[int]
) -> None:
    point = PointPlan(1, "A", check_plan(per_day, weekdays), created(MONDAY))
    days = days_between(MONDAY, MONDAY + timedelta(days=len(counts) - 1))
    checkins = [Done(1, 7, day) for day, n in zip(days, counts, strict=True) for _ in range(n)]
    done = {(1, day): n for day, n in zip(days, counts, strict=True)}
    short = missed([point], done, days, days[-1])
    figures = month_figures([point], checkins, days)
    assert sum(s.shortfall for s in short) == figures.planned - figures.done_toward_plan
    assert figures.done == sum(counts)
