"""Demo check-in points (巡查签到点) and equipment (装备) in 江川路 and 莘庄镇, and today's
day shift (08:00-20:00 Shanghai) for one body camera, so the phone and the console have
something to show. Idempotent: by point name and equipment code."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import msgspec

from domain.geo import CoordType, LngLat
from domain.patrol.checkins import EVERY_DAY, BindingKind, Plan
from domain.patrol.equipment import EquipmentKind, Span
from storage import equipment, patrol
from storage.geography import GeoIndex
from storage.tables import CheckinPoint, Equipment, EquipmentAssignment, StaffUser, Subject

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAYS = frozenset(range(1, 6))


class DemoPoint(msgspec.Struct, frozen=True):
    name: str
    at: LngLat
    radius_m: int
    per_day: int
    weekdays: frozenset[int] = EVERY_DAY
    subject: str | None = None  # bound to this demo subject, by name


class DemoItem(msgspec.Struct, frozen=True):
    code: str
    kind: EquipmentKind
    label: str
    squad_at: LngLat  # the squad where it is kept
    holder: str | None = None  # today's day shift, by username


DEMO_POINTS = (
    DemoPoint("江川路菜场门口", LngLat(121.40052, 31.00045), 50, 3),
    DemoPoint("老街水果店", LngLat(121.39950, 30.99960), 30, 2, subject="老街水果店"),
    DemoPoint("江川路地块工地", LngLat(121.40050, 31.00040), 80, 1, WORKDAYS, "江川路地块住宅项目"),
    DemoPoint("莘庄地铁站北广场", LngLat(121.36948, 31.10955), 100, 4),
)
JIANGCHUAN, XINZHUANG = LngLat(121.39948, 30.99955), LngLat(121.36948, 31.10955)
DEMO_ITEMS = (
    DemoItem("JC-CAR-01", EquipmentKind.vehicle, "江川路执法车 沪A·D0001", JIANGCHUAN),
    DemoItem(
        "JC-JLY-01",
        EquipmentKind.body_camera,
        "执法记录仪 JC-01",
        JIANGCHUAN,
        "officer.jiangchuan1",
    ),
    DemoItem("JC-JLY-02", EquipmentKind.body_camera, "执法记录仪 JC-02", JIANGCHUAN),
    DemoItem("JC-DJJ-01", EquipmentKind.radio, "对讲机 JC-01", JIANGCHUAN),
    DemoItem("XZ-JLY-01", EquipmentKind.body_camera, "执法记录仪 XZ-01", XINZHUANG),
)


async def seed_patrol(geo: GeoIndex, now: datetime) -> None:
    for p in DEMO_POINTS:
        if await CheckinPoint.exists().where(CheckinPoint.name == p.name):
            continue
        placed = await geo.place(p.at)
        if placed.squad is None:
            continue
        binding = None
        if p.subject:
            row = await Subject.select(Subject.id).where(Subject.name == p.subject).first()
            binding = patrol.Binding(BindingKind.subject, row["id"]) if row else None
        new = patrol.NewPoint(
            squad_id=placed.squad.id,
            name=p.name,
            at=p.at,
            radius_m=p.radius_m,
            binding=binding,
            plan=Plan(p.per_day, p.weekdays),
        )
        await patrol.create_point(new, None, now, CoordType.wgs84)
    day = now.astimezone(SHANGHAI).date()
    shift = Span(
        datetime.combine(day, time(8), SHANGHAI), datetime.combine(day, time(20), SHANGHAI)
    )
    for item in DEMO_ITEMS:
        row = await Equipment.select(Equipment.id).where(Equipment.code == item.code).first()
        if row is None:
            placed = await geo.place(item.squad_at)
            if placed.squad is None:
                continue
            item_id = await equipment.create(placed.squad.id, item.kind, item.code, item.label)
        else:
            item_id = row["id"]
        if item.holder is None:
            continue
        holder = (
            await StaffUser.select(StaffUser.id).where(StaffUser.username == item.holder).first()
        )
        taken = await EquipmentAssignment.exists().where(
            (EquipmentAssignment.equipment == item_id)
            & (EquipmentAssignment.starts_at < shift.ends_at)
            & (EquipmentAssignment.ends_at > shift.starts_at)
        )
        if holder and not taken:
            await equipment.assign(item_id, holder["id"], shift, holder["id"], now)
