from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.cases.dispatch import Candidate, choose_officer
from domain.geo import LngLat, haversine_m

SITE = LngLat(121.47, 31.23)
NEAR = LngLat(121.471, 31.231)
FAR = LngLat(121.60, 31.40)


def test_nobody_on_duty_gives_none() -> None:
    assert choose_officer([], SITE) is None
    assert choose_officer([], None) is None


def test_fewest_open_tasks_wins_over_distance() -> None:
    busy_but_near = Candidate(1, open_tasks=3, position=NEAR)
    idle_but_far = Candidate(2, open_tasks=1, position=FAR)
    assert choose_officer([busy_but_near, idle_but_far], SITE) == 2


def test_nearest_wins_among_equally_busy() -> None:
    far = Candidate(1, open_tasks=2, position=FAR)
    near = Candidate(2, open_tasks=2, position=NEAR)
    assert choose_officer([far, near], SITE) == 2
    assert choose_officer([near, far], SITE) == 2


def test_unknown_position_loses_to_a_known_one() -> None:
    unknown = Candidate(1, open_tasks=0, position=None)
    known_far = Candidate(2, open_tasks=0, position=FAR)
    assert choose_officer([unknown, known_far], SITE) == 2


def test_ties_break_on_lowest_id() -> None:
    a = Candidate(7, open_tasks=1, position=NEAR)
    b = Candidate(3, open_tasks=1, position=NEAR)
    c = Candidate(5, open_tasks=1, position=None)
    assert choose_officer([a, b, c], SITE) == 3
    # Without a case position every distance is unknown: the lowest id decides.
    assert choose_officer([a, c, b], None) == 3
    both_unknown = [Candidate(9, 0, None), Candidate(4, 0, None)]
    assert choose_officer(both_unknown, SITE) == 4


positions = st.one_of(
    st.none(),
    st.builds(
        LngLat,
        st.floats(121.0, 122.0, allow_nan=False),
        st.floats(30.5, 31.9, allow_nan=False),
    ),
)


@st.composite
def candidate_lists(draw: st.DrawFn) -> list[Candidate]:
    ids = draw(st.lists(st.integers(1, 500), min_size=1, max_size=8, unique=True))
    return [Candidate(i, draw(st.integers(0, 4)), draw(positions)) for i in ids]


@settings(max_examples=150, deadline=None)
@given(
    candidates=candidate_lists(),
    point=positions,
    seed=st.integers(0, 2**16),
)
def test_chosen_officer_is_least_busy_then_nearest(
    candidates: list[Candidate], point: LngLat | None, seed: int
) -> None:
    chosen = choose_officer(candidates, point)
    assert chosen is not None
    by_id = {c.user_id: c for c in candidates}
    pick = by_id[chosen]
    least = min(c.open_tasks for c in candidates)
    assert pick.open_tasks == least
    if point is not None and pick.position is not None:
        d = haversine_m(pick.position, point)
        for c in candidates:
            if c.open_tasks == least and c.position is not None:
                assert d <= haversine_m(c.position, point)
    if point is None:
        assert chosen == min(c.user_id for c in candidates if c.open_tasks == least)
    # The choice does not depend on the order the database returned the rows in.
    shuffled = list(candidates)
    random.Random(seed).shuffle(shuffled)
    assert choose_officer(shuffled, point) == chosen


def test_only_officers_on_shift_and_on_duty_are_chosen() -> None:
    off_shift = Candidate(1, open_tasks=0, position=NEAR, on_duty=True, on_shift=False)
    off_duty = Candidate(2, open_tasks=0, position=NEAR, on_duty=False, on_shift=True)
    busy_far = Candidate(3, open_tasks=5, position=FAR, on_duty=True, on_shift=True)
    assert choose_officer([off_shift, off_duty], SITE) is None
    assert choose_officer([off_shift, off_duty, busy_far], SITE) == 3
