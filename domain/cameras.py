"""Cameras as the bureau registers them: where frames come from, when they count, and the
zones of the picture that rules watch (normalised image coordinates, 0..1)."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

import msgspec

from domain.errors import InvalidInput


class SourceKind(StrEnum):
    http_snapshot = "http_snapshot"  # GET a JPEG from the camera or the platform
    rtsp = "rtsp"  # one frame per sample from a stream


class SourceAuth(StrEnum):
    none = "none"
    basic = "basic"
    digest = "digest"


Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Point = tuple[Fraction, Fraction]


class ZoneRuleSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A violation type watched in a zone; unset parameters come from the type's defaults."""

    violation_type: str
    min_score: Fraction | None = None
    min_count: Annotated[int, msgspec.Meta(ge=1)] | None = None
    min_area: Fraction = 0.0
    dwell_s: Annotated[int, msgspec.Meta(ge=0)] | None = None
    active_hours: list[tuple[time, time]] = []
    cooldown_s: Annotated[int, msgspec.Meta(ge=0)] = 600


class ZoneSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    polygon: Annotated[list[Point], msgspec.Meta(min_length=3, max_length=64)]
    rules: Annotated[list[ZoneRuleSpec], msgspec.Meta(min_length=1)]
    name: Annotated[str, msgspec.Meta(max_length=128)] = ""
    subject_id: int | None = None


def polygon_area(points: list[Point]) -> float:
    """Shoelace area (a fraction of the picture)."""
    twice = sum(
        x1 * y2 - x2 * y1
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    )
    return abs(twice) / 2


def check_zones(zones: list[ZoneSpec]) -> None:
    """Zones need distinct keys and a real area."""
    keys = [z.key for z in zones]
    if len(set(keys)) != len(keys):
        raise InvalidInput("zone_key_duplicate", "zone keys must differ within a camera")
    for zone in zones:
        if polygon_area(zone.polygon) < 1e-4:
            raise InvalidInput("zone_polygon_invalid", f"zone {zone.key} has (almost) no area")
