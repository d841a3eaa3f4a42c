"""The working-time calendar: office hours, PRC public holidays, and deadlines.

Normal (non-urgent) deadlines count office time: minutes and hours are office minutes on
working days, days are working days. Urgent deadlines count the wall clock. Working days are
Monday to Friday, minus the State Council's holidays (放假), plus its make-up working days
(调休上班); the dates come from ``holidays_cn.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from domain.sla.duration import Duration, Unit

DATA_FILE = Path(__file__).with_name("holidays_cn.json")

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)

# 上午 08:30–12:00, 下午 13:00–17:30: the bureau's published office hours.
_DEFAULT_SEGMENTS = ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))


class OfficeHours(msgspec.Struct, frozen=True):
    """Daily office-hour segments (local wall-clock times in ``tz``), e.g. morning and afternoon."""

    segments: tuple[tuple[time, time], ...] = _DEFAULT_SEGMENTS
    tz: str = "Asia/Shanghai"

    def __post_init__(self) -> None:
        if not self.segments:
            raise ValueError("office hours need at least one segment")
        previous_end: time | None = None
        for start, end in self.segments:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office-hour times are local wall-clock times, without tzinfo")
            if start >= end:
                raise ValueError(f"office-hour segment {start}-{end} is empty or reversed")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"office-hour segment {start}-{end} overlaps or is out of order")
            previous_end = end
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone: {self.tz!r}") from error


class HolidayEntry(msgspec.Struct, frozen=True):
    date: date
    name_zh: str


class HolidayYear(msgspec.Struct, frozen=True):
    """One year's State Council notice: days off and make-up working days."""

    status: Literal["official", "provisional"]
    off: tuple[HolidayEntry, ...]
    workdays: tuple[HolidayEntry, ...]
    notice: str = ""
    note: str = ""


class HolidayData(msgspec.Struct, frozen=True):
    """The layout of ``holidays_cn.json``."""

    source: str
    years: dict[str, HolidayYear]


def _offset(moment: time | datetime) -> timedelta:
    """Time of day as a span since midnight, so segments can be added to and compared."""
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware one")


class WorkCalendar:
    """Working days and office hours; computes deadlines and elapsed office time."""

    def __init__(
        self,
        off: Iterable[date] = (),
        workdays: Iterable[date] = (),
        *,
        years: Iterable[int] = (),
        provisional_years: Iterable[int] = (),
        hours: OfficeHours | None = None,
    ) -> None:
        self.off = frozenset(off)
        self.workdays = frozenset(workdays)
        both = self.off & self.workdays
        if both:
            raise ValueError(f"dates both off and working: {sorted(both)}")
        self.years = frozenset(years)
        self.provisional_years = frozenset(provisional_years)
        self.hours = hours if hours is not None else OfficeHours()
        self._zone = ZoneInfo(self.hours.tz)
        self._segments = tuple((_offset(s), _offset(e)) for s, e in self.hours.segments)

    @classmethod
    def from_data(cls, data: object, hours: OfficeHours | None = None) -> WorkCalendar:
        """Build from decoded ``holidays_cn.json`` content (a dict); ValueError if malformed."""
        parsed = msgspec.convert(data, HolidayData)
        return cls._from_parsed(parsed, hours)

    @classmethod
    def load(cls, path: Path | None = None, hours: OfficeHours | None = None) -> WorkCalendar:
        """Read a holiday file, by default the packaged ``holidays_cn.json``."""
        parsed = msgspec.json.decode((path or DATA_FILE).read_bytes(), type=HolidayData)
        return cls._from_parsed(parsed, hours)

    @classmethod
    def _from_parsed(cls, data: HolidayData, hours: OfficeHours | None) -> WorkCalendar:
        years = {int(key): year for key, year in data.years.items()}
        return cls(
            off=(entry.date for year in years.values() for entry in year.off),
            workdays=(entry.date for year in years.values() for entry in year.workdays),
            years=years,
            provisional_years=(key for key, year in years.items() if year.status == "provisional"),
            hours=hours,
        )

    def covers(self, year: int) -> bool:
        """Whether the holiday data has ``year``; outside it, working days are plain Mon–Fri."""
        return year in self.years

    def is_workday(self, day: date) -> bool:
        """Mon–Fri unless a holiday, or a weekend day the State Council made a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.off

    def is_open(self, moment: datetime) -> bool:
        """Whether ``moment`` is inside office hours (segment start included, end excluded)."""
        day, offset = self._local(moment)
        return self.is_workday(day) and any(s <= offset < e for s, e in self._segments)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself when the office is open, otherwise the next time it opens."""
        day, offset = self._local(moment)
        day, begin, _ = next(self._windows(day, offset))
        return self._at(day, begin, moment)

    def add(self, start: datetime, duration: Duration, *, urgent: bool = False) -> datetime:
        """The deadline ``duration`` after ``start``, in ``start``'s time zone.

        Urgent: wall clock; minutes/hours as elapsed time, days as calendar days at the same
        local time. Normal minutes/hours: that much office time, counted from ``start`` or from
        the next opening when closed; a deadline can land exactly on a segment's end (12:00,
        17:30). Normal days: from ``start``, or the next opening when closed, the same local time
        of day N working days later. That time is an office time by construction; should it
        ever not be one (a DST gap in another zone) it moves on to the next opening.
        """
        _require_aware(start)
        if duration.amount < 0:
            raise ValueError(f"negative duration: {duration}")
        if urgent:
            return self._add_wall_clock(start, duration)
        if duration.unit is Unit.days:
            return self._add_working_days(start, duration.amount)
        return self._add_office_time(start, timedelta(minutes=duration.minutes))

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole office minutes (rounded down) in ``[a, b)``; 0 when ``b <= a``."""
        _require_aware(b)
        if b <= a:
            return 0
        start_day, start_offset = self._local(a)
        end_day, end_offset = self._local(b)
        total = _ZERO
        for day, begin, end in self._windows(start_day, start_offset):
            if (day, begin) >= (end_day, end_offset):
                break
            total += (min(end, end_offset) if day == end_day else end) - begin
        return total // _MINUTE

    def _add_wall_clock(self, start: datetime, duration: Duration) -> datetime:
        if duration.unit is Unit.days:
            # Calendar days keep the local time of day, so go through the calendar's zone.
            local = start.astimezone(self._zone) + timedelta(days=duration.amount)
            return local.astimezone(start.tzinfo)
        # Elapsed time: add in UTC so a DST change in start's zone cannot shift it.
        moved = start.astimezone(UTC) + timedelta(minutes=duration.minutes)
        return moved.astimezone(start.tzinfo)

    def _add_office_time(self, start: datetime, length: timedelta) -> datetime:
        start_day, start_offset = self._local(start)
        remaining = length
        # One step per open segment, never per minute: 30 working days is about 60 steps.
        for day, begin, end in self._windows(start_day, start_offset):
            if remaining <= end - begin:
                return self._at(day, begin + remaining, start)
            remaining -= end - begin
        raise AssertionError("unreachable: _windows never ends")

    def _add_working_days(self, start: datetime, count: int) -> datetime:
        day, offset = self._local(start)
        day, offset, _ = next(self._windows(day, offset))
        for _ in range(count):
            day = self._next_workday(day)
        return self.next_opening(self._at(day, offset, start))

    def _next_workday(self, day: date) -> date:
        day += _ONE_DAY
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def _windows(self, day: date, offset: timedelta) -> Iterator[tuple[date, timedelta, timedelta]]:
        """Open spans ``(day, begin, end)`` from ``day`` at ``offset`` onwards, without end.

        It ends only when the caller stops; every year has working days, so that comes.
        """
        while True:
            if self.is_workday(day):
                for segment_start, segment_end in self._segments:
                    if segment_end > offset:
                        yield day, max(segment_start, offset), segment_end
            day += _ONE_DAY
            offset = _ZERO

    def _local(self, moment: datetime) -> tuple[date, timedelta]:
        """Local date and time of day in the calendar's zone."""
        _require_aware(moment)
        local = moment.astimezone(self._zone)
        return local.date(), _offset(local)

    def _at(self, day: date, offset: timedelta, like: datetime) -> datetime:
        """Local ``day`` at ``offset`` past midnight, returned in ``like``'s time zone."""
        local = datetime.combine(day, time(), tzinfo=self._zone) + offset
        return local.astimezone(like.tzinfo)
