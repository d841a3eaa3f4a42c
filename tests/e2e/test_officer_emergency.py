"""An officer called out to an emergency (突发事件), on an iPhone against the real system:
the call heads their tasks though another officer leads the case; they acknowledge
(响应) and check in at the site (到场签到) with the phone's position, and the desk's view
of the responders follows. Screenshots go to .data/test/screenshots/emergency-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Playwright

from domain.org import Role
from storage.tables import CheckinPoint
from tests import factories
from tests.e2e.browser import phone, shot
from tests.e2e.test_officer_app import _sign_in
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import XINZHUANG_POINT, command, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

XINZHUANG = "310112101"


def east(metres: float) -> dict[str, Any]:
    return XINZHUANG_POINT | {"lng": XINZHUANG_POINT["lng"] + metres / 95_200}


async def _responder(client: AppClient, name: str, at: dict[str, Any]) -> dict[str, Any]:
    user = await make_user(Role.officer, squad_code=XINZHUANG, display_name=name)
    await factories.on_shift(user["id"])
    tokens = await login(client, user)
    answer = await client.put(
        "/api/v1/me/duty", headers=bearer(tokens), json={"on_duty": True, "location": at}
    )
    assert answer.status_code == 200, answer.text
    return user | {"tokens": tokens}


async def test_a_helper_acknowledges_and_checks_in_at_the_emergency(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    await quiet_squad(await squad_id(XINZHUANG))
    desk = await login(client, await make_user(Role.commander, squad_code=None))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    case = await report(
        client, leader, "01-01", point=XINZHUANG_POINT, address="莘庄镇 沪闵路 1 号"
    )
    case = await command(client, desk, case, "emergency", reason="违建坍塌，围观人员聚集")
    lead = await _responder(client, "带队队员", east(150))
    helper = await _responder(client, "增援队员", east(600))
    case = await command(client, desk, case, "responders", officer_ids=[lead["id"], helper["id"]])
    assert case["assignee"]["id"] == lead["id"]  # the helper is not the case's officer

    # Outside the arrival radius: the app's own duty positions do not count as arrival
    # (the integration test covers that), so the check-in does, with its distance.
    context = await phone(browser, point=east(300))
    page = await context.new_page()
    await _sign_in(page, app_url, helper)
    await page.get_by_role("button", name="账号密码登录").click()
    card = page.locator(f'[data-case="{case["id"]}"]')
    await card.locator("[data-emergency]").wait_for()
    await shot(page, "emergency-1-tasks")

    await card.click()
    banner = page.locator(".emergency[data-emergency]")
    await banner.get_by_text("已派您前往，请立即响应").wait_for()
    await shot(page, "emergency-2-called")
    await page.locator("[data-acknowledge]").click()
    await banner.get_by_text("已响应，请尽快到场").wait_for()
    await page.locator("[data-arrive]").click()
    await banner.get_by_text("已到场").wait_for()
    await shot(page, "emergency-3-arrived", wait_toasts=True)

    rows = await client.get(f"/api/v1/cases/{case['id']}/responders", headers=bearer(desk))
    mine = next(r for r in rows.json()["items"] if r["officer_id"] == helper["id"])
    assert mine["state"] == "arrived" and mine["arrival_kind"] == "check_in"
    assert 280 < mine["arrival_distance_m"] < 320
    assert mine["acknowledged_at"] is not None
    timeline = await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(desk))
    steps = [(e["action"], e["actor_id"]) for e in timeline.json()["items"]]
    assert ("acknowledge", helper["id"]) in steps and ("arrive", helper["id"]) in steps
    await context.close()


async def test_the_leader_sees_the_emergency_and_the_missed_check_ins(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    """The leader's 待我处理: the squad's emergency with where each responder stands, and
    the planned check-ins of the last days that fell short."""
    await quiet_squad(await squad_id(XINZHUANG))
    desk = await login(client, await make_user(Role.commander, squad_code=None))
    user = await make_user(Role.squad_leader, squad_code=XINZHUANG)
    leader = await login(client, user)
    case = await report(client, leader, "01-01", point=XINZHUANG_POINT, address="沪闵路 9 号")
    case = await command(client, desk, case, "emergency", reason="广告牌松动，有坠落危险")
    helper = await _responder(client, "值守队员", east(200))
    await command(client, desk, case, "responders", officer_ids=[helper["id"]])
    point = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(leader),
        json={"name": "沪闵路口签到点", "location": east(500), "planned_per_day": 2},
    )
    assert point.status_code == 201, point.text
    await CheckinPoint.update(
        {CheckinPoint.created_at: datetime.now(UTC) - timedelta(days=3)}
    ).where(CheckinPoint.id == point.json()["id"])

    context = await phone(browser)
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator("[data-console-link]").wait_for()
    await page.get_by_role("tab", name="待我处理").click()
    row = page.locator(f'[data-emergency-case="{case["id"]}"]')
    await row.get_by_text("值守队员 已派遣").wait_for()
    missed = page.locator(f'[data-missed-checkin="{point.json()["id"]}"]')
    assert await missed.count() >= 2  # the last days, each short of the plan
    await missed.first.get_by_text("已签 0 / 计划 2").wait_for()
    await shot(page, "emergency-4-leader-waiting")
    await context.close()
