"""The demo seed's cases show on the hotspot map: a persistent hotspot and a repeat place
in 江川路, a new hotspot in 莘庄镇; they run the closed loop as a working district's do;
and `offsite hotspots refresh` recomputes weeks."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import h3
import pytest

from domain.cases.model import Outcome, State
from domain.evidence import Status
from domain.org import Role
from domain.sla.calendar import WorkCalendar
from storage.cases import aggregates
from storage.cases.escalation import escalate_due
from storage.cases.figures import GroupBy, indicators
from storage.hotspots import last_complete_week
from storage.seed import seed_demo
from storage.seed.cases import CLUSTERS, PREFIX, RECENT, REWORKED, UNREVIEWED, plan
from storage.tables import Case, CaseEscalation, Evidence
from tests.factories import make_user
from tests.integration.cases_helpers import demo_store
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _iso(week: date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


async def test_the_demo_seed_plants_hotspots_and_refreshes_their_weeks(
    client: AppClient,
) -> None:
    now = datetime.now(UTC)
    await seed_demo(now, 10, *demo_store(client))
    made = await Case.count().where(Case.external_id.like(f"{PREFIX}%"))
    assert made == len(plan(now))
    await seed_demo(now, 10, *demo_store(client))  # idempotent
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


async def test_the_demo_cases_run_the_closed_loop_like_a_working_district(
    client: AppClient,
) -> None:
    now = datetime.now(UTC)
    await seed_demo(now, 10, *demo_store(client))
    demo = Case.external_id.like(f"{PREFIX}%")
    cases = await Case.select(
        Case.id,
        Case.state,
        Case.created_at,
        Case.ever_overdue,
        Case.overdue,
        Case.rework_count,
        Case.outcome,
    ).where(demo)
    closed = [c for c in cases if c["state"] == State.closed.value]
    assert len(closed) > 0.75 * len(cases), len(closed)
    old = [c for c in cases if c["created_at"] < now - RECENT]
    assert all(c["state"] == State.closed.value for c in old)
    assert {c["outcome"] for c in closed} == {
        Outcome.corrected_on_site.value,
        Outcome.rectification_ordered.value,
    }
    late = [c for c in closed if c["ever_overdue"]]
    assert 0 < len(late) < 0.15 * len(cases)
    assert sum(c["rework_count"] for c in closed) == REWORKED
    open_ = [c for c in cases if c["state"] != State.closed.value]
    assert not any(c["overdue"] or c["ever_overdue"] for c in open_)
    recent = [c for c in cases if c["created_at"] > now - UNREVIEWED]
    assert recent and all(c["state"] != State.closed.value for c in recent)

    # Every on-site step is backed by a checked photo of its case, taken there and then.
    photos = (
        await Evidence.select(Evidence.status, Evidence.flags)
        .output(load_json=True)
        .where(Evidence.case.is_in([c["id"] for c in closed]))
    )
    assert len(photos) >= len(closed)
    assert all(p["status"] == Status.verified.value and p["flags"] == [] for p in photos)

    # The first escalation pass finds nothing old to escalate.
    await escalate_due(WorkCalendar.load(), datetime.now(UTC))
    escalated = await CaseEscalation.count().where(
        CaseEscalation.case.is_in([c["id"] for c in old])
    )
    assert escalated == 0

    await aggregates.refresh()
    today = now.astimezone(SHANGHAI).date()
    this_month = datetime.combine(today.replace(day=1), time(), SHANGHAI)
    last_month = datetime.combine(
        (this_month - timedelta(days=1)).date().replace(day=1), time(), SHANGHAI
    )
    (district,) = await indicators(last_month, this_month, GroupBy.district)
    assert district.closure_rate is not None and district.closure_rate > 0
