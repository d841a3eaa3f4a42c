"""Tests for the working-time calendar: PRC holidays, office hours and SLA deadlines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sla.calendar import DATA_FILE, OfficeHours, WorkCalendar
from domain.sla.duration import Duration, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar.load()


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def add(start: datetime, text: str, *, urgent: bool = False) -> datetime:
    return CALENDAR.add(start, Duration.parse(text), urgent=urgent)


# --- concrete cases -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Friday before Spring Festival: 1.5h on Friday, the rest on make-up Saturday 02-14.
        (sh(2026, 2, 13, 16), "4h", sh(2026, 2, 14, 11)),
        (sh(2026, 2, 13, 16), "1d", sh(2026, 2, 14, 16)),
        # Reported during the holiday: counting starts when the office reopens on 02-24.
        (sh(2026, 2, 16, 10), "2h", sh(2026, 2, 24, 10, 30)),
        # Eve of National Day: 1.5h on 09-30, the rest after the 7-day break.
        (sh(2026, 9, 30, 16), "3h", sh(2026, 10, 8, 10)),
        # Lunch break is not counted.
        (sh(2026, 3, 2, 11), "2h", sh(2026, 3, 2, 14)),
        (sh(2026, 3, 2, 12, 30), "30m", sh(2026, 3, 2, 13, 30)),
        # A deadline may end exactly at a segment's end.
        (sh(2026, 3, 2, 11), "60m", sh(2026, 3, 2, 12)),
        # Weekend: Friday afternoon into Monday.
        (sh(2026, 3, 6, 17), "1h", sh(2026, 3, 9, 9)),
        (sh(2026, 3, 7, 10), "1h", sh(2026, 3, 9, 9, 30)),
        # Evening start: days count from the next opening.
        (sh(2026, 3, 2, 20), "1d", sh(2026, 3, 4, 8, 30)),
        # 30 working days through Mid-Autumn, National Day and their make-up days.
        (sh(2026, 9, 1, 9), "30d", sh(2026, 10, 19, 9)),
    ],
)
def test_normal_deadlines(start: datetime, duration: str, expected: datetime) -> None:
    assert add(start, duration) == expected


def test_result_keeps_the_start_time_zone() -> None:
    start = datetime(2026, 2, 13, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    result = add(start, "4h")
    assert result.tzinfo is UTC
    assert result == sh(2026, 2, 14, 11)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        add(datetime(2026, 3, 2, 9), "1h")
    with pytest.raises(ValueError, match="naive"):
        CALENDAR.working_minutes_between(sh(2026, 3, 2), datetime(2026, 3, 3))


@pytest.mark.parametrize("day", [date(2026, 1, 4), date(2026, 2, 14), date(2026, 9, 20)])
def test_make_up_weekend_days_are_workdays(day: date) -> None:
    assert day.weekday() >= 5
    assert CALENDAR.is_workday(day)


def test_national_day_and_weekends_are_not_workdays() -> None:
    assert not any(CALENDAR.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CALENDAR.is_workday(date(2026, 10, 8))
    assert not CALENDAR.is_workday(date(2026, 3, 7))
    assert CALENDAR.is_workday(date(2026, 3, 9))


def test_uncovered_years_fall_back_to_monday_to_friday() -> None:
    assert CALENDAR.covers(2026) and CALENDAR.covers(2027)
    assert not CALENDAR.covers(2030)
    assert CALENDAR.is_workday(date(2030, 1, 1))  # a Tuesday; no data for 2030
    assert not CALENDAR.is_workday(date(2030, 1, 5))


def test_urgent_is_wall_clock_across_holidays() -> None:
    assert add(sh(2026, 9, 30, 16), "3h", urgent=True) == sh(2026, 9, 30, 19)
    assert add(sh(2026, 2, 16, 10), "2d", urgent=True) == sh(2026, 2, 18, 10)
    assert add(sh(2026, 10, 1, 23), "90m", urgent=True) == sh(2026, 10, 2, 0, 30)


def test_working_minutes_between() -> None:
    assert CALENDAR.working_minutes_between(sh(2026, 3, 2, 8), sh(2026, 3, 2, 18)) == 480
    assert (
        CALENDAR.working_minutes_between(sh(2026, 2, 13, 16), sh(2026, 2, 24, 9)) == 90 + 480 + 30
    )
    assert CALENDAR.working_minutes_between(sh(2026, 3, 2, 10), sh(2026, 3, 2, 9)) == 0


def test_next_opening_and_is_open() -> None:
    assert CALENDAR.next_opening(sh(2026, 3, 2, 12, 15)) == sh(2026, 3, 2, 13)
    assert CALENDAR.next_opening(sh(2026, 3, 2, 9)) == sh(2026, 3, 2, 9)
    assert CALENDAR.is_open(sh(2026, 2, 14, 9)) and not CALENDAR.is_open(sh(2026, 2, 16, 9))


def test_office_hours_validation() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        OfficeHours(segments=((time(9), time(12)), (time(11), time(17))))
    with pytest.raises(ValueError, match="reversed"):
        OfficeHours(segments=((time(12), time(9)),))
    with pytest.raises(ValueError, match="time zone"):
        OfficeHours(tz="Mars/Olympus")


def test_custom_office_hours() -> None:
    single = OfficeHours(segments=((time(9), time(17)),))
    calendar = WorkCalendar(hours=single)
    assert calendar.add(sh(2030, 1, 7, 16), Duration.parse("2h")) == sh(2030, 1, 8, 10)


# --- property tests -------------------------------------------------------------------------

starts = st.datetimes(
    # Hypothesis takes naive bounds and attaches the zones itself.
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([SHANGHAI, UTC]),
)
timed = st.builds(Duration, st.integers(1, 200 * 60), st.just(Unit.minutes)) | st.builds(
    Duration, st.integers(1, 200), st.just(Unit.hours)
)
days = st.builds(Duration, st.integers(1, 30), st.just(Unit.days))


def local_offset(moment: datetime) -> tuple[date, time]:
    local = moment.astimezone(SHANGHAI)
    return local.date(), local.timetz().replace(tzinfo=None)


@given(starts, timed | days)
def test_deadline_is_after_start(start: datetime, duration: Duration) -> None:
    assert CALENDAR.add(start, duration) > start


@given(starts, timed)
def test_timed_deadline_is_in_office_hours(start: datetime, duration: Duration) -> None:
    day, at = local_offset(CALENDAR.add(start, duration))
    assert CALENDAR.is_workday(day)
    assert any(s < at <= e for s, e in CALENDAR.hours.segments)


@given(starts, days)
def test_day_deadline_is_in_office_hours(start: datetime, duration: Duration) -> None:
    assert CALENDAR.is_open(CALENDAR.add(start, duration))


@given(starts, timed)
def test_working_minutes_inverts_add(start: datetime, duration: Duration) -> None:
    end = CALENDAR.add(start, duration)
    assert CALENDAR.working_minutes_between(start, end) == duration.minutes


@given(starts, starts, timed | days)
def test_add_is_monotonic(first: datetime, second: datetime, duration: Duration) -> None:
    early, late = sorted((first, second))
    assert CALENDAR.add(early, duration) <= CALENDAR.add(late, duration)


@given(starts, timed, timed)
def test_add_is_additive(start: datetime, a: Duration, b: Duration) -> None:
    total = Duration(a.minutes + b.minutes, Unit.minutes)
    assert CALENDAR.add(CALENDAR.add(start, a), b) == CALENDAR.add(start, total)


@given(starts, timed)
def test_urgent_is_plain_timedelta(start: datetime, duration: Duration) -> None:
    expected = start + timedelta(minutes=duration.minutes)
    assert CALENDAR.add(start, duration, urgent=True) == expected


@given(starts, days)
def test_days_count_working_days(start: datetime, duration: Duration) -> None:
    opening = CALENDAR.next_opening(start).astimezone(SHANGHAI)
    end = CALENDAR.add(start, duration).astimezone(SHANGHAI)
    between = (opening.date() + timedelta(n) for n in range(1, (end - opening).days + 2))
    assert sum(CALENDAR.is_workday(d) for d in between if d <= end.date()) == duration.amount
    assert end.time() == opening.time()


# --- the holiday data -----------------------------------------------------------------------


def load_years() -> dict[str, Any]:
    years: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))["years"]
    return years


def dates(entries: list[dict[str, str]]) -> list[date]:
    return [date.fromisoformat(entry["date"]) for entry in entries]


def test_data_has_both_years_with_status() -> None:
    years = load_years()
    assert years["2026"]["status"] == "official"
    assert years["2027"]["status"] == "provisional"
    assert years["2027"]["note"]
    assert CALENDAR.provisional_years == {2027}


@pytest.mark.parametrize("year", ["2026", "2027"])
def test_data_is_consistent(year: str) -> None:
    entry = load_years()[year]
    off, work = dates(entry["off"]), dates(entry["workdays"])
    assert all(d.weekday() >= 5 for d in work), "make-up working days must be Sat/Sun"
    assert not set(off) & set(work)
    assert len(set(off)) == len(off) and off == sorted(off)
    # 13 statutory days (2025 rules): weekdays off minus borrowed weekend days.
    assert sum(d.weekday() < 5 for d in off) - len(work) == 13


def test_2026_matches_the_notice() -> None:
    entry = load_years()["2026"]
    assert len(entry["off"]) == 33
    assert dates(entry["workdays"]) == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
