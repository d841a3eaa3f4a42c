"""Emergencies (突发事件): which officers the duty desk is offered, and when one has arrived.

An emergency is an urgent case the command centre runs live. The desk is offered the
officers who can go *now*: on shift (the roster) and on duty (the phone), nearest first
by straight-line distance from their last known position. A position older than
``stale_after`` says little about where someone is, so such officers come after every
officer with a fresh position, nearest first among themselves; officers with no position
at all come last. Load (open tasks) is shown and breaks ties, it does not outrank
distance: in an emergency the nearest free hand goes.

A responder has arrived when the phone reports a position within the arrival radius of
the site, or when they check in on the phone (the desk sees which of the two it was).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from domain.geo import LngLat, haversine_m

DEFAULT_STALE_AFTER = timedelta(minutes=5)
DEFAULT_ARRIVAL_RADIUS_M = 100.0


class Officer(msgspec.Struct, frozen=True, kw_only=True):
    """What is known of an officer when the desk looks for responders."""

    user_id: int
    on_shift: bool
    on_duty: bool
    open_tasks: int
    position: LngLat | None  # WGS-84
    located_at: datetime | None


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """An officer the desk may dispatch, with what the ranking was based on."""

    user_id: int
    distance_m: float | None  # None when the position is unknown
    position_age_s: float | None
    stale: bool
    open_tasks: int


class ResponderState(StrEnum):
    """Where one dispatched responder stands."""

    dispatched = "dispatched"  # 已派遣, not yet acknowledged on the phone
    acknowledged = "acknowledged"  # 已响应, on the way
    arrived = "arrived"  # 已到场


class ArrivalKind(StrEnum):
    position = "position"  # a phone position inside the arrival radius
    check_in = "check_in"  # the officer said so on the phone (签到)


def candidates(
    officers: Sequence[Officer],
    site: LngLat,
    now: datetime,
    *,
    stale_after: timedelta = DEFAULT_STALE_AFTER,
    limit: int | None = None,
) -> list[Candidate]:
    """The officers on shift and on duty, nearest fresh position first (see the module)."""
    out: list[tuple[tuple[int, float, int, int], Candidate]] = []
    for officer in officers:
        if not (officer.on_shift and officer.on_duty):
            continue
        distance = haversine_m(officer.position, site) if officer.position else None
        age = (now - officer.located_at).total_seconds() if officer.located_at else None
        stale = age is None or age > stale_after.total_seconds()
        tier = 2 if distance is None else (1 if stale else 0)
        key = (
            tier,
            math.inf if distance is None else distance,
            officer.open_tasks,
            officer.user_id,
        )
        out.append(
            (
                key,
                Candidate(
                    user_id=officer.user_id,
                    distance_m=None if distance is None else round(distance, 1),
                    position_age_s=None if age is None else max(0.0, round(age, 1)),
                    stale=stale,
                    open_tasks=officer.open_tasks,
                ),
            )
        )
    out.sort(key=lambda pair: pair[0])
    ranked = [candidate for _, candidate in out]
    return ranked if limit is None else ranked[:limit]


def has_arrived(position: LngLat, site: LngLat, radius_m: float = DEFAULT_ARRIVAL_RADIUS_M) -> bool:
    """Whether a reported position (WGS-84) is at the site: within the radius, inclusive."""
    return haversine_m(position, site) <= radius_m


def state_of(acknowledged_at: datetime | None, arrived_at: datetime | None) -> ResponderState:
    """A responder's state from its milestones (arrival implies acknowledgement)."""
    if arrived_at is not None:
        return ResponderState.arrived
    if acknowledged_at is not None:
        return ResponderState.acknowledged
    return ResponderState.dispatched


def time_to_arrive_s(dispatched_at: datetime, arrived_at: datetime | None) -> float | None:
    """Seconds from dispatch to arrival (the duty figure 到场时长); None while on the way."""
    if arrived_at is None:
        return None
    return max(0.0, (arrived_at - dispatched_at).total_seconds())
