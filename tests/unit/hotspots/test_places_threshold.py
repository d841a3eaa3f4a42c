"""Why the stored repeat places answer any ``min_cases``: the places found with a larger
threshold are exactly those found with the least one that hold that many cases (the
greedy rule picks non-growing neighbourhoods), so ``storage.repeat_places`` finds once
with 2 and filters."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.hotspots import PlacedCase, repeat_places

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
LNG, LAT = 121.3994755, 30.9995505

cases = st.lists(
    st.tuples(
        st.floats(min_value=-150, max_value=150),  # metres north
        st.floats(min_value=-150, max_value=150),  # metres east
        st.integers(min_value=0, max_value=40),  # days ago (some outside the window)
        st.sampled_from(["05-04", "05-10"]),
    ),
    max_size=60,
)


def _placed(rows: list[tuple[float, float, int, str]]) -> list[PlacedCase]:
    out = []
    for i, (north, east, days, vtype) in enumerate(rows, start=1):
        lat = LAT + math.degrees(north / 6_371_008.8)
        lng = LNG + math.degrees(east / (6_371_008.8 * math.cos(math.radians(LAT))))
        out.append(
            PlacedCase(
                id=i, violation_type=vtype, lng=lng, lat=lat, created_at=NOW - timedelta(days=days)
            )
        )
    return out


@settings(max_examples=200, deadline=None)
@given(cases, st.integers(min_value=2, max_value=8))
def test_a_larger_threshold_is_a_filter_of_the_least(
    rows: list[tuple[float, float, int, str]], min_cases: int
) -> None:
    placed = _placed(rows)
    least = repeat_places(placed, NOW, min_cases=2)
    assert repeat_places(placed, NOW, min_cases=min_cases) == [
        p for p in least if p.cases >= min_cases
    ]
