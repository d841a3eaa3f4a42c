"""The dashboard's day tables (storage.cases.aggregates) give the live SQL's figures and
the pure functions' on the same cases: after a rework, an extension, a dismissal as false
positive and a party's self-correction; after a later change to an older case (one
refresh); with decisions on several days (a case reviewed in a period counts once); the
trend's one read is the indicators month by month; and refreshing again changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.stats.controller import period_bounds
from domain.assessment import count
from domain.cases.machine import SYSTEM, Actor, Close, Reopen
from domain.cases.model import Source
from domain.geo import LngLat
from domain.org import Role
from domain.org.roles import Scope
from offsite.runtime import Runtime
from storage import alerts
from storage.cases import aggregates
from storage.cases.commands import NewCase, create_case, run_command
from storage.cases.dashboard import breakdown
from storage.cases.figures import (
    GroupBy,
    case_facts,
    indicators,
    indicators_by_month,
    live_indicators,
    live_precision,
    precision,
)
from storage.cases.soft import settle_due
from storage.tables import Case
from tests.factories import make_camera, make_merchant, make_user, squad_id
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
SHANGHAI = ZoneInfo("Asia/Shanghai")
JIANGCHUAN = "310112001"
TYPE = "02-01"
TRIAGED = "90-01"  # camera alerts of this type wait for triage
SOFT = "05-04"  # 店外经营: the ladder starts with the party
POINT = LngLat(121.3994755, 30.9995505)
COUNTED = (
    "cases",
    "dismissed",
    "closed",
    "closed_on_time",
    "reviewed",
    "reworked",
    "extended",
    "overdue",
    "notified",
    "self_corrected",
)


def _day(d: date) -> tuple[datetime, datetime]:
    start = datetime(d.year, d.month, d.day, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def _today() -> date:
    return datetime.now(SHANGHAI).date()


async def _assert_sums_are_live(start: datetime, end: datetime) -> None:
    for group_by in GroupBy:
        assert await indicators(start, end, group_by) == await live_indicators(
            start, end, group_by
        ), group_by
    assert await precision(start, end) == await live_precision(start, end)
    rows = await Case.raw(
        "SELECT count(*) AS n FROM enforcement_case WHERE created_at >= {} AND created_at < {}",
        start,
        end,
    )
    assert (await breakdown(start, end, squad_id=None)).total == rows[0]["n"]


async def _assert_pure(start: datetime, end: datetime, squad: int, vtype: str) -> None:
    """The summed figures of (squad, type) are ``count`` over the group's own rows."""
    got = await indicators(start, end, GroupBy.squad_type, squad_id=squad, violation_type=vtype)
    ids = await Case.select(Case.id).where((Case.squad == squad) & (Case.violation_type == vtype))
    counts = count(await case_facts([r["id"] for r in ids]), start, end)
    want = {k: getattr(counts, k) for k in COUNTED}
    if got:
        assert [{k: getattr(g, k) for k in COUNTED} for g in got] == [want]
    else:
        assert not any(want.values())


async def _self_corrected(runtime: Runtime, created: datetime) -> int:
    """A soft-enforcement camera case created at ``created``; the party corrects it."""
    camera = await make_camera("汇总探头", POINT.lng, POINT.lat)
    case = await create_case(
        runtime.cases,
        NewCase(
            source=Source.camera,
            violation_type=SOFT,
            position=POINT,
            subject_id=await make_merchant(
                "汇总水果店", POINT.lng, POINT.lat, address="江川路 92 号"
            ),
            camera_id=camera,
        ),
        SYSTEM,
        created,
    )
    assert case.state.value == "awaiting_rectification" and case.rectify_by is not None
    await alerts.observe(case.id, "cleared", {"camera_id": camera}, created)
    return case.id


async def _settle(runtime: Runtime, case_id: int) -> None:
    row = await Case.select(Case.rectify_by).where(Case.id == case_id).first()
    assert row is not None
    await settle_due(runtime.cases, row["rectify_by"] + timedelta(minutes=1))
    after = await Case.select(Case.state, Case.outcome).where(Case.id == case_id).first()
    assert after == {"state": "closed", "outcome": "self_corrected"}


class Officers:
    def __init__(self, client: AppClient) -> None:
        self.client = client

    async def start(self) -> None:
        self.squad = await squad_id(JIANGCHUAN)
        await quiet_squad(self.squad)
        self.officer = await login(
            self.client, await make_user(Role.officer, squad_code=JIANGCHUAN)
        )
        self.leader = await login(
            self.client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN)
        )
        self.supervisor = await login(self.client, await make_user(Role.supervisor))
        self.commander = await login(self.client, await make_user(Role.commander))
        await go_on_duty(self.client, self.officer, JIANGCHUAN_POINT)

    async def to_review(self) -> dict[str, Any]:
        case = await report(self.client, self.officer, TYPE)
        case = await command(self.client, self.officer, case, "accept")
        shot = await photo(self.client, self.officer, case)
        return await command(
            self.client,
            self.officer,
            case,
            "verify",
            outcome="corrected_on_site",
            location=JIANGCHUAN_POINT,
            evidence_ids=[shot],
        )


async def test_the_summed_days_are_the_live_figures_and_the_pure_ones(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    people = Officers(client)
    await people.start()
    closed = await command(client, people.leader, await people.to_review(), "close", note="ok")
    await command(client, people.supervisor, closed, "reopen", reason="not corrected")
    await command(client, people.leader, await people.to_review(), "return", reason="blurred")
    # An extension: a rectification ordered, then its deadline moved on.
    case = await command(
        client, people.officer, await report(client, people.officer, TYPE), "accept"
    )
    soon = datetime.now(UTC) + timedelta(days=3)
    case = await command(
        client, people.officer, case, "order-rectification", rectify_by=soon.isoformat()
    )
    case = await command(
        client,
        people.officer,
        case,
        "order-rectification",
        rectify_by=(soon + timedelta(days=2)).isoformat(),
    )
    assert (await Case.select(Case.extension_count).where(Case.id == case["id"]).first()) == {
        "extension_count": 1
    }
    # A camera alert dismissed as a false positive, one still waiting.
    camera = await make_camera("汇总探头", POINT.lng, POINT.lat)
    made = [
        await create_case(
            runtime.cases,
            NewCase(source=Source.camera, violation_type=TRIAGED, position=POINT, camera_id=camera),
            SYSTEM,
            datetime.now(UTC),
        )
        for _ in range(2)
    ]
    detail = (
        await client.get(f"/api/v1/cases/{made[0].id}", headers=bearer(people.commander))
    ).json()
    await command(client, people.commander, detail, "dismiss", reason="false_positive", note="x")
    await _settle(runtime, await _self_corrected(runtime, datetime.now(UTC)))

    done = await aggregates.refresh()
    assert done.days >= 1
    month = f"{_today():%Y-%m}"
    for start, end in (period_bounds(month), _day(_today())):
        await _assert_sums_are_live(start, end)
        for vtype in (TYPE, TRIAGED, SOFT):
            await _assert_pure(start, end, people.squad, vtype)
    got = await indicators(
        *period_bounds(month), GroupBy.squad_type, squad_id=people.squad, violation_type=TYPE
    )
    assert got[0].reworked >= 2 and got[0].extended >= 1
    # The responses carry the refresh's watermark, not the time of the read.
    response = await client.get(
        f"/api/v1/stats/indicators?period={month}", headers=bearer(people.commander)
    )
    assert datetime.fromisoformat(response.json()["refreshed_at"]) == done.refreshed_at


async def test_a_change_to_an_older_case_shows_after_one_refresh(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    created = datetime.now(UTC) - timedelta(days=3)
    case_id = await _self_corrected(runtime, created)
    squad = (await Case.select(Case.squad).where(Case.id == case_id).first() or {})["squad"]
    start, end = _day(created.astimezone(SHANGHAI).date())
    await aggregates.refresh()
    before = await indicators(start, end, GroupBy.squad_type, squad_id=squad, violation_type=SOFT)
    await _settle(runtime, case_id)  # closed now, three days after it was created
    # Until the refresh the figures are those of the watermark.
    assert (
        await indicators(start, end, GroupBy.squad_type, squad_id=squad, violation_type=SOFT)
        == before
    )
    await aggregates.refresh()
    after = await indicators(start, end, GroupBy.squad_type, squad_id=squad, violation_type=SOFT)
    assert after[0].closed == before[0].closed + 1
    assert after[0].self_corrected == before[0].self_corrected + 1
    await _assert_sums_are_live(start, end)
    await _assert_pure(start, end, squad, SOFT)


async def _closed_reopened_closed(
    client: AppClient, closed_days_ago: int, reopened_days_ago: int
) -> tuple[Officers, dict[str, Any], date]:
    """A case closed, reopened by the supervisor (rework) and closed again today, each
    at noon of its day; the figures refreshed. (The officers, the case, today.)"""
    runtime: Runtime = client.app.state.runtime
    people = Officers(client)
    await people.start()
    case = await people.to_review()
    today = _today()
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=SHANGHAI)
    leader = Actor(people.leader["user"]["id"], Role.squad_leader, people.squad)
    supervisor = Actor(people.supervisor["user"]["id"], Role.supervisor)
    closed = await run_command(
        runtime.cases,
        case["id"],
        leader,
        Scope(people.squad),
        Close(note="ok"),
        version=case["version"],
        now=noon - timedelta(days=closed_days_ago),
    )
    reopened = await run_command(
        runtime.cases,
        case["id"],
        supervisor,
        Scope(None),
        Reopen(reason="not corrected"),
        version=closed.version,
        now=noon - timedelta(days=reopened_days_ago),
    )
    again = await command(
        client,
        people.officer,
        (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(people.officer))).json(),
        "accept",
    )
    assert again["version"] > reopened.version
    shot = await photo(client, people.officer, again)
    again = await command(
        client,
        people.officer,
        again,
        "verify",
        outcome="corrected_on_site",
        location=JIANGCHUAN_POINT,
        evidence_ids=[shot],
    )
    await command(client, people.leader, again, "close", note="ok")
    await aggregates.refresh()
    return people, case, today


async def test_a_case_decided_on_several_days_counts_once_in_a_period(client: AppClient) -> None:
    # Closed two days ago, reopened yesterday (rework), closed again today.
    people, case, today = await _closed_reopened_closed(client, 2, 1)
    (facts,) = await case_facts([case["id"]])
    for first, days in ((-2, 3), (-2, 1), (-1, 1), (-1, 2), (0, 1)):
        start = _day(today + timedelta(days=first))[0]
        end = start + timedelta(days=days)
        mine = count([facts], start, end)
        assert mine.reviewed == 1
        assert mine.reworked == (1 if first <= -1 < first + days else 0)
        await _assert_sums_are_live(start, end)
        await _assert_pure(start, end, people.squad, TYPE)
    # Moved to another squad (a repair in SQL): every decision day follows it.
    other = await squad_id("310112101")
    await Case.update({Case.squad: other}).where(Case.id == case["id"])
    await aggregates.refresh()
    start = _day(today - timedelta(days=2))[0]
    for days in (1, 2, 3):
        await _assert_sums_are_live(start + timedelta(days=3 - days), _day(today)[1])
        await _assert_pure(start, start + timedelta(days=days), other, TYPE)


async def _assert_trend_is_per_month(first: date, months: int, squad: int) -> None:
    """``indicators_by_month`` (the trend's one read) is ``indicators`` month by month,
    and so the live figures of each month."""
    starts = [datetime(first.year, first.month, 1, tzinfo=SHANGHAI)]
    for _ in range(months):
        last = starts[-1] + timedelta(days=32)
        starts.append(last.replace(day=1))
    for group_by, only in [*((g, None) for g in GroupBy), (GroupBy.squad, squad)]:
        got = await indicators_by_month(starts[0], starts[-1], group_by, squad_id=only)
        want = [
            (start.date(), row)
            for start, end in pairwise(starts)
            for row in await indicators(start, end, group_by, squad_id=only)
        ]
        assert [(m.month, m.indicators) for m in got] == want, group_by
        assert want == [
            (start.date(), row)
            for start, end in pairwise(starts)
            for row in await live_indicators(start, end, group_by, squad_id=only)
        ], group_by


async def test_the_trend_counts_each_month_as_its_own_period(client: AppClient) -> None:
    # Closed and reopened (rework) last month, closed again this month: a review in each.
    people, _, today = await _closed_reopened_closed(client, 40, 39)
    await _assert_trend_is_per_month(today - timedelta(days=70), 4, people.squad)
    trend = await client.get(
        f"/api/v1/stats/trend?end={today:%Y-%m}&months=3&squad_id={people.squad}",
        headers=bearer(people.commander),
    )
    assert trend.status_code == 200, trend.text
    reviewed = {i["month"]: i["indicators"]["reviewed"] for i in trend.json()["items"]}
    assert reviewed[f"{today:%Y-%m}"] >= 1
    assert reviewed[f"{today - timedelta(days=40):%Y-%m}"] >= 1


async def _tables() -> list[list[dict[str, Any]]]:
    return [
        await Case.raw(f"SELECT * FROM {table} ORDER BY {key}")
        for table, key in (
            ("case_figures_day", "day, squad, violation_type, source, camera, zone_key"),
            ("review_figures_day", "day, squad, violation_type, rework, since"),
            ("case_figures_month", "day, squad, violation_type, source, camera, zone_key"),
            ("review_figures_month", "day, squad, violation_type, rework, since"),
        )
    ]


async def test_refreshing_again_changes_nothing_and_a_rebuild_agrees(client: AppClient) -> None:
    people = Officers(client)
    await people.start()
    await command(client, people.leader, await people.to_review(), "close", note="ok")
    await aggregates.refresh()
    kept = await _tables()
    again = await aggregates.refresh()
    assert again.days == 0
    assert await _tables() == kept
    rebuilt = await aggregates.rebuild()
    assert rebuilt.days >= 1
    assert await _tables() == kept
    assert await aggregates.refreshed_at() == rebuilt.refreshed_at
