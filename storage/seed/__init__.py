"""Reference and demo data: the 14 Minhang squads, their grid cells, demo staff."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from domain.auth.passwords import hash_password
from domain.geo import area_m2
from domain.org import Role
from storage.db import engine
from storage.tables import GridCell, Squad, StaffUser

HERE = Path(__file__).parent
DEMO_PASSWORD = "offsite-demo"


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


async def seed_demo(now: datetime, password_cost: int) -> list[DemoUser]:
    """The demo district: squads, grid cells and one account per role (idempotent)."""
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
    return list(DEMO_USERS)
