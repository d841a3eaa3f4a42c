"""How an operator gets in on a new installation, and the demo district."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from domain.org import Role
from offsite.settings import Settings
from storage.seed import (
    DEMO_BLOCK,
    DEMO_CAMERAS,
    DEMO_PASSWORD,
    DEMO_SUBJECTS,
    DEMO_USERS,
    seed_demo,
)
from storage.seed.patrol import DEMO_ITEMS, DEMO_POINTS
from storage.tables import (
    Camera,
    CheckinPoint,
    Equipment,
    EquipmentAssignment,
    GridCell,
    Squad,
    StaffUser,
    StreetBlock,
    Subject,
)
from tests.integration.cases_helpers import demo_store
from tests.integration.conftest import app_client, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def test_bootstrap_admin_is_created_only_when_no_admin_exists(settings: Settings) -> None:
    admins = await StaffUser.count().where(StaffUser.role == Role.admin.value)
    configured = msgspec.structs.replace(
        settings,
        auth=msgspec.structs.replace(settings.auth, bootstrap_admin="root.boot:first-pass-1"),
    )
    async with app_client(configured) as c:
        created = await StaffUser.exists().where(StaffUser.username == "root.boot")
        if admins == 0:
            assert created
            tokens = await login(c, {"username": "root.boot", "password": "first-pass-1"})
            assert (await c.get("/api/v1/users", headers=bearer(tokens))).status_code == 200
        else:
            assert not created


async def test_demo_seed_is_idempotent_and_complete(client) -> None:
    now = datetime.now(UTC)
    await seed_demo(now, 10, *demo_store(client))
    await seed_demo(now, 10, *demo_store(client))
    assert await Squad.count() == 14
    assert await GridCell.count() == 56
    for demo in DEMO_USERS:
        assert await StaffUser.count().where(StaffUser.username == demo.username) == 1
    assert {u.role for u in DEMO_USERS} == set(Role)
    for camera in DEMO_CAMERAS:
        row = (
            await Camera.select(Camera.squad, Camera.grid)
            .where(Camera.device_id == camera.device_id)
            .first()
        )
        assert row is not None and row["squad"] is not None and row["grid"] is not None
    subjects = await Subject.select(Subject.name, Subject.squad).where(
        Subject.name.is_in([s.name for s in DEMO_SUBJECTS])
    )
    assert len(subjects) == len(DEMO_SUBJECTS)
    blocks = await StreetBlock.select(StreetBlock.squad).where(StreetBlock.name == DEMO_BLOCK[0])
    assert len(blocks) == 1 and blocks[0]["squad"] is not None, "seeded once, in its squad"
    assert all(s["squad"] is not None for s in subjects)
    names = [p.name for p in DEMO_POINTS]
    assert await CheckinPoint.count().where(CheckinPoint.name.is_in(names)) == len(names)
    codes = [i.code for i in DEMO_ITEMS]
    assert await Equipment.count().where(Equipment.code.is_in(codes)) == len(codes)
    held = Equipment.select(Equipment.id).where(Equipment.code == "JC-JLY-01")
    assert await EquipmentAssignment.count().where(EquipmentAssignment.equipment.is_in(held)) == 1
    officer = await login(client, {"username": "officer.jiangchuan1", "password": DEMO_PASSWORD})
    me = (await client.get("/api/v1/me", headers=bearer(officer))).json()
    assert me["squad"]["name_zh"] == "江川路街道"
