"""Shapes of the organisation's resources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from domain.geo import Location
from domain.org import GridCell, Role, Squad, User

Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{5,20}$")]


class SquadSummary(msgspec.Struct, frozen=True):
    id: int
    code: str
    name_zh: str


class SquadRead(msgspec.Struct, frozen=True):
    """A squad (中队) and its jurisdiction polygon (GeoJSON, WGS-84)."""

    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    centre: Location
    boundary: dict[str, Any]

    @classmethod
    def of(cls, s: Squad) -> SquadRead:
        return cls(
            s.id,
            s.code,
            s.name_zh,
            s.name_en,
            s.kind,
            Location.from_wgs84(s.centre_lng, s.centre_lat),
            s.boundary,
        )


class SquadPage(msgspec.Struct, frozen=True):
    items: list[SquadRead]
    next_cursor: str | None = None


class GridRead(msgspec.Struct, frozen=True):
    """A grid cell (网格), about 10,000 m²."""

    id: int
    code: str
    squad_id: int
    name_zh: str
    area_m2: float
    boundary: dict[str, Any]

    @classmethod
    def of(cls, g: GridCell) -> GridRead:
        return cls(g.id, g.code, g.squad_id, g.name_zh, round(g.area_m2, 1), g.boundary)


class GridPage(msgspec.Struct, frozen=True):
    items: list[GridRead]
    next_cursor: str | None


class AreaRef(msgspec.Struct, frozen=True):
    id: int
    code: str


class PlacementRead(msgspec.Struct, frozen=True):
    """Where a point falls: its squad (中队) and grid cell (网格); null outside them."""

    location: Location
    squad: AreaRef | None
    grid: AreaRef | None


class UserRead(msgspec.Struct, frozen=True):
    id: int
    username: str
    display_name: str
    role: Role
    role_label_zh: str
    squad_id: int | None
    phone: str | None
    is_active: bool
    wechat_bound: bool
    on_duty: bool
    last_location: Location | None
    last_located_at: datetime | None

    @classmethod
    def of(cls, u: User) -> UserRead:
        location = (
            Location.from_wgs84(u.last_lng, u.last_lat)
            if u.last_lng is not None and u.last_lat is not None
            else None
        )
        return cls(
            u.id,
            u.username,
            u.display_name,
            u.role,
            u.role.label_zh,
            u.squad_id,
            u.phone,
            u.is_active,
            u.wechat_bound,
            u.on_duty,
            location,
            u.last_located_at,
        )


class UserPage(msgspec.Struct, frozen=True):
    items: list[UserRead]
    next_cursor: str | None


class MeRead(msgspec.Struct, frozen=True):
    """The signed-in user, with their squad."""

    user: UserRead
    squad: SquadSummary | None


class DutyUpdate(msgspec.Struct, frozen=True):
    """Going on or off duty (在岗/离岗), with the phone's position if it has one."""

    on_duty: bool
    location: Location | None = None
    # The phone's reported accuracy of ``location`` (metres), kept with the track.
    accuracy_m: Annotated[float, msgspec.Meta(ge=0, le=100_000)] | None = None


class UserCreate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: Username
    display_name: Name
    password: Password
    role: Role
    squad_id: int | None = None
    phone: Phone | None = None


class UserUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Only the fields sent change."""

    display_name: Name | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    squad_id: int | msgspec.UnsetType | None = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
    password: Password | msgspec.UnsetType = msgspec.UNSET


class BindingCodeRead(msgspec.Struct, frozen=True):
    """Shown once: the user types it into the miniprogram on first WeChat sign-in."""

    binding_code: str
    expires_at: datetime
