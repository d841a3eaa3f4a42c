"""Auto-dispatch: which on-duty officer of a squad gets a new case."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from domain.geo import LngLat, haversine_m


class Candidate(msgspec.Struct, frozen=True):
    """An on-duty officer of the squad, with their open tasks and last known position."""

    user_id: int
    open_tasks: int
    position: LngLat | None


def choose_officer(candidates: Sequence[Candidate], point: LngLat | None) -> int | None:
    """Fewest open tasks first, then nearest last known position (unknown counts as far),
    then the lowest id so the choice is deterministic; None when nobody is on duty."""
    if not candidates:
        return None

    def distance(c: Candidate) -> float:
        if c.position is None or point is None:
            return math.inf
        return haversine_m(c.position, point)

    return min(candidates, key=lambda c: (c.open_tasks, distance(c), c.user_id)).user_id
