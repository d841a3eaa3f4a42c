"""The assessment figures count rework when it happens, whoever never closes it again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.org import Role
from storage.cases import aggregates
from storage.tables import Case
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
# Cases of a type no other test reports, so the figures of its group are this test's.
TYPE = "05-11"


def _month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m}"


async def _figures(client: AppClient, tokens: dict[str, Any], squad: int) -> dict[str, Any]:
    await aggregates.refresh()  # the day tables the dashboard reads, as of now
    response = await client.get(
        f"/api/v1/stats/indicators?period={_month()}&group_by=squad_type&squad_id={squad}"
        f"&type={TYPE}",
        headers=bearer(tokens),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    empty = {"cases": 0, "closed": 0, "reviewed": 0, "reworked": 0, "rework_rate": None}
    return rows[0] if rows else empty


async def _to_review(client: AppClient, officer: dict[str, Any]) -> dict[str, Any]:
    case = await report(client, officer, TYPE)
    case = await command(client, officer, case, "accept")
    shot = await photo(client, officer, case)
    return await command(
        client,
        officer,
        case,
        "verify",
        outcome="corrected_on_site",
        location=JIANGCHUAN_POINT,
        evidence_ids=[shot],
    )


async def test_a_return_counts_as_rework_the_month_it_happens(client: AppClient) -> None:
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await _to_review(client, officer)
    assert case["state"] == "pending_review", case
    # Created months ago: the rework still belongs to this month's figures.
    await Case.update({Case.created_at: Case.created_at - timedelta(days=70)}).where(
        Case.id == case["id"]
    )
    before = await _figures(client, leader, squad)
    returned = await command(client, leader, case, "return", reason="photo is blurred")
    assert returned["state"] == "dispatched"
    after = await _figures(client, leader, squad)
    # Never closed again, and yet counted: a squad cannot hide rework by sitting on it.
    assert after["reworked"] - before["reworked"] == 1
    assert after["reviewed"] - before["reviewed"] == 1
    assert after["cases"] == before["cases"]  # not of this month's cohort
    assert 0 < after["rework_rate"] <= 1


async def test_a_reopened_case_counts_once_and_the_rate_stays_bounded(client: AppClient) -> None:
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    supervisor = await login(client, await make_user(Role.supervisor))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await _to_review(client, officer)
    before = await _figures(client, leader, squad)
    closed = await command(client, leader, case, "close", note="ok")
    middle = await _figures(client, leader, squad)
    assert (middle["reviewed"] - before["reviewed"], middle["reworked"]) == (1, before["reworked"])
    reopened = await command(client, supervisor, closed, "reopen", reason="not corrected")
    assert reopened["state"] == "dispatched"
    after = await _figures(client, leader, squad)
    # The same case, closed and reopened in one month: one reviewed case, one reworked.
    assert after["reviewed"] - before["reviewed"] == 1
    assert after["reworked"] - before["reworked"] == 1
    assert after["reworked"] <= after["reviewed"]
    assert after["rework_rate"] == pytest.approx(after["reworked"] / after["reviewed"])
    assert after["rework_rate"] <= 1
