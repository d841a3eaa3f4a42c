"""The organisation's records as the rest of the code sees them (no ORM objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.org.roles import Role


class Squad(msgspec.Struct, frozen=True, kw_only=True):
    """A squad (中队) and its jurisdiction (辖区)."""

    id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    boundary: dict[str, Any]
    centre_lng: float
    centre_lat: float


class GridCell(msgspec.Struct, frozen=True, kw_only=True):
    """A grid cell (网格) of a squad."""

    id: int
    code: str
    squad_id: int
    name_zh: str
    boundary: dict[str, Any]
    area_m2: float


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A member of staff. ``password_hash`` stays inside the auth use cases."""

    id: int
    username: str
    display_name: str
    phone: str | None
    role: Role
    squad_id: int | None
    is_active: bool
    wechat_bound: bool
    on_duty: bool
    duty_changed_at: datetime | None
    last_lng: float | None
    last_lat: float | None
    last_located_at: datetime | None
    created_at: datetime
