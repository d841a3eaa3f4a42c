"""The officer's 巡查签到 screen in a real browser: the squad's points nearest first with
today's done/planned, a check-in with the phone's position, and the refusal (with the
distance) at a point too far away. Screenshots: .data/test/screenshots/checkin-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Playwright

from domain.org import Role
from tests.e2e.browser import phone, shot
from tests.e2e.test_officer_app import _sign_in
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
# The phone, and two points of these tests' own in 江川路: one 30 m away, one ~1.1 km.
PHONE = {"lng": 121.3921, "lat": 31.0071, "coord_type": "wgs84"}
NEAR = {"lng": 121.3921, "lat": 31.00737, "coord_type": "wgs84"}
FAR = {"lng": 121.4031, "lat": 31.0071, "coord_type": "wgs84"}


async def _point(client: AppClient, leader: dict[str, Any], name: str, at: dict) -> int:
    made = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(leader),
        json={"name": name, "location": at, "radius_m": 50, "planned_per_day": 2},
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def test_officer_checks_in_at_the_nearest_point(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    far = await _point(client, leader, "江川路东头签到点", FAR)
    near = await _point(client, leader, "江川路西口签到点", NEAR)
    officer = await make_user(Role.officer, display_name="周巡查")
    context = await phone(browser, point=PHONE)
    page = await context.new_page()
    await _sign_in(page, app_url, officer)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator("[data-checkin-link]").wait_for()
    await shot(page, "checkin-0-tasks-link")
    await page.locator("[data-checkin-link]").click()
    await page.wait_for_url("**/app/checkin")
    near_card = page.locator(f'[data-point="{near}"]')
    await near_card.wait_for()
    # Nearest first.
    order = await page.locator("[data-point]").evaluate_all(
        "(els) => els.map((e) => Number(e.dataset.point))"
    )
    assert order.index(near) < order.index(far)
    await near_card.get_by_text("今日 0/2").wait_for()
    await shot(page, "checkin-1-points")

    await page.locator(f'[data-checkin="{near}"]').click()
    await page.get_by_text("签到成功", exact=False).wait_for()
    await near_card.get_by_text("今日 1/2").wait_for()
    await page.locator("[data-today]", has_text="我已签到 1 次").wait_for()
    tokens = await login(client, officer)
    read = await client.get(f"/api/v1/checkin-points/{near}", headers=bearer(tokens))
    assert read.json()["today_mine"] == 1
    await shot(page, "checkin-2-done", wait_toasts=True)

    await page.locator(f'[data-checkin="{far}"]').click()
    refusal = page.get_by_text("需在 50 米内", exact=False)
    await refusal.wait_for()
    assert "距签到点 10" in (await refusal.text_content() or "")  # ~1,050 m
    await shot(page, "checkin-3-too-far")
    far_read = await client.get(f"/api/v1/checkin-points/{far}", headers=bearer(tokens))
    assert far_read.json()["today_done"] == 0
    await context.close()
