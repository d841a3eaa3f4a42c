"""Demo cases for the hotspot map (高发点位): the last five weeks of patrol reports in
江川路 and 莘庄镇 — scattered single cases, and a few clusters where a real district has
them: a fruit shop trading outside its door every week (a persistent hotspot and a
repeat place), bicycles piling up at the metro square last week (a new one), and
rubbish at the market three and two weeks ago (gone since). Then the weekly hotspot
refresh for those weeks, oldest first, so the trends build up as the cron would, and the
repeat places.

Made through ``create_case`` (placed, numbered, on the audit chain, dispatched as their
type says) at their own past times, then run round the closed loop through the same
commands the API runs, by the people a real squad has do them: the reporting officer
accepts and verifies on site (a checked photo each time, uploaded and checked as the app's
are), the squad leader reviews and closes. Most are closed in time, corrected on site or
ordered to rectify and rechecked; a few run late (ever overdue) and a couple are returned
once (rework); the last two days' cases are still open (most wait for the leader's
review), each step so far taken within its deadline. So the first escalation pass finds
nothing old to escalate, and the dashboards show a district at work. Deterministic
(fixed random seeds). Idempotent: no demo case is made when one exists (by the ``demo-``
external id).
"""

from __future__ import annotations

import io
import math
import random
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import msgspec
from PIL import Image, ImageDraw

from domain.cases.machine import (
    Accept,
    Actor,
    Assign,
    Close,
    Dispatch,
    Recheck,
    Return,
    Verify,
)
from domain.cases.model import Outcome, RecheckResult, Source, State
from domain.evidence import Purpose
from domain.geo import LngLat
from domain.org import Role, Scope
from domain.sla.calendar import WorkCalendar
from offsite.settings import EvidenceSettings
from storage import evidence, repeat_places
from storage.cases.commands import Deps, NewCase, create_case, run_command
from storage.cases.views import CaseDetail
from storage.db import engine
from storage.geography import GeoIndex
from storage.hotspots import refresh_week
from storage.objects import ObjectStore
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


class Fate(StrEnum):
    """How a demo case goes round the loop."""

    on_site = "on_site"  # corrected on site (当场整改)
    rectified = "rectified"  # ordered to rectify by a deadline, then rechecked (限期整改)
    late = "late"  # accepted after its deadline, then closed (ever overdue)
    rework = "rework"  # returned once at the review (退回), done again and closed


EXIF_IFD, DATETIME_ORIGINAL, OFFSET_ORIGINAL = 0x8769, 36867, 36881
RECENT = timedelta(days=3)  # younger cases may still be open (within their deadlines)
UNREVIEWED = timedelta(days=2)  # the leaders have not reviewed the last two days' work yet
LATE_SHARE = 0.06
REWORKED = 2


def fates(planned: list[Planned], now: datetime) -> list[Fate]:
    """Each planned case's fate (in ``planned``'s order): the late and reworked ones
    are among the cases older than ``RECENT``, whose loops are long closed."""
    rng = random.Random(20261204)
    out = [Fate.rectified if rng.random() < 0.3 else Fate.on_site for _ in planned]
    old = [i for i, p in enumerate(planned) if p.when < now - RECENT]
    picked = rng.sample(old, min(len(old), REWORKED + round(LATE_SHARE * len(planned))))
    for k, i in enumerate(picked):
        out[i] = Fate.rework if k < REWORKED else Fate.late
    return out


def next_step(
    rng: random.Random, prev: datetime, due: datetime | None, *, late: bool, on_site: bool
) -> datetime:
    """When the next step is taken after ``prev``: a share of the time left before the
    running deadline ``due`` (for the officer's own steps, accepting and verifying, at
    most an hour or so: an officer on patrol does not wait for the working day, which is
    what a deadline counts in); past it for a case that runs late; a few hours on where
    nothing is due (the leader's review)."""
    if due is None:
        return prev + timedelta(hours=rng.uniform(0.5, 8.0))
    if late:
        return max(prev, due) + timedelta(minutes=rng.uniform(20, 180))
    step = (due - prev) * rng.uniform(0.15, 0.7)
    if on_site:
        step = min(step, timedelta(minutes=rng.uniform(5, 75)))
    return prev + max(step, timedelta(seconds=30))


def demo_jpeg(number: str, purpose: Purpose, taken: datetime) -> bytes:
    """A small real photo for a step: a plain image with the case number on it, and the
    time it was taken in EXIF as a phone's camera writes it (else the check flags it)."""
    colour = (40, 110, 60) if purpose is Purpose.verification else (40, 70, 130)
    image = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(image)
    draw.text((16, 100), number, fill=(255, 255, 255))
    draw.text((16, 124), purpose.value, fill=(255, 255, 255))
    exif = Image.Exif()
    local = taken.astimezone(SHANGHAI)
    exif.get_ifd(EXIF_IFD).update(
        {DATETIME_ORIGINAL: local.strftime("%Y:%m:%d %H:%M:%S"), OFFSET_ORIGINAL: "+08:00"}
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


class Loop:
    """Runs one demo case round the closed loop, step by step at its own past times,
    through the commands and the evidence check the API and the worker run; stops at
    the first step still in the future (so an open case has every step so far in time),
    and at the review for the last ``UNREVIEWED`` days' cases."""

    def __init__(
        self,
        deps: Deps,
        store: ObjectStore,
        settings: EvidenceSettings,
        people: dict[str, Actor],
        now: datetime,
    ) -> None:
        self.deps, self.store, self.settings = deps, store, settings
        self.people, self.now = people, now

    async def run(
        self, case: CaseDetail, p: Planned, fate: Fate, officer: Actor, rng: random.Random
    ) -> CaseDetail:
        leader = self.people.get(f"leader:{case.squad_id}")
        squad, me = case.squad_id, officer.user_id
        if leader is None or squad is None or me is None or officer.squad_id != squad:
            return case  # outside the demo squads: nobody here to work it
        at = case.created_at + timedelta(minutes=rng.uniform(2, 10))
        if at > self.now:
            return case
        if case.state is State.pending_triage:
            dispatch = Dispatch(squad, me, "派遣至上报队员")
            case = await self._do(case, self.people["commander"], dispatch, at)
        elif case.assignee is None or case.assignee.id != me:
            case = await self._do(case, leader, Assign(me, "由上报队员处置"), at)
        returned = False
        while case.state is not State.closed:
            if case.state is State.pending_review and case.created_at > self.now - UNREVIEWED:
                break  # 待核查: no deadline runs while the leader has it
            late = fate is Fate.late and case.state is State.dispatched
            on_site = case.state in (State.dispatched, State.in_progress)
            at = next_step(rng, at, case.next_due_at, late=late, on_site=on_site)
            if at > self.now:
                break
            case = await self._advance(case, p, fate, officer, leader, at, returned)
            returned = returned or case.rework_count > 0
        return case

    async def _advance(
        self,
        case: CaseDetail,
        p: Planned,
        fate: Fate,
        officer: Actor,
        leader: Actor,
        at: datetime,
        returned: bool,
    ) -> CaseDetail:
        match case.state:
            case State.dispatched:
                return await self._do(case, officer, Accept("收到，前往现场"), at, p.at)
            case State.in_progress:
                photo = await self._photo(case, officer, Purpose.verification, p.at, at)
                if fate is Fate.rectified and not returned:
                    verify = Verify(
                        Outcome.rectification_ordered, "已责令限期整改", evidence_ids=(photo,)
                    )
                else:
                    verify = Verify(Outcome.corrected_on_site, "已当场整改", evidence_ids=(photo,))
                return await self._do(case, officer, verify, at, p.at)
            case State.awaiting_rectification:
                photo = await self._photo(case, officer, Purpose.recheck, p.at, at)
                recheck = Recheck(RecheckResult.corrected, "复查已整改", evidence_ids=(photo,))
                return await self._do(case, officer, recheck, at, p.at)
            case State.pending_review if fate is Fate.rework and not returned:
                return await self._do(
                    case, leader, Return("现场照片未反映整改结果，请补充核查"), at
                )
            case State.pending_review:
                return await self._do(case, leader, Close("审核通过，结案"), at)
        raise AssertionError(f"the demo loop has no step from {case.state}")

    async def _do(
        self,
        case: CaseDetail,
        actor: Actor,
        command: msgspec.Struct,
        at: datetime,
        position: LngLat | None = None,
    ) -> CaseDetail:
        return await run_command(
            self.deps,
            case.id,
            actor,
            Scope(actor.squad_id),
            command,
            version=case.version,
            now=at,
            position=position,
        )

    async def _photo(
        self, case: CaseDetail, officer: Actor, purpose: Purpose, where: LngLat, at: datetime
    ) -> str:
        """Upload a photo as the app's fallback does and check it as the worker does, a
        moment before the step it backs."""
        taken = at - timedelta(seconds=20)
        data = demo_jpeg(case.number, purpose, taken)
        uploaded = await evidence.direct(
            self.store,
            self.settings,
            case_id=case.id,
            actor=officer,
            scope=Scope(officer.squad_id),
            content_type="image/jpeg",
            purpose=purpose,
            file=io.BytesIO(data),
            size=len(data),
            report=evidence.Completion(position=where, captured_at=taken),
            now=taken,
        )
        await evidence.check(self.store, self.settings, uploaded.id, taken)
        return str(uploaded.id)


async def seed_demo_cases(now: datetime, store: ObjectStore, settings: EvidenceSettings) -> int:
    """Make the demo cases, run each round its loop, and refresh their weeks' hotspots;
    how many cases were made (0 when they exist already)."""
    if await Case.exists().where(Case.external_id.like(f"{PREFIX}%")):
        return 0
    from storage.seed import DEMO_USERS

    people: dict[str, Actor] = {}
    for r in await StaffUser.select(
        StaffUser.id, StaffUser.username, StaffUser.role, StaffUser.squad
    ).where(StaffUser.username.is_in([u.username for u in DEMO_USERS])):
        actor = Actor(r["id"], Role(r["role"]), r["squad"])
        people[r["username"]] = actor
        if actor.role is Role.squad_leader:
            people[f"leader:{r['squad']}"] = actor  # the squad's reviewer
    deps = Deps(calendar=WorkCalendar.load(), geo=GeoIndex())
    loop = Loop(deps, store, settings, people, now)
    rng = random.Random(20261205)
    planned = plan(now)
    made = 0
    # All or none: a seed stopped half-way leaves no half-worked loops behind (the
    # commands and checks join this transaction), so running it again starts afresh.
    async with engine().transaction():
        for p, fate in zip(planned, fates(planned, now), strict=True):
            officer = people.get(p.reporter)
            if officer is None:
                continue
            new = NewCase(
                source=Source.patrol,
                violation_type=p.violation_type,
                position=p.at,
                address=p.address,
                description="演示数据",
                external_id=p.key,
            )
            case = await create_case(deps, new, officer, p.when)
            await loop.run(case, p, fate, officer, rng)
            made += 1
    today = now.astimezone(SHANGHAI).date()
    for weeks_ago in range(WEEKS - 1, -1, -1):
        await refresh_week(today - timedelta(weeks=weeks_ago))
    await repeat_places.refresh(now)
    return made
