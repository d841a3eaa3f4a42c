"""Request and response shapes of the duty model."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.params import PathParameter

from api.schemas import INT4_MAX
from domain.duty.roster import LeaveKind, Span
from domain.geo import Location
from domain.moments import AwareDatetime
from storage.duty.roll_calls import RollCallRead
from storage.duty.roster import LeaveRecord, ShiftRecord

Id = Annotated[int, msgspec.Meta(ge=1, le=INT4_MAX)]
Note = Annotated[str, msgspec.Meta(max_length=200)]
WeekPath = Annotated[
    str,
    PathParameter(
        pattern=r"^\d{4}-W\d{2}$",
        description="ISO week, e.g. 2026-W49: Monday 00:00 to Monday 00:00, Shanghai time.",
    ),
]


class ShiftCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One shift: the officer, from (inclusive) to (exclusive, ≤ 24 h later, may be the
    next day), and the grid cells or a note saying where to patrol."""

    officer_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    grid_ids: Annotated[list[Id], msgspec.Meta(max_length=200)] = msgspec.field(
        default_factory=list
    )
    area_note: Note | None = None


class RosterPut(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The week's shifts; they replace the week's roster as a whole."""

    shifts: Annotated[list[ShiftCreate], msgspec.Meta(max_length=2000)]


class RosterRead(msgspec.Struct, frozen=True, kw_only=True):
    """A squad's roster for one week (shifts that start in it)."""

    squad_id: int
    week: str
    starts_at: datetime
    ends_at: datetime
    shifts: list[ShiftRecord]

    @classmethod
    def of(cls, squad_id: int, week: str, span: Span, shifts: list[ShiftRecord]) -> RosterRead:
        return cls(
            squad_id=squad_id,
            week=week,
            starts_at=span.starts_at,
            ends_at=span.ends_at,
            shifts=shifts,
        )


class ShiftPage(msgspec.Struct, frozen=True):
    items: list[ShiftRecord]


class LeaveCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    officer_id: Id
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    kind: LeaveKind
    reason: Note | None = None


class LeavePage(msgspec.Struct, frozen=True):
    items: list[LeaveRecord]


class RollCallCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Ask an officer on shift to report their position within ``within_minutes``."""

    officer_id: Id
    within_minutes: Annotated[int, msgspec.Meta(ge=1, le=120)] = 10


class RollCallAnswer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The officer's answer: where they are now (any coord_type)."""

    location: Location
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None
    note: Note | None = None
    # The photo uploaded with the roll call's photo grant goes with the answer.
    photo: bool = False


class PhotoGrantRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    content_type: Annotated[str, msgspec.Meta(max_length=64, examples=["image/jpeg"])]


class RollCallPage(msgspec.Struct, frozen=True):
    items: list[RollCallRead]
    next_cursor: str | None = None
