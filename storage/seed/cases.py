"""Demo cases for the hotspot map (高发点位): the last five weeks of patrol reports in
江川路 and 莘庄镇 — scattered single cases, and a few clusters where a real district has
them: a fruit shop trading outside its door every week (a persistent hotspot and a
repeat place), bicycles piling up at the metro square last week (a new one), and
rubbish at the market three and two weeks ago (gone since). Then the weekly hotspot
refresh for those weeks, oldest first, so the trends build up as the cron would, and the
repeat places.

Made through ``create_case`` (placed, numbered, on the audit chain, dispatched as their
type says) at their own past times; deterministic (a fixed random seed). Idempotent: no
demo case is made when one exists (by the ``demo-`` external id).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec

from domain.cases.machine import Actor
from domain.cases.model import Source
from domain.geo import LngLat
from domain.org import Role
from domain.sla.calendar import WorkCalendar
from storage import repeat_places
from storage.cases.commands import Deps, NewCase, create_case
from storage.geography import GeoIndex
from storage.hotspots import refresh_week
from storage.tables import Case, StaffUser

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKS = 5  # the current week and the four before it
PREFIX = "demo-"
METRES_PER_DEGREE = 111_320.0


class Cluster(msgspec.Struct, frozen=True):
    reporter: str  # demo officer (username)
    violation_type: str
    at: LngLat
    address: str
    weeks_ago: tuple[int, ...]
    per_week: int
    spread_m: float = 20.0


class Background(msgspec.Struct, frozen=True):
    reporter: str
    around: LngLat
    per_week: int
    radius_m: float = 1500.0


# By the demo subjects and cameras (storage/seed/__init__.py).
CLUSTERS = (
    Cluster("officer.jiangchuan1", "05-04", LngLat(121.39950, 30.99960), "江川路 101 号门前",
            (4, 3, 2, 1, 0), 9),
    Cluster("officer.xinzhuang1", "05-06", LngLat(121.36948, 31.10955), "莘庄地铁站北广场",
            (1,), 10),
    Cluster("officer.jiangchuan2", "01-02", LngLat(121.40052, 31.00045), "江川路菜场正门",
            (3, 2), 8),
)  # fmt: skip
BACKGROUND = (
    Background("officer.jiangchuan1", LngLat(121.3994755, 30.9995505), 12),
    Background("officer.xinzhuang1", LngLat(121.36950, 31.10960), 10),
)
BACKGROUND_TYPES = ("05-04", "05-06", "05-07", "05-11", "01-02", "05-05", "03-04")


class Planned(msgspec.Struct, frozen=True):
    reporter: str
    violation_type: str
    at: LngLat
    address: str
    when: datetime
    key: str


def _near(rng: random.Random, centre: LngLat, radius_m: float) -> LngLat:
    """A point within ``radius_m`` of ``centre``, uniform over the disc."""
    r = radius_m * rng.random() ** 0.5
    angle = rng.uniform(0.0, 2.0 * math.pi)
    dlat = r * math.sin(angle) / METRES_PER_DEGREE
    dlng = r * math.cos(angle) / (METRES_PER_DEGREE * math.cos(math.radians(centre.lat)))
    return LngLat(round(centre.lng + dlng, 6), round(centre.lat + dlat, 6))


def plan(now: datetime) -> list[Planned]:
    """The demo cases, each at a time of its week not after ``now``."""
    rng = random.Random(20261203)
    today = now.astimezone(SHANGHAI).date()
    this_monday = datetime.combine(today - timedelta(days=today.weekday()), time(), SHANGHAI)
    out: list[Planned] = []

    def when(weeks_ago: int) -> datetime:
        start = this_monday - timedelta(weeks=weeks_ago)
        span = min(timedelta(days=7), now - start)
        return start + span * rng.uniform(0.05, 0.95)

    for weeks_ago in range(WEEKS - 1, -1, -1):
        for b in BACKGROUND:
            for k in range(b.per_week):
                out.append(
                    Planned(
                        b.reporter,
                        rng.choice(BACKGROUND_TYPES),
                        _near(rng, b.around, b.radius_m),
                        "",
                        when(weeks_ago),
                        f"{PREFIX}{b.reporter}-{weeks_ago}-b{k}",
                    )
                )
        for c in CLUSTERS:
            if weeks_ago not in c.weeks_ago:
                continue
            for k in range(c.per_week):
                out.append(
                    Planned(
                        c.reporter,
                        c.violation_type,
                        _near(rng, c.at, c.spread_m),
                        c.address,
                        when(weeks_ago),
                        f"{PREFIX}{c.reporter}-{c.violation_type}-{weeks_ago}-{k}",
                    )
                )
    return sorted(out, key=lambda p: p.when)


async def seed_demo_cases(now: datetime) -> int:
    """Make the demo cases and refresh their weeks' hotspots; how many cases were made
    (0 when they exist already)."""
    if await Case.exists().where(Case.external_id.like(f"{PREFIX}%")):
        return 0
    officers = {
        r["username"]: Actor(r["id"], Role.officer, r["squad"])
        for r in await StaffUser.select(StaffUser.id, StaffUser.username, StaffUser.squad)
    }
    deps = Deps(calendar=WorkCalendar.load(), geo=GeoIndex())
    made = 0
    for p in plan(now):
        actor = officers.get(p.reporter)
        if actor is None:
            continue
        new = NewCase(
            source=Source.patrol,
            violation_type=p.violation_type,
            position=p.at,
            address=p.address,
            description="演示数据",
            external_id=p.key,
        )
        await create_case(deps, new, actor, p.when)
        made += 1
    today = now.astimezone(SHANGHAI).date()
    for weeks_ago in range(WEEKS - 1, -1, -1):
        await refresh_week(today - timedelta(weeks=weeks_ago))
    await repeat_places.refresh(now)
    return made
