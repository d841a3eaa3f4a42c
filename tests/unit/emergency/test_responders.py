from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.emergency import (
    Officer,
    ResponderState,
    candidates,
    has_arrived,
    state_of,
    time_to_arrive_s,
)
from domain.geo import LngLat, haversine_m

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SITE = LngLat(121.3934, 31.0035)


def officer(uid: int, *, east_m: float | None, age_s: float = 30, **kw: object) -> Officer:
    position = None
    if east_m is not None:  # one degree of longitude here is about 95.5 km
        position = LngLat(SITE.lng + east_m / 95_500, SITE.lat)
    fields: dict[object, object] = {"on_shift": True, "on_duty": True, "open_tasks": 0}
    fields.update(kw)
    return Officer(
        user_id=uid,
        position=position,
        located_at=NOW - timedelta(seconds=age_s) if position else None,
        **fields,  # type: ignore[arg-type]
    )


def test_only_officers_on_shift_and_on_duty_are_offered() -> None:
    offered = candidates(
        [
            officer(1, east_m=100),
            officer(2, east_m=50, on_shift=False),
            officer(3, east_m=50, on_duty=False),
        ],
        SITE,
        NOW,
    )
    assert [c.user_id for c in offered] == [1]


def test_nearest_fresh_first_then_stale_then_unknown() -> None:
    offered = candidates(
        [
            officer(1, east_m=None),
            officer(2, east_m=20, age_s=3600),  # nearest, but an hour old
            officer(3, east_m=900),
            officer(4, east_m=300),
        ],
        SITE,
        NOW,
    )
    assert [c.user_id for c in offered] == [4, 3, 2, 1]
    assert offered[2].stale and not offered[0].stale
    assert offered[3].distance_m is None and offered[3].position_age_s is None
    assert 290 < (offered[0].distance_m or 0) < 310


def test_load_breaks_ties_but_does_not_outrank_distance() -> None:
    offered = candidates(
        [
            officer(1, east_m=200, open_tasks=3),
            officer(2, east_m=200, open_tasks=1),
            officer(3, east_m=400, open_tasks=0),
        ],
        SITE,
        NOW,
    )
    assert [c.user_id for c in offered] == [2, 1, 3]


def test_limit() -> None:
    offered = candidates([officer(i, east_m=i * 10.0) for i in range(1, 20)], SITE, NOW, limit=5)
    assert [c.user_id for c in offered] == [1, 2, 3, 4, 5]


@given(st.floats(min_value=0, max_value=2000), st.floats(min_value=10, max_value=500))
def test_arrival_is_the_radius(east_m: float, radius: float) -> None:
    position = LngLat(SITE.lng + east_m / 95_500, SITE.lat)
    assert has_arrived(position, SITE, radius) == (haversine_m(position, SITE) <= radius)


def test_state_and_time_to_arrive() -> None:
    assert state_of(None, None) is ResponderState.dispatched
    assert state_of(NOW, None) is ResponderState.acknowledged
    assert state_of(None, NOW) is ResponderState.arrived
    assert time_to_arrive_s(NOW, None) is None
    assert time_to_arrive_s(NOW, NOW + timedelta(minutes=7)) == 420.0
