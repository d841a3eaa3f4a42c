"""Request and response shapes of the patrol check-ins (巡查签到)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from api.schemas import INT4_MAX
from domain.geo import Location
from domain.patrol.checkins import (
    EVERY_DAY,
    PLANNED_MAX,
    RADIUS_MAX_M,
    RADIUS_MIN_M,
    BindingKind,
    MonthFigures,
    Shortfall,
)
from storage.patrol import CheckinRead, PointRead

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["江川路菜场门口"])]
Radius = Annotated[
    int, msgspec.Meta(ge=RADIUS_MIN_M, le=RADIUS_MAX_M, description="metres", examples=[50])
]
PerDay = Annotated[int, msgspec.Meta(ge=0, le=PLANNED_MAX, description="check-ins a day")]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7, description="ISO weekday, Monday = 1")]
Weekdays = Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)]


class BindingIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The subject or street block the point stands for (of the point's squad)."""

    kind: BindingKind
    id: Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]


class CheckinPointCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    location: Location
    radius_m: Radius = 50
    binding: BindingIn | None = None
    planned_per_day: PerDay = 1
    weekdays: Weekdays = msgspec.field(default_factory=lambda: sorted(EVERY_DAY))
    squad_id: Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)] | None = None  # default: the
    # caller's squad, or (district roles) the squad where the point lies


class CheckinPointUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields given change; ``active: false`` takes the point out of use (its
    plan stops from that Shanghai day), ``binding: null`` unbinds it."""

    name: Name | None = None
    location: Location | None = None
    radius_m: Radius | None = None
    binding: BindingIn | msgspec.UnsetType | None = msgspec.UNSET
    planned_per_day: PerDay | None = None
    weekdays: Weekdays | None = None
    active: bool | None = None


class CheckinPointList(msgspec.Struct, frozen=True):
    items: list[PointRead]


class CheckinCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The phone's position at the check-in (any coordinate system)."""

    location: Location


class CheckinResult(msgspec.Struct, frozen=True):
    checkin: CheckinRead


class MissedList(msgspec.Struct, frozen=True, kw_only=True):
    """Per point and Shanghai day: planned, done and the shortfall (only the days that
    fell short). ``day_over`` is false for today."""

    squad_id: int
    from_: date = msgspec.field(name="from")
    to: date
    shortfall: int  # all the items' shortfalls together
    items: list[Shortfall]


class CheckinMonth(msgspec.Struct, frozen=True):
    """The month's check-ins for the duty figures (考评): planned up to today, done toward
    the plan, all done, and each officer's count."""

    squad_id: int
    month: str
    figures: MonthFigures
