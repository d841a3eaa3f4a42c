"""Duty figures: on-duty intervals from transitions, shifts worked, roll-call counts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.duty.figures import (
    Transition,
    count_roll_calls,
    duty_intervals,
    officer_figures,
    worked,
)
from domain.duty.roll_calls import RollCallState, answered_state, deadline, is_missed
from domain.duty.roster import Span
from domain.errors import Conflict

T0 = datetime(2026, 12, 1, 0, tzinfo=UTC)


def h(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def test_intervals_pair_on_with_off_and_carry_the_state_into_the_period() -> None:
    transitions = [
        Transition(h(-5), True),  # already on duty when the period starts
        Transition(h(2), False),
        Transition(h(3), True),
        Transition(h(3.5), True),  # a repeated "on" does not restart the interval
        Transition(h(4), False),
        Transition(h(10), True),  # still on at the end: open until the period's end
    ]
    got = duty_intervals(transitions, Span(h(0), h(12)), now=h(100))
    assert got == [Span(h(0), h(2)), Span(h(3), h(4)), Span(h(10), h(12))]
    # An interval still open ends now, when now is sooner.
    assert duty_intervals(transitions, Span(h(0), h(12)), now=h(11))[-1] == Span(h(10), h(11))


def test_a_shift_is_worked_with_half_of_it_on_duty() -> None:
    shift = Span(h(8), h(20))
    assert worked(shift, [Span(h(8), h(14))])  # exactly half
    assert not worked(shift, [Span(h(8), h(13.99))])
    assert worked(shift, [Span(h(6), h(10)), Span(h(16), h(22))])  # 2 h + 4 h = half


def test_officer_figures_over_a_month() -> None:
    shifts = [Span(h(8), h(20)), Span(h(32), h(44)), Span(h(56), h(68))]
    transitions = [
        Transition(h(8), True),
        Transition(h(20), False),  # the first shift in full
        Transition(h(40), True),
        Transition(h(44), False),  # 4 of 12 hours: not worked
    ]
    calls = [RollCallState.answered, RollCallState.late, RollCallState.missed]
    fig = officer_figures(7, "队员", shifts, transitions, calls, now=h(1000))
    assert (fig.shifts_planned, fig.shifts_worked) == (3, 1)
    assert fig.hours_planned == 36.0
    assert fig.hours_on_duty_in_shifts == 16.0
    assert fig.roll_calls == count_roll_calls(calls)
    assert (fig.roll_calls.asked, fig.roll_calls.answered_in_time) == (3, 1)
    assert (fig.roll_calls.late, fig.roll_calls.missed) == (1, 1)


def test_roll_call_answers_in_time_late_and_never_twice() -> None:
    due = deadline(h(0), 10)
    assert due == h(0) + timedelta(minutes=10)
    assert answered_state(RollCallState.pending, due, due) is RollCallState.answered
    late = due + timedelta(seconds=1)
    assert answered_state(RollCallState.pending, due, late) is RollCallState.late
    assert answered_state(RollCallState.missed, due, late) is RollCallState.late
    with pytest.raises(Conflict):
        answered_state(RollCallState.answered, due, late)
    assert not is_missed(RollCallState.pending, due, due)
    assert is_missed(RollCallState.pending, due, late)
    assert not is_missed(RollCallState.answered, due, late)


transitions_st = st.lists(
    st.builds(
        Transition,
        st.integers(min_value=-48, max_value=72).map(lambda n: h(n / 2)),
        st.booleans(),
    ),
    max_size=20,
)


@given(transitions_st, st.integers(min_value=0, max_value=60))
def test_intervals_are_disjoint_ordered_and_inside_the_period(
    transitions: list[Transition], now_h: int
) -> None:
    period = Span(h(0), h(24))
    recorded = [t for t in transitions if t.at <= h(now_h)]  # nothing is recorded ahead
    got = duty_intervals(recorded, period, now=h(now_h))
    for span in got:
        assert period.starts_at <= span.starts_at < span.ends_at <= period.ends_at
        assert span.ends_at <= h(now_h)
    for a, b in itertools.pairwise(got):
        assert a.ends_at <= b.starts_at
    assert sum(s.seconds for s in got) <= period.seconds
