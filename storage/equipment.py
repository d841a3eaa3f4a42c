"""The equipment registry (装备): items of a squad, their assignments to officers for a
time span (a shift), the current holder of each, and an officer's current equipment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from domain.errors import Conflict, InvalidInput, NotFound
from domain.org import Role, Scope
from domain.patrol.equipment import EquipmentKind, Span, check_free
from storage.db import engine
from storage.scoping import squad_filter
from storage.tables import Equipment, EquipmentAssignment


class Holder(msgspec.Struct, frozen=True, kw_only=True):
    """Who holds an item now, and until when."""

    user_id: int
    display_name: str
    assignment_id: int
    starts_at: datetime
    ends_at: datetime


class EquipmentRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    squad_id: int
    kind: EquipmentKind
    kind_label_zh: str
    code: str
    label: str
    active: bool
    holder: Holder | None  # now; None when nobody holds it


class AssignmentRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    equipment_id: int
    user_id: int
    display_name: str
    starts_at: datetime
    ends_at: datetime
    assigned_by: int | None


_SELECT = """SELECT e.id, e.squad AS squad_id, e.kind, e.code, e.label, e.active,
                    h.id AS assignment_id, h.officer AS holder_id, u.display_name,
                    h.starts_at, h.ends_at
               FROM equipment e
               LEFT JOIN LATERAL (SELECT id, officer, starts_at, ends_at
                                    FROM equipment_assignment a
                                   WHERE a.equipment = e.id AND a.starts_at <= {}
                                     AND a.ends_at > {}
                                   ORDER BY a.starts_at DESC LIMIT 1) h ON TRUE
               LEFT JOIN staff_user u ON u.id = h.officer"""


def _read(row: dict[str, Any]) -> EquipmentRead:
    kind = EquipmentKind(row["kind"])
    holder = (
        Holder(
            user_id=row["holder_id"],
            display_name=row["display_name"],
            assignment_id=row["assignment_id"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
        )
        if row["holder_id"] is not None
        else None
    )
    return EquipmentRead(
        id=row["id"],
        squad_id=row["squad_id"],
        kind=kind,
        kind_label_zh=kind.label_zh,
        code=row["code"],
        label=row["label"],
        active=row["active"],
        holder=holder,
    )


async def create(squad_id: int, kind: EquipmentKind, code: str, label: str) -> int:
    try:
        rows = await Equipment.raw(
            """INSERT INTO equipment (squad, kind, code, label) VALUES ({}, {}, {}, {})
               ON CONFLICT (code) DO NOTHING RETURNING id""",
            squad_id,
            kind.value,
            code,
            label,
        )
    except asyncpg.ForeignKeyViolationError as exc:
        raise InvalidInput("squad_not_found", f"no squad {squad_id}") from exc
    if not rows:
        raise Conflict("equipment_code_taken", f"an item with code {code} is registered")
    return int(rows[0]["id"])


async def get(equipment_id: int, now: datetime) -> EquipmentRead | None:
    rows = await Equipment.raw(_SELECT + " WHERE e.id = {}", now, now, equipment_id)
    return _read(rows[0]) if rows else None


async def update(equipment_id: int, label: str | None, active: bool | None, now: datetime) -> None:
    values: dict[Any, Any] = {Equipment.updated_at: now}
    if label is not None:
        values[Equipment.label] = label
    if active is not None:
        values[Equipment.active] = active
    await Equipment.update(values).where(Equipment.id == equipment_id)


async def listing(
    scope: Scope, now: datetime, kind: EquipmentKind | None, include_inactive: bool
) -> list[EquipmentRead]:
    """The scope's items with their current holder (for the console map: by user id)."""
    args: list[object] = [now, now]
    where = squad_filter(scope, "e.squad", args)
    if kind is not None:
        args.append(kind.value)
        where += " AND e.kind = {}"
    if not include_inactive:
        where += " AND e.active"
    rows = await Equipment.raw(_SELECT + f" WHERE TRUE{where} ORDER BY e.id", *args)
    return [_read(r) for r in rows]


async def held_by(user_id: int, now: datetime) -> list[EquipmentRead]:
    """What the officer holds now."""
    rows = await Equipment.raw(_SELECT + " WHERE h.officer = {} ORDER BY e.id", now, now, user_id)
    return [_read(r) for r in rows]


async def assign(
    equipment_id: int, user_id: int, span: Span, by: int, now: datetime
) -> AssignmentRead:
    """Hand the item to an officer of its squad for ``span``; refused when the span
    overlaps another assignment of the item (the item's row lock makes two concurrent
    assignments take turns)."""
    async with engine().transaction():
        item = await Equipment.raw(
            "SELECT squad, active FROM equipment WHERE id = {} FOR UPDATE", equipment_id
        )
        if not item:
            raise NotFound("equipment_not_found", f"no equipment {equipment_id}")
        if not item[0]["active"]:
            raise Conflict("equipment_inactive", "the item is out of service")
        person = await Equipment.raw(
            "SELECT squad, role, is_active AS active FROM staff_user WHERE id = {}", user_id
        )
        if (
            not person
            or person[0]["squad"] != item[0]["squad"]
            or not person[0]["active"]
            or not Role(person[0]["role"]).is_squad_bound
        ):
            raise InvalidInput(
                "equipment_holder_invalid", "assign items to active staff of the item's squad"
            )
        taken = await EquipmentAssignment.raw(
            """SELECT starts_at, ends_at FROM equipment_assignment
                WHERE equipment = {} AND starts_at < {} AND ends_at > {}""",
            equipment_id,
            span.ends_at,
            span.starts_at,
        )
        check_free(span, [Span(t["starts_at"], t["ends_at"]) for t in taken])
        rows = await EquipmentAssignment.raw(
            """INSERT INTO equipment_assignment (equipment, officer, starts_at, ends_at,
                                                 assigned_by, created_at)
               VALUES ({}, {}, {}, {}, {}, {}) RETURNING id""",
            equipment_id,
            user_id,
            span.starts_at,
            span.ends_at,
            by,
            now,
        )
    found = await assignments(equipment_id, assignment_id=rows[0]["id"])
    return found[0]


async def assignments(
    equipment_id: int, *, assignment_id: int | None = None, since: datetime | None = None
) -> list[AssignmentRead]:
    """The item's assignments by start time (those ending after ``since``)."""
    args: list[object] = [equipment_id]
    where = ""
    if assignment_id is not None:
        args.append(assignment_id)
        where += " AND a.id = {}"
    if since is not None:
        args.append(since)
        where += " AND a.ends_at > {}"
    rows = await EquipmentAssignment.raw(
        f"""SELECT a.id, a.equipment AS equipment_id, a.officer AS user_id, u.display_name,
                   a.starts_at, a.ends_at, a.assigned_by
              FROM equipment_assignment a JOIN staff_user u ON u.id = a.officer
             WHERE a.equipment = {{}}{where} ORDER BY a.starts_at LIMIT 500""",
        *args,
    )
    return [msgspec.convert(r, AssignmentRead) for r in rows]


class Ended(msgspec.Struct, frozen=True):
    """An assignment ended early: removed when it had not started, else cut to now."""

    id: int
    removed: bool
    ends_at: datetime | None


async def end_assignment(equipment_id: int, assignment_id: int, now: datetime) -> Ended:
    """The item comes back (or a planned shift is off): a future assignment is removed,
    a current one ends now; one already over is left as the record it is."""
    async with engine().transaction():
        rows = await EquipmentAssignment.raw(
            """SELECT starts_at, ends_at FROM equipment_assignment
                WHERE id = {} AND equipment = {} FOR UPDATE""",
            assignment_id,
            equipment_id,
        )
        if not rows:
            raise NotFound("assignment_not_found", f"no assignment {assignment_id} of the item")
        span = Span(rows[0]["starts_at"], rows[0]["ends_at"])
        if span.ends_at <= now:
            raise Conflict("assignment_over", "the assignment is over already")
        if span.starts_at >= now:
            await EquipmentAssignment.delete().where(EquipmentAssignment.id == assignment_id)
            return Ended(assignment_id, True, None)
        await EquipmentAssignment.update({EquipmentAssignment.ends_at: now}).where(
            EquipmentAssignment.id == assignment_id
        )
    return Ended(assignment_id, False, now)
