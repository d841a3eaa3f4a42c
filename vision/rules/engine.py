"""Zone rules over tracks, with the open / clearance / cooldown life of each alert.

A rule of a zone *qualifies* at a sample when at least ``min_count`` tracks

* were seen in this sample (coasting tracks do not count),
* carry one of the rule's labels, with score ≥ ``min_score`` and area ≥ ``min_area``,
* have their box's bottom centre inside the zone, and
* have been stationary for at least ``dwell_s`` (no stationarity needed when it is 0).

Each ``(zone, violation type)`` then moves through a small state machine — the alert's
dedup key is camera + zone + rule while open, with a cooldown after:

=========  ==================================  =========  =================
phase      sample                              next       emits
=========  ==================================  =========  =================
idle       qualifies                           open       ``Firing``
open       qualifies                           open       ``StillPresent``
open       empty, ``cleared_after`` in a row   cooling    ``Cleared`` (once)
open       empty, fewer in a row               open       —
cooling    qualifies, cooldown passed          open       ``Firing``
cooling    otherwise                           cooling    —
=========  ==================================  =========  =================

The cooldown (``ZoneRule.cooldown_s``) runs from the sample that cleared. Outside a rule's
active hours the rule is not evaluated at all: its state stands still, so an alert opened
just before the window closes neither clears nor re-fires overnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

import msgspec
import numpy as np

from vision.rules.tracker import Box, Track
from vision.rules.zones import (
    BoolArray,
    FloatArray,
    Zone,
    ZoneRule,
    active_at,
    area_fractions,
    bottom_centres_in,
)


class Firing(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A rule started to hold in a zone: a new alert. Boxes are the qualifying tracks'
    latest boxes in source pixels, in the order of ``track_ids``."""

    zone_id: str
    violation_type: str
    track_ids: tuple[int, ...]
    boxes: tuple[Box, ...]
    subject_id: int | None = None


class StillPresent(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The rule of an open alert still holds at this sample (an observation on its case)."""

    zone_id: str
    violation_type: str
    track_ids: tuple[int, ...] = ()
    boxes: tuple[Box, ...] = ()


class Cleared(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The rule of an open alert has not held for ``cleared_after`` samples in a row."""

    zone_id: str
    violation_type: str


Event = Firing | StillPresent | Cleared


class Phase(StrEnum):
    """Where one (zone, violation type) is in its alert life."""

    idle = "idle"  # never fired (or forgotten)
    open = "open"  # fired and not yet cleared
    cooling = "cooling"  # cleared; a new firing waits for the cooldown


class RuleState(msgspec.Struct, frozen=True, kw_only=True):
    """The state of one (zone, violation type): its phase, the run of empty samples while
    open, and when it cleared (for the cooldown)."""

    phase: Phase = Phase.idle
    empty_samples: int = 0
    cleared_at: datetime | None = None


class Action(StrEnum):
    """What one transition asks the engine to emit."""

    none = "none"
    fire = "fire"
    still_present = "still_present"
    cleared = "cleared"


def transition(
    state: RuleState, qualifies: bool, at: datetime, cooldown_s: int, cleared_after: int
) -> tuple[RuleState, Action]:
    """One sample's step of the alert state machine (see the module table). Pure."""
    if state.phase is Phase.open:
        if qualifies:
            return RuleState(phase=Phase.open), Action.still_present
        empty = state.empty_samples + 1
        if empty >= cleared_after:
            return RuleState(phase=Phase.cooling, cleared_at=at), Action.cleared
        return RuleState(phase=Phase.open, empty_samples=empty), Action.none
    if not qualifies:
        return state, Action.none
    # Only a cooling state has ``cleared_at``; idle fires at once.
    if state.cleared_at is not None and at - state.cleared_at < timedelta(seconds=cooldown_s):
        return state, Action.none
    return RuleState(phase=Phase.open), Action.fire


def qualifying_tracks(
    rule: ZoneRule,
    tracks: Sequence[Track],
    in_zone: BoolArray,
    areas: FloatArray,
    at: datetime,
) -> list[Track]:
    """The tracks that count for ``rule`` at ``at``; ``in_zone`` and ``areas`` are per
    track (bottom centre in the zone, area fraction). Does not apply ``min_count``."""
    dwell = timedelta(seconds=rule.dwell_s)
    chosen = []
    for track, inside, area in zip(tracks, in_zone, areas, strict=True):
        if not inside or track.missed or track.label not in rule.labels:
            continue
        if track.score < rule.min_score or area < rule.min_area:
            continue
        if rule.dwell_s and (track.stationary_since is None or at - track.stationary_since < dwell):
            continue
        chosen.append(track)
    return chosen


class RuleEngine:
    """The zone rules of one camera and the alert state of each (zone, violation type).

    Call :meth:`evaluate` once per sample, after the camera's tracker, in time order.
    """

    def __init__(self, cleared_after: int = 3) -> None:
        if cleared_after < 1:
            raise ValueError("cleared_after must be at least 1")
        self.cleared_after = cleared_after
        self._states: dict[tuple[str, str], RuleState] = {}
        self._last_at: datetime | None = None

    def state(self, zone_id: str, violation_type: str) -> RuleState:
        """The alert state of one (zone, violation type); idle when never fired."""
        return self._states.get((zone_id, violation_type), RuleState())

    def evaluate(
        self,
        tracks: Sequence[Track],
        zones: Sequence[Zone],
        width: int,
        height: int,
        at: datetime,
        local_tz: tzinfo,
    ) -> list[Event]:
        """Evaluate every rule of every zone on one sample of ``width``×``height`` pixels
        taken at ``at`` (aware); ``local_tz`` places ``active_hours``. Returns the events
        in zone order, then rule order. State of zones or rules no longer configured is
        dropped."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("at must be timezone-aware")
        if self._last_at is not None and at < self._last_at:
            raise ValueError(f"sample at {at} is before the previous one at {self._last_at}")
        self._last_at = at
        configured = {(z.id, r.violation_type) for z in zones for r in z.rules}
        self._states = {k: s for k, s in self._states.items() if k in configured}
        local_time = at.astimezone(local_tz).timetz()
        boxes = np.array([t.box for t in tracks], dtype=np.float64).reshape(-1, 4)
        areas = area_fractions(boxes, width, height)
        events: list[Event] = []
        for zone in zones:
            in_zone = bottom_centres_in(zone, boxes, width, height)
            for rule in zone.rules:
                if not active_at(rule, local_time):
                    continue
                chosen = qualifying_tracks(rule, tracks, in_zone, areas, at)
                event = self._step(zone, rule, chosen, at)
                if event is not None:
                    events.append(event)
        return events

    def _step(self, zone: Zone, rule: ZoneRule, chosen: list[Track], at: datetime) -> Event | None:
        key = (zone.id, rule.violation_type)
        qualifies = len(chosen) >= rule.min_count
        state, action = transition(
            self.state(*key), qualifies, at, rule.cooldown_s, self.cleared_after
        )
        self._states[key] = state
        ids = tuple(t.id for t in chosen)
        boxes = tuple(t.box for t in chosen)
        if action is Action.fire:
            return Firing(
                zone_id=zone.id,
                violation_type=rule.violation_type,
                track_ids=ids,
                boxes=boxes,
                subject_id=zone.subject_id,
            )
        if action is Action.still_present:
            return StillPresent(
                zone_id=zone.id, violation_type=rule.violation_type, track_ids=ids, boxes=boxes
            )
        if action is Action.cleared:
            return Cleared(zone_id=zone.id, violation_type=rule.violation_type)
        return None
