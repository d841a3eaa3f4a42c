"""The refresh recomputes dirty days as runs of consecutive days (one range scan each)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from storage.cases.aggregates import runs


def test_consecutive_days_make_one_run_and_gaps_split_them() -> None:
    d = date(2026, 12, 30)
    days = [d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=5), d]
    assert runs(days) == [(d, date(2027, 1, 2)), (date(2027, 1, 4), date(2027, 1, 5))]
    assert runs([]) == []


@given(st.sets(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))))
def test_the_runs_cover_exactly_the_days(days: set[date]) -> None:
    got = runs(days)
    covered = {a + timedelta(days=i) for a, b in got for i in range((b - a).days)}
    assert covered == days
    assert all(b < c for (_, b), (c, _) in pairwise(got))
