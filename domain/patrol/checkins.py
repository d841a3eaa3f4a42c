"""Patrol check-ins (巡查签到): whether a position is inside a point's radius, how many
check-ins a point plans on a day (Asia/Shanghai), what was missed, and a month's figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec

from domain.errors import Conflict, InvalidInput
from domain.geo import LngLat, haversine_m

SHANGHAI = ZoneInfo("Asia/Shanghai")
RADIUS_MIN_M, RADIUS_MAX_M = 10, 500
PLANNED_MAX = 24  # check-ins a point may plan per day
EVERY_DAY = frozenset(range(1, 8))  # ISO weekdays, Monday = 1
MIN_INTERVAL = timedelta(minutes=30)  # the same officer at the same point counts once per
MAX_SPAN_DAYS = 92  # days one missed-list query may cover


class BindingKind(StrEnum):
    """What a check-in point stands for. Stored as text, so kinds can be added (hotspot
    places, once they exist) without a migration."""

    subject = "subject"  # 监管对象
    block = "block"  # 美丽街区


class Plan(msgspec.Struct, frozen=True):
    """How many check-ins a point plans per day, on which ISO weekdays."""

    per_day: int
    weekdays: frozenset[int] = EVERY_DAY


class PointPlan(msgspec.Struct, frozen=True):
    """A point's plan and the days it was in force: from the Shanghai day it was created
    to the day before it was deactivated (a point deactivated today plans nothing today)."""

    point_id: int
    name: str
    plan: Plan
    created_at: datetime
    deactivated_at: datetime | None = None

    def planned_on(self, day: date) -> int:
        if day < local_day(self.created_at):
            return 0
        if self.deactivated_at is not None and day >= local_day(self.deactivated_at):
            return 0
        return planned_on(self.plan, day)


class Done(msgspec.Struct, frozen=True):
    """One recorded check-in, as the figures count it."""

    point_id: int
    officer_id: int
    day: date


class Shortfall(msgspec.Struct, frozen=True, kw_only=True):
    """A point and day whose check-ins fell short of the plan."""

    point_id: int
    point_name: str
    day: date
    planned: int
    done: int
    shortfall: int
    day_over: bool  # False for today: the shortfall may still be made up


class OfficerMonth(msgspec.Struct, frozen=True):
    officer_id: int
    done: int


class MonthFigures(msgspec.Struct, frozen=True, kw_only=True):
    """A squad's month: planned check-ins, those done toward the plan (a point's extra
    check-ins on a day do not make up another day), all done, and each officer's."""

    planned: int
    done_toward_plan: int
    done: int
    rate: float | None
    officers: list[OfficerMonth]


def local_day(at: datetime) -> date:
    """The Shanghai calendar day of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no Shanghai day")
    return at.astimezone(SHANGHAI).date()


def check_plan(per_day: int, weekdays: Iterable[int]) -> Plan:
    days = frozenset(weekdays)
    if not 0 <= per_day <= PLANNED_MAX:
        raise InvalidInput("checkin_plan_invalid", f"plan 0..{PLANNED_MAX} check-ins per day")
    if not days or not days <= EVERY_DAY:
        raise InvalidInput("checkin_plan_invalid", "weekdays are ISO days 1 (Mon) .. 7 (Sun)")
    return Plan(per_day, days)


def planned_on(plan: Plan, day: date) -> int:
    return plan.per_day if day.isoweekday() in plan.weekdays else 0


def distance_to(centre: LngLat, position: LngLat) -> float:
    """Metres from the point's centre to the phone (both WGS-84), to 0.1 m."""
    return round(haversine_m(centre, position), 1)


def check_inside(centre: LngLat, radius_m: int, position: LngLat) -> float:
    """The distance when ``position`` lies within ``radius_m`` of ``centre``; otherwise
    the refusal says how far away the phone is."""
    distance = distance_to(centre, position)
    if distance > radius_m:
        raise InvalidInput(
            "checkin_outside_radius",
            f"you are {distance:.0f} m from the point; check in within {radius_m} m",
            distance_m=distance,
            radius_m=radius_m,
        )
    return distance


def check_interval(last: datetime | None, now: datetime) -> None:
    """The same officer checks in at one point at most once per ``MIN_INTERVAL``: a plan
    of three a day means three visits, not three taps."""
    if last is not None and now - last < MIN_INTERVAL:
        wait = int((MIN_INTERVAL - (now - last)).total_seconds() // 60) + 1
        raise Conflict(
            "checkin_too_soon",
            f"you checked in here at {last.astimezone(SHANGHAI):%H:%M}; again in {wait} min",
            retry_after_min=wait,
        )


def days_between(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive (at most ``MAX_SPAN_DAYS``)."""
    if end < start:
        raise InvalidInput("checkin_period_invalid", "`to` is before `from`")
    if (end - start).days >= MAX_SPAN_DAYS:
        raise InvalidInput("checkin_period_invalid", f"at most {MAX_SPAN_DAYS} days at a time")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def missed(
    points: Iterable[PointPlan], done: Mapping[tuple[int, date], int], days: list[date], today: date
) -> list[Shortfall]:
    """Per point and day (up to ``today``), where fewer check-ins were done than planned.
    ``done`` counts check-ins by (point id, Shanghai day)."""
    out = []
    for point in points:
        for day in days:
            if day > today:
                break
            planned = point.planned_on(day)
            count = done.get((point.point_id, day), 0)
            if count < planned:
                out.append(
                    Shortfall(
                        point_id=point.point_id,
                        point_name=point.name,
                        day=day,
                        planned=planned,
                        done=count,
                        shortfall=planned - count,
                        day_over=day < today,
                    )
                )
    return sorted(out, key=lambda s: (s.day, s.point_id))


def month_figures(
    points: Iterable[PointPlan], checkins: Iterable[Done], days: list[date]
) -> MonthFigures:
    """The duty figures' check-in line for a squad and month (``days``: the month's)."""
    checkins = list(checkins)
    per_point_day = Counter((c.point_id, c.day) for c in checkins)
    planned = toward = 0
    for point in points:
        for day in days:
            p = point.planned_on(day)
            planned += p
            toward += min(p, per_point_day.get((point.point_id, day), 0))
    per_officer = Counter(c.officer_id for c in checkins)
    return MonthFigures(
        planned=planned,
        done_toward_plan=toward,
        done=len(checkins),
        rate=round(toward / planned, 4) if planned else None,
        officers=[OfficerMonth(o, n) for o, n in sorted(per_officer.items())],
    )
