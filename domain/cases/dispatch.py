"""Auto-dispatch: which officer of a squad gets a new case — one on shift (the roster
says so) and on duty (their phone says so)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from domain.geo import LngLat, haversine_m


class Candidate(msgspec.Struct, frozen=True):
    """An officer of the squad, with their open tasks, last known position, and whether
    they are on duty (在岗, from the phone) and on shift (from the roster)."""

    user_id: int
    open_tasks: int
    position: LngLat | None
    on_duty: bool = True
    on_shift: bool = True

    @property
    def available(self) -> bool:
        return self.on_duty and self.on_shift


def choose_officer(candidates: Sequence[Candidate], point: LngLat | None) -> int | None:
    """Among officers on shift and on duty: fewest open tasks first, then nearest last
    known position (unknown counts as far), then the lowest id so the choice is
    deterministic; None when nobody is available."""
    available = [c for c in candidates if c.available]
    if not available:
        return None

    def distance(c: Candidate) -> float:
        if c.position is None or point is None:
            return math.inf
        return haversine_m(c.position, point)

    return min(available, key=lambda c: (c.open_tasks, distance(c), c.user_id)).user_id
