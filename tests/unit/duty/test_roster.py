"""Roster rules: weeks in Shanghai time, shift checks, overlaps, and "on shift"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.duty.roster import (
    SHANGHAI,
    PlannedShift,
    Span,
    check_no_overlap,
    check_shift,
    current_shift,
    first_overlap,
    on_shift,
    parse_week,
    shifted,
    week_of,
    week_span,
)
from domain.errors import AppError, Conflict, InvalidInput


def sh(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=SHANGHAI)


WEEK_49 = week_span(parse_week("2026-W49"))  # Mon 30 Nov 2026 – Mon 7 Dec, Shanghai


def test_a_week_runs_monday_to_monday_in_shanghai_time() -> None:
    assert parse_week("2026-W49") == date(2026, 11, 30)
    assert WEEK_49.starts_at == sh(2026, 11, 30)
    assert WEEK_49.starts_at == datetime(2026, 11, 29, 16, tzinfo=UTC)
    assert WEEK_49.ends_at == sh(2026, 12, 7)
    # Sunday 23:59 Shanghai is still week 49; Monday 00:00 is week 50 (UTC says Sunday).
    assert week_of(sh(2026, 12, 6, 23, 59)) == "2026-W49"
    assert week_of(sh(2026, 12, 7)) == "2026-W50"
    assert week_of(datetime(2026, 12, 6, 16, tzinfo=UTC)) == "2026-W50"
    assert parse_week("2026-W53") == date(2026, 12, 28)  # 2026 has 53 ISO weeks


@pytest.mark.parametrize("bad", ["2026-49", "2026-W00", "2025-W53", "2026-W54", "x", ""])
def test_weeks_that_do_not_exist_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_week(bad)
    assert err.value.code == "week_invalid"


def _shift(start: datetime, hours: float, officer: int = 1) -> PlannedShift:
    return PlannedShift(officer, Span(start, start + timedelta(hours=hours)))


@pytest.mark.parametrize(
    ("shift", "code"),
    [
        (PlannedShift(1, Span(sh(2026, 12, 1, 9), sh(2026, 12, 1, 9))), "shift_ends_before_start"),
        (PlannedShift(1, Span(sh(2026, 12, 1, 9), sh(2026, 12, 1, 8))), "shift_ends_before_start"),
        (_shift(sh(2026, 12, 1, 9), 24.01), "shift_too_long"),
        (_shift(sh(2026, 11, 29, 23), 2), "shift_outside_week"),
        (_shift(sh(2026, 12, 7, 0), 2), "shift_outside_week"),
    ],
)
def test_a_shift_breaking_a_rule_is_refused(shift: PlannedShift, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check_shift(shift, WEEK_49)
    assert err.value.code == code


def test_a_full_day_and_a_night_into_next_week_are_fine() -> None:
    check_shift(_shift(sh(2026, 12, 1, 0), 24), WEEK_49)
    check_shift(_shift(sh(2026, 12, 6, 20), 12), WEEK_49)  # Sunday night into Monday
    check_shift(_shift(sh(2026, 11, 30, 0), 1), WEEK_49)  # the week's first instant


def test_overlapping_shifts_of_one_officer_are_refused_adjacent_ones_are_not() -> None:
    day = _shift(sh(2026, 12, 1, 8), 12)
    night = _shift(sh(2026, 12, 1, 20), 12)  # starts when the day shift ends
    check_no_overlap([day, night])
    check_no_overlap([day, _shift(sh(2026, 12, 1, 9), 4, officer=2)])  # another officer
    with pytest.raises(Conflict) as err:
        check_no_overlap([day, night, _shift(sh(2026, 12, 2, 7), 2)])
    assert err.value.code == "shift_overlap"


spans = st.builds(
    lambda start, minutes: Span(start, start + timedelta(minutes=minutes)),
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=1, max_value=24 * 60),
)


@given(st.lists(st.tuples(st.integers(1, 3), spans), max_size=12))
def test_first_overlap_agrees_with_comparing_every_pair(items: list[tuple[int, Span]]) -> None:
    shifts = [PlannedShift(o, s) for o, s in items]
    brute = any(
        a.officer_id == b.officer_id and a.span.overlaps(b.span)
        for i, a in enumerate(shifts)
        for b in shifts[i + 1 :]
    )
    assert (first_overlap(shifts) is not None) == brute


def test_on_shift_edges_start_inclusive_end_exclusive_across_midnight() -> None:
    night = Span(sh(2026, 12, 1, 20), sh(2026, 12, 2, 8))
    assert not on_shift([night], [], sh(2026, 12, 1, 19, 59))
    assert on_shift([night], [], sh(2026, 12, 1, 20))
    assert on_shift([night], [], sh(2026, 12, 2, 0))  # midnight inside the night shift
    assert on_shift([night], [], sh(2026, 12, 2, 7, 59))
    assert not on_shift([night], [], sh(2026, 12, 2, 8))
    assert current_shift([night], [], sh(2026, 12, 2, 3)) == night


def test_leave_takes_the_officer_off_shift_for_its_time_only() -> None:
    day = Span(sh(2026, 12, 1, 8), sh(2026, 12, 1, 20))
    leave = Span(sh(2026, 12, 1, 12), sh(2026, 12, 1, 14))
    assert on_shift([day], [leave], sh(2026, 12, 1, 11, 59))
    assert not on_shift([day], [leave], sh(2026, 12, 1, 12))
    assert current_shift([day], [leave], sh(2026, 12, 1, 13)) is None
    assert on_shift([day], [leave], sh(2026, 12, 1, 14))


@given(spans, st.integers(min_value=-2 * 24 * 60, max_value=2 * 24 * 60))
def test_on_shift_is_membership_of_the_half_open_interval(span: Span, offset_min: int) -> None:
    t = span.starts_at + timedelta(minutes=offset_min)
    assert on_shift([span], [], t) == (span.starts_at <= t < span.ends_at)
    assert not on_shift([span], [span], t)


def test_copying_a_week_keeps_the_shanghai_weekday_and_time() -> None:
    night = _shift(sh(2026, 12, 6, 20), 12)
    later = shifted(night)
    assert later.span.starts_at.astimezone(SHANGHAI) == sh(2026, 12, 13, 20)
    assert later.span.ends_at.astimezone(SHANGHAI) == sh(2026, 12, 14, 8)
    check_shift(later, week_span(parse_week("2026-W50")))


def test_errors_are_app_errors() -> None:
    assert issubclass(InvalidInput, AppError)
