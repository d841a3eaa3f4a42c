"""A squad's officers as the squad leader picks one for a task: duty status (the phone's
word), whether the roster has them on shift and until when, last known position and its
age, and the open tasks each already carries."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.cases.model import TASK_STATES
from domain.geo import CoordType, Location
from domain.org import Role
from storage.duty.roster import current_shift_ends
from storage.tables import StaffUser

_TASK_STATES = [s.value for s in TASK_STATES]


class OfficerLoad(msgspec.Struct, frozen=True, kw_only=True):
    """One officer of the squad, for the assign picker (派单)."""

    id: int
    display_name: str
    on_duty: bool
    on_shift: bool
    shift_ends_at: datetime | None
    duty_changed_at: datetime | None
    last_location: Location | None
    last_located_at: datetime | None
    open_tasks: int
    overdue_tasks: int


async def squad_officers(
    squad_id: int, now: datetime, coord_type: CoordType = CoordType.wgs84
) -> list[OfficerLoad]:
    """The squad's active officers: on duty first, then the lightest load, then by name;
    positions in ``coord_type``; on shift at ``now`` by the roster."""
    rows = await StaffUser.raw(
        """SELECT u.id, u.display_name, u.on_duty, u.duty_changed_at, u.last_lng, u.last_lat,
                  u.last_located_at,
                  count(c.id) AS open_tasks, count(c.id) FILTER (WHERE c.overdue) AS overdue
             FROM staff_user u
             LEFT JOIN enforcement_case c
               ON c.assignee = u.id AND c.state = ANY({}::text[]) AND c.squad = u.squad
            WHERE u.squad = {} AND u.role = {} AND u.is_active
            GROUP BY u.id
            ORDER BY u.on_duty DESC, count(c.id), u.display_name, u.id""",
        _TASK_STATES,
        squad_id,
        Role.officer.value,
    )
    shift_ends = await current_shift_ends([r["id"] for r in rows], now)
    return [
        OfficerLoad(
            id=r["id"],
            display_name=r["display_name"],
            on_duty=r["on_duty"],
            on_shift=r["id"] in shift_ends,
            shift_ends_at=shift_ends.get(r["id"]),
            duty_changed_at=r["duty_changed_at"],
            last_location=(
                Location.from_wgs84(r["last_lng"], r["last_lat"], coord_type)
                if r["last_lng"] is not None
                else None
            ),
            last_located_at=r["last_located_at"],
            open_tasks=r["open_tasks"],
            overdue_tasks=r["overdue"],
        )
        for r in rows
    ]
