"""装备: the registry's kinds and the rule for assigning an item to an officer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from domain.errors import Conflict, InvalidInput

MAX_ASSIGNMENT = timedelta(days=31)  # one span; a shift is hours, a loan at most a month


class EquipmentKind(StrEnum):
    vehicle = "vehicle"  # 执法车辆
    body_camera = "body_camera"  # 执法记录仪
    radio = "radio"  # 对讲机

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]


_LABELS_ZH = {
    EquipmentKind.vehicle: "执法车辆",
    EquipmentKind.body_camera: "执法记录仪",
    EquipmentKind.radio: "对讲机",
}


class Span(msgspec.Struct, frozen=True):
    """A time span [starts_at, ends_at)."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Span) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


def check_span(starts_at: datetime, ends_at: datetime) -> Span:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("assignment_span_invalid", "times need an offset")
    if ends_at <= starts_at:
        raise InvalidInput("assignment_span_invalid", "an assignment ends after it starts")
    if ends_at - starts_at > MAX_ASSIGNMENT:
        raise InvalidInput("assignment_span_invalid", "an assignment lasts at most 31 days")
    return Span(starts_at, ends_at)


def check_free(span: Span, taken: Iterable[Span]) -> None:
    """Refuse a span that overlaps another assignment of the same item."""
    for other in taken:
        if span.overlaps(other):
            raise Conflict(
                "equipment_assignment_overlap",
                "the item is assigned to someone else from "
                f"{other.starts_at.isoformat()} to {other.ends_at.isoformat()}",
                starts_at=other.starts_at.isoformat(),
                ends_at=other.ends_at.isoformat(),
            )
