"""The routine-inspection rhythm: grades, hot cells, first and next visits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.subjects.grading import Grade, GradingPolicy
from domain.subjects.inspections import MIN_INTERVAL, brought_forward, every, first_due, next_due

POLICY = GradingPolicy()
START = datetime(2027, 1, 4, tzinfo=UTC)


@given(st.sampled_from(list(Grade)))
def test_a_hot_cell_halves_the_interval_but_never_below_a_day(grade: Grade) -> None:
    usual, hot = every(grade, POLICY), every(grade, POLICY, in_hotspot=True)
    assert hot <= usual
    assert hot >= min(usual, MIN_INTERVAL)
    assert hot == max(usual / 2, min(usual, MIN_INTERVAL))


@given(st.integers(min_value=0, max_value=20 * 24), st.sampled_from(list(Grade)))
def test_bringing_forward_never_postpones(hours: int, grade: Grade) -> None:
    due = START + timedelta(hours=hours)
    interval = every(grade, POLICY, in_hotspot=True)
    moved = brought_forward(due, interval, START)
    assert moved <= due
    assert moved <= START + interval


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(list(Grade)))
def test_first_visit_falls_in_the_first_interval_and_the_next_one_interval_on(
    subject_id: int, grade: Grade
) -> None:
    interval = every(grade, POLICY)
    due = first_due(subject_id, interval, START)
    assert START <= due < START + interval
    assert next_due(due, interval, START) == due + interval
    # Fallen far behind: a fresh interval from now, no backlog.
    late = due + 5 * interval
    assert next_due(due, interval, late) == late + interval
