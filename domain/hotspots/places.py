"""Repeat places (高发点位): the same place with ≥ N cases of one type in 30 days.

Over the cases of the window (``now - 30 days`` < created ≤ ``now``), type by type:

1. each case's *neighbourhood* is the cases of its type within ``radius_m`` (50 m) of it,
   itself included (distance: equirectangular projection around the case's latitude,
   exact to well under a metre at 50 m);
2. the case with the largest neighbourhood (ties: the earliest, then the lowest id)
   becomes a place's centre if its neighbourhood holds ≥ ``min_cases`` cases; the place's
   cases are that neighbourhood, and they leave the pool;
3. repeat until no remaining case has ``min_cases`` within ``radius_m``.

So every case of a place is within ``radius_m`` of its centre case (a place is at most
100 m across), no case is in two places, and the result does not depend on the order of
the input. Places are ranked by cases (most first), then by the latest case.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

EARTH_RADIUS_M = 6_371_008.8
RADIUS_M = 50.0
WINDOW = timedelta(days=30)


class PlacedCase(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    violation_type: str
    lng: float
    lat: float
    created_at: datetime


class RepeatPlace(msgspec.Struct, frozen=True, kw_only=True):
    violation_type: str
    centre_case_id: int
    lng: float  # the centre case's position
    lat: float
    case_ids: tuple[int, ...]  # oldest first
    first_at: datetime
    last_at: datetime

    @property
    def cases(self) -> int:
        return len(self.case_ids)


def distance_m(a: PlacedCase, b: PlacedCase) -> float:
    """Metres between two cases (equirectangular; good at these distances)."""
    phi = math.radians((a.lat + b.lat) / 2)
    dx = math.radians(b.lng - a.lng) * math.cos(phi)
    dy = math.radians(b.lat - a.lat)
    return EARTH_RADIUS_M * math.hypot(dx, dy)


def repeat_places(
    cases: Iterable[PlacedCase],
    now: datetime,
    *,
    min_cases: int,
    radius_m: float = RADIUS_M,
    window: timedelta = WINDOW,
) -> list[RepeatPlace]:
    """The repeat places of the window ending at ``now`` (see the module docstring)."""
    if min_cases < 1:
        raise ValueError("min_cases is at least 1")
    by_type: dict[str, list[PlacedCase]] = defaultdict(list)
    for c in cases:
        if now - window < c.created_at <= now:
            by_type[c.violation_type].append(c)
    places: list[RepeatPlace] = []
    for vtype, group in by_type.items():
        places.extend(_places(vtype, group, min_cases, radius_m))
    places.sort(key=lambda p: (-p.cases, -p.last_at.timestamp(), p.centre_case_id))
    return places


def _places(
    vtype: str, group: list[PlacedCase], min_cases: int, radius_m: float
) -> list[RepeatPlace]:
    # Buckets a little wider than radius_m (metres east / north, one projection for the
    # group) bound the search to the 3 × 3 buckets around a case.
    lat0 = math.radians(sum(c.lat for c in group) / len(group))
    metres = math.pi / 180 * EARTH_RADIUS_M

    size = radius_m * 1.01

    def bucket(c: PlacedCase) -> tuple[int, int]:
        return (
            math.floor(c.lng * metres * math.cos(lat0) / size),
            math.floor(c.lat * metres / size),
        )

    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, c in enumerate(group):
        buckets[bucket(c)].append(i)
    near: list[set[int]] = []
    for c in group:
        bx, by = bucket(c)
        near.append(
            {
                j
                for dx in (-1, 0, 1)
                for dy in (-1, 0, 1)
                for j in buckets.get((bx + dx, by + dy), ())
                if distance_m(c, group[j]) <= radius_m
            }
        )
    left = set(range(len(group)))
    out: list[RepeatPlace] = []
    while True:
        best = min(
            left,
            key=lambda i: (-len(near[i] & left), group[i].created_at, group[i].id),
            default=None,
        )
        if best is None or len(near[best] & left) < min_cases:
            return out
        members = sorted((group[j] for j in near[best] & left), key=lambda c: (c.created_at, c.id))
        left -= near[best]
        centre = group[best]
        out.append(
            RepeatPlace(
                violation_type=vtype,
                centre_case_id=centre.id,
                lng=centre.lng,
                lat=centre.lat,
                case_ids=tuple(c.id for c in members),
                first_at=members[0].created_at,
                last_at=members[-1].created_at,
            )
        )
