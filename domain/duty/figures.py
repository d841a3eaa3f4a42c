"""Duty figures for assessment (考评), per officer and month.

Definitions (also in the API's description of ``get_duty_figures``):

- **on-duty intervals** come from the officer's duty transitions (在岗/离岗 as the
  phone sent them): each "on" starts an interval that the next "off" ends; an interval
  still open ends at the end of the period, or now if sooner. Repeated "on"s without an
  "off" between them do not restart it.
- **shifts planned**: the officer's shifts that start in the month (Shanghai time).
- **hours on duty within shifts**: the total of the overlaps of the on-duty intervals
  with those shifts.
- **shifts worked**: planned shifts during which the officer was on duty for at least
  ``WORKED_SHARE`` (half) of the shift's length. A shift still running counts only
  once that share is reached.
- **roll calls**: asked in the month; answered in time (by the deadline), late (after
  it) and missed (never answered), pending (deadline still ahead).
- Check-ins (巡查签到) and emergencies' time to arrive come from their own modules; they
  slot into ``OfficerFigures.extra`` under their own names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import msgspec

from domain.duty.roll_calls import RollCallState
from domain.duty.roster import Span

WORKED_SHARE = 0.5


class Transition(msgspec.Struct, frozen=True):
    at: datetime
    on_duty: bool


def duty_intervals(transitions: Sequence[Transition], period: Span, now: datetime) -> list[Span]:
    """On-duty intervals within ``period`` (clipped to it and to ``now``). ``transitions``
    in time order, including the last one before the period (it says whether the
    officer was already on duty when it began)."""
    end_of_record = min(period.ends_at, now)
    out: list[Span] = []
    since: datetime | None = None
    for t in sorted(transitions, key=lambda t: t.at):
        if t.on_duty and since is None:
            since = t.at
        elif not t.on_duty and since is not None:
            out.append(Span(since, t.at))
            since = None
    if since is not None and since < end_of_record:
        out.append(Span(since, end_of_record))
    clipped = [
        Span(max(s.starts_at, period.starts_at), min(s.ends_at, period.ends_at)) for s in out
    ]
    return [s for s in clipped if s.ends_at > s.starts_at]


def seconds_on_duty(shift: Span, intervals: Iterable[Span]) -> float:
    return sum(shift.overlap_s(i) for i in intervals)


def worked(shift: Span, intervals: Iterable[Span]) -> bool:
    return seconds_on_duty(shift, intervals) >= WORKED_SHARE * shift.seconds


class RollCallCounts(msgspec.Struct, frozen=True, kw_only=True):
    asked: int = 0
    answered_in_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0


def count_roll_calls(states: Iterable[RollCallState]) -> RollCallCounts:
    listed = list(states)
    return RollCallCounts(
        asked=len(listed),
        answered_in_time=sum(s is RollCallState.answered for s in listed),
        late=sum(s is RollCallState.late for s in listed),
        missed=sum(s is RollCallState.missed for s in listed),
        pending=sum(s is RollCallState.pending for s in listed),
    )


class OfficerFigures(msgspec.Struct, frozen=True, kw_only=True):
    officer_id: int
    display_name: str
    shifts_planned: int
    shifts_worked: int
    hours_planned: float
    hours_on_duty_in_shifts: float
    roll_calls: RollCallCounts
    # Figures other modules add (check-ins done/planned, emergency arrival times).
    extra: dict[str, float] = msgspec.field(default_factory=dict)


def officer_figures(
    officer_id: int,
    display_name: str,
    shifts: Sequence[Span],
    transitions: Sequence[Transition],
    roll_calls: Iterable[RollCallState],
    now: datetime,
) -> OfficerFigures:
    """One officer's month from their shifts (those starting in it), duty transitions and
    roll calls. Intervals are taken over the shifts' whole extent, so a night shift that
    starts on the last evening of the month counts in full."""
    if shifts:
        extent = Span(min(s.starts_at for s in shifts), max(s.ends_at for s in shifts))
        intervals = duty_intervals(transitions, extent, now)
    else:
        intervals = []
    on_duty_s = sum(seconds_on_duty(s, intervals) for s in shifts)
    return OfficerFigures(
        officer_id=officer_id,
        display_name=display_name,
        shifts_planned=len(shifts),
        shifts_worked=sum(worked(s, intervals) for s in shifts),
        hours_planned=round(sum(s.seconds for s in shifts) / 3600, 2),
        hours_on_duty_in_shifts=round(on_duty_s / 3600, 2),
        roll_calls=count_roll_calls(roll_calls),
    )


def squad_total(officers: Sequence[OfficerFigures]) -> OfficerFigures:
    """The squad's row: the officers' figures added up (``officer_id`` 0)."""
    return OfficerFigures(
        officer_id=0,
        display_name="",
        shifts_planned=sum(o.shifts_planned for o in officers),
        shifts_worked=sum(o.shifts_worked for o in officers),
        hours_planned=round(sum(o.hours_planned for o in officers), 2),
        hours_on_duty_in_shifts=round(sum(o.hours_on_duty_in_shifts for o in officers), 2),
        roll_calls=RollCallCounts(
            asked=sum(o.roll_calls.asked for o in officers),
            answered_in_time=sum(o.roll_calls.answered_in_time for o in officers),
            late=sum(o.roll_calls.late for o in officers),
            missed=sum(o.roll_calls.missed for o in officers),
            pending=sum(o.roll_calls.pending for o in officers),
        ),
    )
