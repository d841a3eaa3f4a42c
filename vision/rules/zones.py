"""Camera zones and the rules that watch them, as documented config plus small predicates.

Semantics (after Frigate's zones):

* A zone is a polygon in *normalised* image coordinates (``0..1`` on both axes, origin at
  the top-left), so one configuration survives a change of stream resolution.
* An object is in a zone when the **bottom centre** of its box — where a car's wheels or a
  stall's legs touch the ground — lies inside the polygon. A box that merely overlaps the
  zone (a car in the next lane whose roof reaches into it) is *not* in the zone.
* ``ZoneRule.min_area`` is a fraction of the whole image area; it drops far-away or
  spurious small boxes.
* ``ZoneRule.active_hours`` are local wall-clock windows ``[start, end)``; a window whose end
  is not after its start crosses midnight (``22:00–06:00``). Empty means always active.

The rule parameters mirror the catalogue's ``CameraRule`` (labels, min score, min count,
dwell) without importing it: ``vision`` stays independent of ``domain``, and the caller
maps one onto the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time

import msgspec
import numpy as np
from numpy.typing import NDArray

Point = tuple[float, float]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

_MIN_POLYGON_AREA = 1e-9  # in units of the whole image; rules out degenerate polygons


class ZoneRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What makes a violation in one zone: which labels, how sure, how many, how big,
    how long stationary, at what local times, and how long to wait before firing again.

    ``dwell_s == 0`` needs no stationarity (one sighting is enough); ``dwell_s > 0`` needs
    a track stationary for at least that long. ``labels`` may be given as any iterable of
    strings; it is kept as a ``frozenset``.
    """

    violation_type: str
    labels: frozenset[str]
    min_score: float
    min_count: int = 1
    min_area: float = 0.0
    dwell_s: int = 0
    active_hours: tuple[tuple[time, time], ...] = ()
    cooldown_s: int = 600

    def __post_init__(self) -> None:
        labels: Iterable[str] = self.labels
        if not isinstance(labels, frozenset):
            msgspec.structs.force_setattr(self, "labels", frozenset(labels))
        if not self.violation_type.strip():
            raise ValueError("violation_type must not be empty")
        if not self.labels or any(not label.strip() for label in self.labels):
            raise ValueError("labels must be a non-empty set of non-empty labels")
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], got {self.min_score}")
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1, got {self.min_count}")
        if not 0.0 <= self.min_area < 1.0:
            raise ValueError(f"min_area must be in [0, 1), got {self.min_area}")
        if self.dwell_s < 0 or self.cooldown_s < 0:
            raise ValueError("dwell_s and cooldown_s must not be negative")
        for start, end in self.active_hours:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("active_hours are local wall-clock times, without tzinfo")
            if start == end:
                raise ValueError(f"active window {start}–{end} is empty")


class Zone(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A named polygon of one camera's view and the rules evaluated in it.

    ``subject_id`` optionally ties the zone to a managed subject (a shop front, a site) so
    that a firing can name the responsible party.
    """

    id: str
    polygon: tuple[Point, ...]
    rules: tuple[ZoneRule, ...]
    subject_id: int | None = None

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("zone id must not be empty")
        if len(self.polygon) < 3:
            raise ValueError(f"zone {self.id}: polygon needs at least 3 points")
        coords = np.asarray(self.polygon, dtype=np.float64)
        if coords.shape != (len(self.polygon), 2) or not np.all(np.isfinite(coords)):
            raise ValueError(f"zone {self.id}: polygon points must be finite (x, y) pairs")
        if np.any(coords < 0.0) or np.any(coords > 1.0):
            raise ValueError(f"zone {self.id}: polygon must lie in normalised coords 0..1")
        if polygon_area(self.polygon) <= _MIN_POLYGON_AREA:
            raise ValueError(f"zone {self.id}: polygon has no area")
        types = [rule.violation_type for rule in self.rules]
        if len(set(types)) != len(types):
            raise ValueError(f"zone {self.id}: one rule per violation type")


def polygon_area(polygon: tuple[Point, ...]) -> float:
    """Unsigned area of a simple polygon (shoelace formula), in normalised units."""
    coords = np.asarray(polygon, dtype=np.float64)
    x, y = coords[:, 0], coords[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def points_in_polygon(polygon: tuple[Point, ...], xs: FloatArray, ys: FloatArray) -> BoolArray:
    """Ray casting, vectorised over points and edges: which ``(xs[i], ys[i])`` are inside.

    Points exactly on an edge may land on either side; zones are drawn by hand, so the
    boundary carries no meaning.
    """
    coords = np.asarray(polygon, dtype=np.float64)
    x1, y1 = coords[:, 0], coords[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    px, py = np.asarray(xs, dtype=np.float64)[:, None], np.asarray(ys, dtype=np.float64)[:, None]
    straddles = (y1 > py) != (y2 > py)  # (points, edges)
    dy = np.where(y2 == y1, 1.0, y2 - y1)  # horizontal edges never straddle; avoid 0/0
    crossing_x = x1 + (py - y1) * (x2 - x1) / dy
    crossings = np.count_nonzero(straddles & (px < crossing_x), axis=1)
    inside: BoolArray = crossings % 2 == 1
    return inside


def contains(zone: Zone, x: float, y: float) -> bool:
    """Whether the normalised point ``(x, y)`` lies inside ``zone``."""
    return bool(points_in_polygon(zone.polygon, np.array([x]), np.array([y]))[0])


def bottom_centres_in(
    zone: Zone, boxes_xyxy: NDArray[np.floating], width: int, height: int
) -> BoolArray:
    """For each pixel box ``(x1, y1, x2, y2)`` of a ``width``×``height`` image, whether its
    bottom-centre point lies inside ``zone``."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    xs = (boxes[:, 0] + boxes[:, 2]) / (2.0 * width)
    ys = boxes[:, 3] / float(height)
    return points_in_polygon(zone.polygon, xs, ys)


def area_fractions(boxes_xyxy: NDArray[np.floating], width: int, height: int) -> FloatArray:
    """Each pixel box's area as a fraction of the ``width``×``height`` image."""
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    sides = np.clip(boxes[:, 2:] - boxes[:, :2], 0.0, None)
    fractions: FloatArray = sides[:, 0] * sides[:, 1] / (float(width) * float(height))
    return fractions


def active_at(rule: ZoneRule, local_time: time) -> bool:
    """Whether ``rule`` is active at the local wall-clock ``local_time``.

    Windows are half-open ``[start, end)``; when ``end <= start`` the window crosses
    midnight. No windows means always active.
    """
    if not rule.active_hours:
        return True
    now = local_time.replace(tzinfo=None)
    for start, end in rule.active_hours:
        if start < end:
            if start <= now < end:
                return True
        elif now >= start or now < end:
            return True
    return False
