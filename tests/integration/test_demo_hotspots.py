"""The demo seed's cases show on the hotspot map: a persistent hotspot and a repeat place
in 江川路, a new hotspot in 莘庄镇; and `offsite hotspots refresh` recomputes weeks."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import h3
import pytest

from domain.org import Role
from storage.hotspots import last_complete_week
from storage.seed import seed_demo
from storage.seed.cases import CLUSTERS, PREFIX, plan
from storage.tables import Case
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"


def _iso(week: date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


async def test_the_demo_seed_plants_hotspots_and_refreshes_their_weeks(
    client: AppClient,
) -> None:
    now = datetime.now(UTC)
    await seed_demo(now, password_cost=10)
    made = await Case.count().where(Case.external_id.like(f"{PREFIX}%"))
    assert made == len(plan(now))
    await seed_demo(now, password_cost=10)  # idempotent
    assert await Case.count().where(Case.external_id.like(f"{PREFIX}%")) == made

    week = _iso(last_complete_week(now))
    shop, square, _ = CLUSTERS
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    # All types together: the shop's doorway is hot week after week.
    got = await client.get(f"/api/v1/hotspots?week={week}", headers=bearer(leader))
    assert got.status_code == 200, got.text
    cell = h3.latlng_to_cell(shop.at.lat, shop.at.lng, 9)
    hot = {i["cell"]: i for i in got.json()["items"]}
    assert cell in hot and hot[cell]["trend"] == "persistent", got.json()
    assert hot[cell]["cases"] >= shop.per_week - 2  # a few land in the next cell

    places = await client.get(
        f"/api/v1/hotspots/places?type={shop.violation_type}", headers=bearer(leader)
    )
    assert places.status_code == 200
    assert any(p["cases"] >= shop.per_week for p in places.json()["items"])

    other = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    got = await client.get(
        f"/api/v1/hotspots?week={week}&type={square.violation_type}", headers=bearer(other)
    )
    cell = h3.latlng_to_cell(square.at.lat, square.at.lng, 9)
    hot = {i["cell"]: i for i in got.json()["items"]}
    assert cell in hot and hot[cell]["trend"] == "new", got.json()


def test_the_refresh_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "offsite.cli", "hotspots", "refresh", "--weeks", "2"],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    *weeks, places = lines
    assert len(weeks) == 2 and all(line.endswith("hot cell(s)") for line in weeks), lines
    assert places.endswith("repeat place(s)"), lines
    bad = subprocess.run(
        [sys.executable, "-m", "offsite.cli", "hotspots", "refresh", "--weeks", "0"],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
