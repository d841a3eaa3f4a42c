"""Reference and demo data: the 14 Minhang squads, their grid cells, demo staff,
a few cameras and supervised subjects, and five weeks of demo cases with their
hotspots (``storage.seed.cases``)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from domain.auth.passwords import hash_password
from domain.geo import LngLat, area_m2
from domain.org import Role
from offsite.settings import EvidenceSettings
from storage.db import engine
from storage.geography import GeoIndex
from storage.objects import ObjectStore
from storage.tables import Camera, DutyShift, GridCell, Squad, StaffUser, Subject

HERE = Path(__file__).parent
DEMO_PASSWORD = "offsite-demo"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class DemoUser(msgspec.Struct, frozen=True):
    username: str
    display_name: str
    role: Role
    squad_code: str | None = None


# One account per role; two squads get a leader and officers so jurisdiction shows.
DEMO_USERS = (
    DemoUser("admin", "系统管理员", Role.admin),
    DemoUser("commander", "指挥中心值班员", Role.commander),
    DemoUser("supervisor", "督察员", Role.supervisor),
    DemoUser("leader.jiangchuan", "江川路中队长", Role.squad_leader, "310112001"),
    DemoUser("officer.jiangchuan1", "江川路队员一", Role.officer, "310112001"),
    DemoUser("officer.jiangchuan2", "江川路队员二", Role.officer, "310112001"),
    DemoUser("leader.xinzhuang", "莘庄镇中队长", Role.squad_leader, "310112101"),
    DemoUser("officer.xinzhuang1", "莘庄镇队员一", Role.officer, "310112101"),
)


class DemoCamera(msgspec.Struct, frozen=True):
    device_id: str
    name: str
    at: LngLat
    published_location: str


class DemoSubject(msgspec.Struct, frozen=True):
    kind: str
    name: str
    address: str
    at: LngLat
    credit_code: str | None
    contact_name: str
    contact_phone: str


# Fictional, placed in the demo grid cells of 江川路 and 莘庄镇.
DEMO_CAMERAS = (
    DemoCamera(
        "31011200001310000001",
        "江川路沿街商铺 1 号探头",
        LngLat(121.39948, 30.99955),
        "江川路与沧源路路口东北角",
    ),
    DemoCamera(
        "31011200001310000002", "江川路菜场门口探头", LngLat(121.40052, 31.00045), "江川路菜场正门"
    ),
    DemoCamera(
        "31011210101310000001",
        "莘庄地铁站北广场探头",
        LngLat(121.36948, 31.10955),
        "莘庄地铁站北广场",
    ),
)
DEMO_SUBJECTS = (
    DemoSubject(
        "merchant",
        "老街水果店",
        "江川路 101 号",
        LngLat(121.39950, 30.99960),
        "92310112MA1DEM001C",
        "王某",
        "13800000001",
    ),
    DemoSubject(
        "merchant",
        "江川小吃",
        "江川路 105 号",
        LngLat(121.39960, 30.99962),
        None,
        "李某",
        "13800000002",
    ),
    DemoSubject(
        "construction_site",
        "江川路地块住宅项目",
        "江川路 200 号",
        LngLat(121.40050, 31.00040),
        "91310112MA1DEM003M",
        "张某",
        "13800000003",
    ),
    DemoSubject(
        "merchant",
        "莘庄便利店",
        "莘庄镇莘建路 12 号",
        LngLat(121.36950, 31.10960),
        "92310112MA1DEM002F",
        "赵某",
        "13800000004",
    ),
)


def _features(name: str) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads((HERE / name).read_text())["features"]
    return features


async def seed_squads(now: datetime) -> dict[str, int]:
    """Insert the squads and grid cells that are missing (by code); code -> squad id."""
    async with engine().transaction():
        for f in _features("minhang_squads.geojson"):
            p = f["properties"]
            if not await Squad.exists().where(Squad.code == p["code"]):
                await Squad.insert(
                    Squad(
                        code=p["code"],
                        name_zh=p["name_zh"],
                        name_en=p["name_en"],
                        kind=p["kind"],
                        boundary=json.dumps(f["geometry"]),
                        centre_lng=p["centre"][0],
                        centre_lat=p["centre"][1],
                        created_at=now,
                    )
                )
        ids = {r["code"]: r["id"] for r in await Squad.select(Squad.id, Squad.code)}
        for f in _features("minhang_grids.geojson"):
            p = f["properties"]
            if not await GridCell.exists().where(GridCell.code == p["code"]):
                await GridCell.insert(
                    GridCell(
                        code=p["code"],
                        squad=ids[p["squad_code"]],
                        name_zh=p["name_zh"],
                        boundary=json.dumps(f["geometry"]),
                        area_m2=area_m2(f["geometry"]),
                        created_at=now,
                    )
                )
    return ids


async def seed_demo(
    now: datetime, password_cost: int, store: ObjectStore, evidence: EvidenceSettings
) -> list[DemoUser]:
    """The demo district: squads, grid cells, one account per role, and demo cases with
    their photos in ``store`` (idempotent)."""
    squads = await seed_squads(now)
    password_hash = hash_password(DEMO_PASSWORD, cost=password_cost)
    async with engine().transaction():
        for u in DEMO_USERS:
            if await StaffUser.exists().where(StaffUser.username == u.username):
                continue
            await StaffUser.insert(
                StaffUser(
                    username=u.username,
                    display_name=u.display_name,
                    role=u.role.value,
                    squad=squads[u.squad_code] if u.squad_code else None,
                    password_hash=password_hash,
                    created_at=now,
                    updated_at=now,
                )
            )
    await _seed_field(now)
    await _seed_rosters(now)
    from storage.seed.cases import seed_demo_cases

    await seed_demo_cases(now, store, evidence)
    return list(DEMO_USERS)


# The demo's rosters (勤务排班): 江川路 round the clock in a day and a night shift (the
# night one crosses midnight), 莘庄镇's one officer all day, so the demo auto-dispatches
# at any hour. Shanghai wall-clock (start hour, length in hours).
DEMO_SHIFTS = {
    "officer.jiangchuan1": (7, 12),
    "officer.jiangchuan2": (19, 12),
    "officer.xinzhuang1": (0, 24),
}
DEMO_ROSTER_WEEKS = range(-1, 4)  # last week (its Sunday night runs into this Monday) to +3


async def _seed_rosters(now: datetime) -> None:
    """Each demo officer's shifts from last week to three weeks on; a week that already
    has shifts of the officer is left as it is (the seed is idempotent)."""
    today = now.astimezone(SHANGHAI).date()
    this_monday = today - timedelta(days=today.weekday())
    async with engine().transaction():
        for username, (hour, hours) in DEMO_SHIFTS.items():
            officer = (
                await StaffUser.select(StaffUser.id, StaffUser.squad)
                .where(StaffUser.username == username)
                .first()
            )
            if officer is None:
                continue
            for week in DEMO_ROSTER_WEEKS:
                monday = this_monday + timedelta(weeks=week)
                start = datetime.combine(monday, time(0), SHANGHAI)
                has = await DutyShift.exists().where(
                    (DutyShift.officer == officer["id"])
                    & (DutyShift.starts_at >= start)
                    & (DutyShift.starts_at < start + timedelta(days=7))
                )
                if has:
                    continue
                for day in range(7):
                    begins = datetime.combine(monday + timedelta(days=day), time(hour), SHANGHAI)
                    await DutyShift.insert(
                        DutyShift(
                            squad=officer["squad"],
                            officer=officer["id"],
                            starts_at=begins,
                            ends_at=begins + timedelta(hours=hours),
                            grid_ids=[],
                            area_note="演示排班",
                            created_at=now,
                        )
                    )


async def _seed_field(now: datetime) -> None:
    geo = GeoIndex()
    async with engine().transaction():
        for c in DEMO_CAMERAS:
            if await Camera.exists().where(Camera.device_id == c.device_id):
                continue
            placed = await geo.place(c.at)
            await Camera.insert(
                Camera(
                    device_id=c.device_id,
                    name=c.name,
                    lng=c.at.lng,
                    lat=c.at.lat,
                    squad=placed.squad.id if placed.squad else None,
                    grid=placed.grid.id if placed.grid else None,
                    published_location=c.published_location,
                    created_at=now,
                    updated_at=now,
                )
            )
        for subject in DEMO_SUBJECTS:
            if await Subject.exists().where(Subject.name == subject.name):
                continue
            placed = await geo.place(subject.at)
            await Subject.insert(
                Subject(
                    kind=subject.kind,
                    name=subject.name,
                    address=subject.address,
                    lng=subject.at.lng,
                    lat=subject.at.lat,
                    squad=placed.squad.id if placed.squad else None,
                    grid=placed.grid.id if placed.grid else None,
                    credit_code=subject.credit_code,
                    contact_name=subject.contact_name,
                    contact_phone=subject.contact_phone,
                    created_at=now,
                    updated_at=now,
                )
            )
        await _demo_programmes(geo, now)
    from storage.seed.patrol import seed_patrol

    await seed_patrol(geo, now)  # its own transactions: an assignment locks its item


# A demo street block around the 江川路 demo cameras, and the district's structure
# targets for the year: so the programme figures have something to show.
DEMO_BLOCK = (
    "江川路美丽街区（演示）",
    ((121.3975, 30.9980), (121.4015, 30.9980), (121.4015, 31.0010), (121.3975, 31.0010)),
)


async def _demo_programmes(geo: GeoIndex, now: datetime) -> None:
    from storage import blocks
    from storage.tables import StreetBlock, StructureTarget

    name, corners = DEMO_BLOCK
    if not await StreetBlock.exists().where(StreetBlock.name == name):
        await blocks.create(geo, name, [LngLat(lng, lat) for lng, lat in corners], None)
    year = now.astimezone(SHANGHAI).year
    if not await StructureTarget.exists().where(StructureTarget.year == year):
        await StructureTarget.insert(
            StructureTarget(year=year, squad=None, stock_demolish_m2=5000.0, new_max=0)
        )
