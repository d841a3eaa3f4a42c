"""Patrol check-ins (巡查签到): the squads' check-in points, the check-ins officers make at
them (one transaction each, idempotent), missed plans and a month's figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from domain.cases.machine import Actor
from domain.errors import Conflict, InvalidInput, NotFound
from domain.geo import CoordType, LngLat, Location
from domain.org import Scope
from domain.patrol.checkins import (
    BindingKind,
    Done,
    MonthFigures,
    Plan,
    PointPlan,
    Shortfall,
    check_inside,
    check_interval,
    days_between,
    distance_to,
    local_day,
    missed,
    month_figures,
)
from storage import idempotency
from storage.db import engine
from storage.scoping import squad_filter
from storage.tables import CheckinPoint, PatrolCheckin

# The table each binding kind names, and its squad column: a point binds only to
# something of its own squad. A new kind (hotspot places) adds a line here.
_BINDING_SQL = {
    BindingKind.subject: "SELECT squad FROM subject WHERE id = {}",
    BindingKind.block: "SELECT squad FROM street_block WHERE id = {}",
}


class Binding(msgspec.Struct, frozen=True):
    """What the point stands for: a supervised subject, a street block (kinds may grow)."""

    kind: BindingKind
    id: int


class PointRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    squad_id: int
    name: str
    location: Location
    radius_m: int
    binding: Binding | None
    planned_per_day: int
    weekdays: list[int]
    active: bool
    created_at: datetime
    today_planned: int = 0  # Shanghai today
    today_done: int = 0  # by the squad
    today_mine: int = 0  # by the caller
    distance_m: float | None = None  # from `near`, when asked


class NewPoint(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int
    name: str
    at: LngLat
    radius_m: int
    binding: Binding | None
    plan: Plan


class PointChanges(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    at: LngLat | None = None
    radius_m: int | None = None
    binding: Binding | None = None
    unbind: bool = False
    plan: Plan | None = None
    active: bool | None = None


class CheckinRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    point_id: int
    officer_id: int
    at: datetime
    distance_m: float
    today_planned: int
    today_done: int


_COLUMNS = """p.id, p.squad AS squad_id, p.name, p.lng, p.lat, p.radius_m, p.binding_kind,
              p.binding_id, p.planned_per_day, p.weekdays, p.created_at, p.deactivated_at"""


def _plan(row: dict[str, Any]) -> PointPlan:
    return PointPlan(
        row["id"],
        row["name"],
        Plan(row["planned_per_day"], frozenset(row["weekdays"])),
        row["created_at"],
        row["deactivated_at"],
    )


def _read(row: dict[str, Any], coord_type: CoordType, today: date, **extra: Any) -> PointRead:
    binding = (
        Binding(BindingKind(row["binding_kind"]), row["binding_id"])
        if row["binding_kind"]
        else None
    )
    return PointRead(
        id=row["id"],
        squad_id=row["squad_id"],
        name=row["name"],
        location=Location.from_wgs84(row["lng"], row["lat"], coord_type),
        radius_m=row["radius_m"],
        binding=binding,
        planned_per_day=row["planned_per_day"],
        weekdays=sorted(row["weekdays"]),
        active=row["deactivated_at"] is None,
        created_at=row["created_at"],
        today_planned=_plan(row).planned_on(today),
        today_done=int(row.get("today_done") or 0),
        today_mine=int(row.get("today_mine") or 0),
        **extra,
    )


async def _check_binding(binding: Binding | None, squad_id: int) -> None:
    if binding is None:
        return
    rows = await CheckinPoint.raw(_BINDING_SQL[binding.kind], binding.id)
    if not rows or rows[0]["squad"] != squad_id:
        raise InvalidInput(
            "checkin_binding_invalid",
            f"no {binding.kind.value} {binding.id} in the point's squad",
        )


async def create_point(
    new: NewPoint, by: int | None, now: datetime, coord_type: CoordType
) -> PointRead:
    async with engine().transaction():
        await _check_binding(new.binding, new.squad_id)
        rows = await CheckinPoint.raw(
            """INSERT INTO checkin_point (squad, name, lng, lat, radius_m, binding_kind,
                      binding_id, planned_per_day, weekdays, created_by, created_at, updated_at)
               VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id""",
            new.squad_id,
            new.name,
            new.at.lng,
            new.at.lat,
            new.radius_m,
            new.binding.kind.value if new.binding else None,
            new.binding.id if new.binding else None,
            new.plan.per_day,
            sorted(new.plan.weekdays),
            by,
            now,
            now,
        )
    point = await get_point(rows[0]["id"], coord_type, now)
    assert point is not None
    return point


async def get_point(
    point_id: int, coord_type: CoordType, now: datetime, user_id: int | None = None
) -> PointRead | None:
    today = local_day(now)
    rows = await CheckinPoint.raw(
        f"""SELECT {_COLUMNS},
                   (SELECT count(*) FROM patrol_checkin c
                     WHERE c.point = p.id AND c.local_date = {{}}) AS today_done,
                   (SELECT count(*) FROM patrol_checkin c
                     WHERE c.point = p.id AND c.local_date = {{}} AND c.officer = {{}})
                     AS today_mine
              FROM checkin_point p WHERE p.id = {{}}""",
        today,
        today,
        user_id,
        point_id,
    )
    return _read(rows[0], coord_type, today) if rows else None


async def update_point(
    point_id: int, changes: PointChanges, now: datetime, coord_type: CoordType
) -> PointRead:
    async with engine().transaction():
        rows = await CheckinPoint.raw(
            f"SELECT {_COLUMNS} FROM checkin_point p WHERE p.id = {{}} FOR UPDATE", point_id
        )
        if not rows:
            raise NotFound("checkin_point_not_found", f"no check-in point {point_id}")
        current = rows[0]
        values: dict[Any, Any] = {CheckinPoint.updated_at: now}
        if changes.name is not None:
            values[CheckinPoint.name] = changes.name
        if changes.at is not None:
            values[CheckinPoint.lng] = changes.at.lng
            values[CheckinPoint.lat] = changes.at.lat
        if changes.radius_m is not None:
            values[CheckinPoint.radius_m] = changes.radius_m
        if changes.unbind:
            values[CheckinPoint.binding_kind] = None
            values[CheckinPoint.binding_id] = None
        elif changes.binding is not None:
            await _check_binding(changes.binding, current["squad_id"])
            values[CheckinPoint.binding_kind] = changes.binding.kind.value
            values[CheckinPoint.binding_id] = changes.binding.id
        if changes.plan is not None:
            values[CheckinPoint.planned_per_day] = changes.plan.per_day
            values[CheckinPoint.weekdays] = sorted(changes.plan.weekdays)
        if changes.active is not None and changes.active != (current["deactivated_at"] is None):
            values[CheckinPoint.deactivated_at] = None if changes.active else now
        await CheckinPoint.update(values).where(CheckinPoint.id == point_id)
    point = await get_point(point_id, coord_type, now)
    assert point is not None
    return point


async def list_points(
    scope: Scope,
    now: datetime,
    user_id: int,
    *,
    near: LngLat | None,
    coord_type: CoordType,
    include_inactive: bool,
    limit: int,
) -> list[PointRead]:
    """The scope's points with today's counts; nearest first when ``near`` is given."""
    today = local_day(now)
    args: list[object] = [user_id, today]
    where = squad_filter(scope, "p.squad", args)
    if not include_inactive:
        where += " AND p.deactivated_at IS NULL"
    rows = await CheckinPoint.raw(
        f"""SELECT {_COLUMNS}, coalesce(t.done, 0) AS today_done,
                   coalesce(t.mine, 0) AS today_mine
              FROM checkin_point p
              LEFT JOIN (SELECT point, count(*) AS done,
                                count(*) FILTER (WHERE officer = {{}}) AS mine
                           FROM patrol_checkin WHERE local_date = {{}} GROUP BY point) t
                ON t.point = p.id
             WHERE TRUE{where} ORDER BY p.id""",
        *args,
    )
    if near is None:
        return [_read(r, coord_type, today) for r in rows[:limit]]
    measured = sorted(
        ((distance_to(LngLat(r["lng"], r["lat"]), near), r) for r in rows), key=lambda d: d[0]
    )
    return [_read(r, coord_type, today, distance_m=d) for d, r in measured[:limit]]


async def check_in(
    point_id: int,
    actor: Actor,
    scope: Scope,
    position: LngLat,
    now: datetime,
    idem: idempotency.Key | None,
) -> CheckinRead:
    """Record the officer's check-in at the point, once: inside its radius, at an active
    point of their jurisdiction, not twice within the minimum interval."""
    assert actor.user_id is not None
    async with engine().transaction():
        if idem and (replay := await idempotency.begin(actor, idem)) is not None:
            return msgspec.convert(replay, CheckinRead)
        rows = await CheckinPoint.raw(
            f"SELECT {_COLUMNS} FROM checkin_point p WHERE p.id = {{}} FOR UPDATE", point_id
        )
        if not rows or not scope.covers(rows[0]["squad_id"]):
            raise NotFound("checkin_point_not_found", f"no check-in point {point_id}")
        point = rows[0]
        if point["deactivated_at"] is not None:
            raise Conflict("checkin_point_inactive", "this check-in point is no longer in use")
        distance = check_inside(LngLat(point["lng"], point["lat"]), point["radius_m"], position)
        last = await PatrolCheckin.raw(
            "SELECT max(at) AS at FROM patrol_checkin WHERE officer = {} AND point = {}",
            actor.user_id,
            point_id,
        )
        check_interval(last[0]["at"], now)
        today = local_day(now)
        inserted = await PatrolCheckin.raw(
            """INSERT INTO patrol_checkin (point, squad, officer, at, local_date, lng, lat,
                                           distance_m)
               VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id""",
            point_id,
            point["squad_id"],
            actor.user_id,
            now,
            today,
            position.lng,
            position.lat,
            distance,
        )
        done = await PatrolCheckin.count().where(
            (PatrolCheckin.point == point_id) & (PatrolCheckin.local_date == today)
        )
        result = CheckinRead(
            id=inserted[0]["id"],
            point_id=point_id,
            officer_id=actor.user_id,
            at=now,
            distance_m=distance,
            today_planned=_plan(point).planned_on(today),
            today_done=done,
        )
        if idem:
            await idempotency.finish(actor, idem, msgspec.to_builtins(result))
    return result


async def _plans(squad_id: int) -> list[PointPlan]:
    rows = await CheckinPoint.raw(
        f"SELECT {_COLUMNS} FROM checkin_point p WHERE p.squad = {{}} ORDER BY p.id", squad_id
    )
    return [_plan(r) for r in rows]


async def missed_checkins(squad_id: int, start: date, end: date, now: datetime) -> list[Shortfall]:
    """Per point and Shanghai day from ``start`` to ``end`` (up to today): the shortfall."""
    days = days_between(start, end)
    rows = await PatrolCheckin.raw(
        """SELECT point, local_date, count(*) AS n FROM patrol_checkin
            WHERE squad = {} AND local_date BETWEEN {} AND {} GROUP BY point, local_date""",
        squad_id,
        start,
        end,
    )
    done = {(r["point"], r["local_date"]): int(r["n"]) for r in rows}
    return missed(await _plans(squad_id), done, days, local_day(now))


async def month_summary(squad_id: int, start: date, now: datetime) -> MonthFigures:
    """The squad's check-ins done and planned in the month that starts on ``start``, up to
    today (the days still to come plan nothing yet)."""
    end = min((start + timedelta(days=32)).replace(day=1) - timedelta(days=1), local_day(now))
    days = days_between(start, end) if end >= start else []
    rows = await PatrolCheckin.raw(
        """SELECT point, officer, local_date FROM patrol_checkin
            WHERE squad = {} AND local_date BETWEEN {} AND {}""",
        squad_id,
        start,
        end,
    )
    checkins = [Done(r["point"], r["officer"], r["local_date"]) for r in rows]
    return month_figures(await _plans(squad_id), checkins, days)
