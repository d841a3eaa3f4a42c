"""A patrol report through the whole loop, over HTTP, with a real arq worker escalating."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from arq import create_pool
from arq.connections import RedisSettings

from domain.org import Role
from offsite.settings import Settings
from storage.cases import aggregates
from storage.tables import CaseDeadline, CaseEscalation, Outbox
from tests.e2e.conftest import Workers
from tests.factories import make_user, squad_id
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
JIANGCHUAN = "310112001"


@pytest.fixture
def worker(workers: Workers) -> Workers:
    """`offsite worker` and `offsite worker --integrations`, as production runs them."""
    workers.start()
    return workers


async def test_patrol_report_through_the_whole_loop(
    client: AppClient, settings: Settings, worker: Workers
) -> None:
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    period = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    before = await _figures(client, leader, period, squad)

    # 1. Reported on patrol, auto-dispatched to the officer on duty.
    case = await report(client, officer, "05-05", address="江川路 101 号门前")
    assert case["state"] == "dispatched"
    assert case["assignee"]["id"] == officer["user"]["id"]

    # 2. Accepted, verified on site: rectification ordered.
    case = await command(client, officer, case, "accept", location=JIANGCHUAN_POINT)
    shot = await photo(client, officer, case, by_worker=True)
    rectify_by = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    case = await command(
        client,
        officer,
        case,
        "verify",
        outcome="rectification_ordered",
        rectify_by=rectify_by,
        note="责令两小时内挪车",
        evidence_ids=[shot],
    )
    assert case["state"] == "awaiting_rectification"

    # 3. The rectification deadline passes; the worker escalates it.
    await CaseDeadline.raw(
        """UPDATE case_deadline SET due_at = now() - interval '1 minute',
                  next_escalation_at = now() - interval '1 minute'
            WHERE "case" = {} AND kind = 'rectification' AND cleared_at IS NULL""",
        case["id"],
    )
    redis = await create_pool(RedisSettings.from_dsn(settings.redis.url))
    try:
        job = await redis.enqueue_job("escalate_deadlines", _queue_name=settings.redis.queue_name)
        assert job is not None
        # The worker's own minute cron may get there first: either run counts.
        await job.result(timeout=30)
    finally:
        await redis.aclose()
    # Our job skips what a concurrent cron pass holds locked; that pass commits soon after.
    escalations: list[dict[str, Any]] = []
    for _ in range(300):  # up to 30 s: a loaded CI machine runs that pass slowly
        escalations = await CaseEscalation.select(CaseEscalation.level).where(
            CaseEscalation.case == case["id"]
        )
        if escalations:
            break
        await asyncio.sleep(0.1)
    assert [e["level"] for e in escalations] == [1]
    assert (
        await Outbox.count().where((Outbox.case == case["id"]) & (Outbox.topic == "case.escalated"))
        == 1
    )
    case = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(officer))).json()
    assert case["overdue"] is True

    # 4. Recheck: corrected. The squad leader returns it once, then closes it.
    shot = await photo(client, officer, case, "recheck", by_worker=True)
    case = await command(client, officer, case, "recheck", result="corrected", evidence_ids=[shot])
    assert case["state"] == "pending_review"
    assert case["outcome"] == "rectification_ordered"
    case = await command(client, leader, case, "return", reason="照片不清晰，请补拍")
    assert case["state"] == "dispatched" and case["rework_count"] == 1
    case = await command(client, officer, case, "accept")
    shot = await photo(client, officer, case, by_worker=True)
    case = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(officer))).json()
    case = await command(
        client, officer, case, "verify", outcome="corrected_on_site", evidence_ids=[shot]
    )
    case = await command(client, leader, case, "close", note="已整改")
    assert case["state"] == "closed"

    # 5. The timeline verifies; the figures count the case right.
    check = await client.get(f"/api/v1/cases/{case['id']}/timeline/verify", headers=bearer(leader))
    assert check.json()["ok"] is True
    actions = [
        e["action"]
        for e in (
            await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(leader))
        ).json()["items"]
    ]
    assert actions == [
        "created",
        "dispatch",
        "accept",
        "evidence",
        "verify",
        "escalate",
        "evidence",
        "recheck",
        "return",
        "accept",
        "evidence",
        "verify",
        "close",
    ]
    after = await _figures(client, leader, period, squad)
    assert after["cases"] - before["cases"] == 1
    assert after["closed"] - before["closed"] == 1
    assert after["reworked"] - before["reworked"] == 1
    assert after["closed_on_time"] == before["closed_on_time"]  # it was overdue once
    assert all(proc.poll() is None for proc in worker.procs.values())


async def _figures(client: AppClient, tokens: dict, period: str, squad: int) -> dict:
    await aggregates.refresh()  # the worker does it every minute; now, not in a minute
    response = await client.get(
        f"/api/v1/stats/indicators?period={period}&group_by=squad", headers=bearer(tokens)
    )
    assert response.status_code == 200, response.text
    rows = [r for r in response.json()["items"] if r["squad_id"] == squad]
    empty = {"cases": 0, "closed": 0, "reworked": 0, "closed_on_time": 0}
    return rows[0] if rows else empty
