"""Rosters (勤务排班): weeks in Shanghai time, the rules a shift must keep, and "on shift".

Every interval is half-open, ``[starts_at, ends_at)``: a shift ending at 08:00 and the
next starting at 08:00 do not overlap, and at 08:00 exactly the officer is on the second.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

from domain.errors import Conflict, InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SHIFT = timedelta(hours=24)
WEEK = timedelta(days=7)
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
# Years a roster, leave or a query may name: far enough for any plan, near enough that
# no date arithmetic leaves the calendar.
YEARS = range(2000, 2201)


class LeaveKind(StrEnum):
    """Kinds of leave (请假)."""

    annual = "annual"  # 年休假
    sick = "sick"  # 病假
    personal = "personal"  # 事假
    compensatory = "compensatory"  # 调休
    other = "other"


class Span(msgspec.Struct, frozen=True):
    """A half-open interval of time ``[starts_at, ends_at)``, timezone-aware."""

    starts_at: datetime
    ends_at: datetime

    def covers(self, t: datetime) -> bool:
        return self.starts_at <= t < self.ends_at

    def overlaps(self, other: Span) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def overlap_s(self, other: Span) -> float:
        """Seconds the two intervals share (0 when apart)."""
        start, end = max(self.starts_at, other.starts_at), min(self.ends_at, other.ends_at)
        return max((end - start).total_seconds(), 0.0)

    @property
    def seconds(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds()


class PlannedShift(msgspec.Struct, frozen=True):
    """A shift as the roster plans it: whose, when, where."""

    officer_id: int
    span: Span
    grid_ids: tuple[int, ...] = ()
    area_note: str | None = None


def parse_week(week: str) -> date:
    """The Monday of an ISO week ``2026-W49`` (400 ``week_invalid`` otherwise)."""
    m = _WEEK_RE.match(week)
    if m is None:
        raise InvalidInput("week_invalid", "a week is written like 2026-W49")
    year, number = int(m.group(1)), int(m.group(2))
    if year not in YEARS:
        raise InvalidInput("week_invalid", f"weeks run from {YEARS[0]} to {YEARS[-1]}")
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError as exc:
        raise InvalidInput("week_invalid", f"{week} is not a week of {year}") from exc


def week_of(t: datetime) -> str:
    """The ISO week (Monday to Sunday, Shanghai time) that holds ``t``."""
    year, number, _ = t.astimezone(SHANGHAI).isocalendar()
    return f"{year}-W{number:02d}"


def week_span(monday: date) -> Span:
    """Monday 00:00 to the next Monday 00:00, Shanghai time (in UTC)."""
    start = datetime.combine(monday, time(0), SHANGHAI)
    return Span(start.astimezone(UTC), (start + WEEK).astimezone(UTC))


def check_shift(shift: PlannedShift, week: Span) -> None:
    """A shift ends after it starts, lasts at most 24 h and starts inside its week (a night
    shift may end in the next week)."""
    check_years(shift.span.starts_at, shift.span.ends_at)
    if shift.span.ends_at <= shift.span.starts_at:
        raise InvalidInput("shift_ends_before_start", "a shift must end after it starts")
    if shift.span.ends_at - shift.span.starts_at > MAX_SHIFT:
        raise InvalidInput("shift_too_long", "a shift lasts at most 24 hours")
    if not week.covers(shift.span.starts_at):
        raise InvalidInput("shift_outside_week", "a shift must start inside the roster's week")


def first_overlap(shifts: Iterable[PlannedShift]) -> tuple[PlannedShift, PlannedShift] | None:
    """Two shifts of one officer that overlap, or None (sorted sweep per officer)."""
    ordered = sorted(shifts, key=lambda s: (s.officer_id, s.span.starts_at))
    for a, b in itertools.pairwise(ordered):
        if a.officer_id == b.officer_id and a.span.overlaps(b.span):
            return a, b
    return None


def check_no_overlap(shifts: Iterable[PlannedShift]) -> None:
    """409 ``shift_overlap`` when one officer would be on two shifts at once."""
    pair = first_overlap(shifts)
    if pair is not None:
        a, b = pair
        raise Conflict(
            "shift_overlap",
            f"officer {a.officer_id} has overlapping shifts at "
            f"{a.span.starts_at.isoformat()} and {b.span.starts_at.isoformat()}",
        )


def check_years(*moments: datetime) -> None:
    """400 ``time_range_invalid`` for a moment outside ``YEARS``."""
    if any(m.year not in YEARS for m in moments):
        raise InvalidInput(
            "time_range_invalid", f"times must lie between {YEARS[0]} and {YEARS[-1]}"
        )


def check_leave(span: Span) -> None:
    check_years(span.starts_at, span.ends_at)
    if span.ends_at <= span.starts_at:
        raise InvalidInput("leave_ends_before_start", "leave must end after it starts")


def on_shift(shifts: Sequence[Span], leave: Sequence[Span], t: datetime) -> bool:
    """Inside a shift at ``t`` (start inclusive, end exclusive) and not on leave."""
    return any(s.covers(t) for s in shifts) and not any(lv.covers(t) for lv in leave)


def current_shift(shifts: Sequence[Span], leave: Sequence[Span], t: datetime) -> Span | None:
    """The shift the officer is on at ``t`` (None when off shift or on leave)."""
    if any(lv.covers(t) for lv in leave):
        return None
    return next((s for s in shifts if s.covers(t)), None)


def shifted(shift: PlannedShift, by: timedelta = WEEK) -> PlannedShift:
    """The same shift ``by`` later, on the same Shanghai wall-clock times (Shanghai has no
    daylight saving, so adding whole days keeps them)."""
    return msgspec.structs.replace(
        shift, span=Span(shift.span.starts_at + by, shift.span.ends_at + by)
    )
