"""The squad leader's 勤务排班 screen in a real browser (iPhone 13): from the board's
header to the week's roster; 复制上周 brings last week's shifts a week later; a shift added
over another of the same officer is refused as a whole with the API's Chinese message
(nothing saved); removed and replaced by a night shift, the week saves; previous/next
week. Screenshots: .data/test/screenshots/roster-*.png."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Playwright

from domain.duty.roster import SHANGHAI
from domain.org import Role
from tests.e2e.browser import phone, shot
from tests.e2e.test_leader_app import _sign_in_leader
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
# Weeks far ahead, so no seeded or other test's shifts are in them.
SOURCE, TARGET = "2031-W10", "2031-W11"
MONDAY = date.fromisocalendar(2031, 11, 1)  # 10 March 2031


async def _roster(client: AppClient, tokens: dict[str, Any], squad: int, week: str) -> Any:
    read = await client.get(f"/api/v1/squads/{squad}/roster/{week}", headers=bearer(tokens))
    assert read.status_code == 200, read.text
    return read.json()["shifts"]


async def _add(page: Page, officer: int, day: date, start: str, end: str) -> None:
    await page.locator("[data-add-shift]").click()
    await page.locator("[data-shift-officer]").select_option(str(officer))
    await page.locator("[data-shift-day]").select_option(day.isoformat())
    await page.locator("[data-shift-start]").fill(start)
    await page.locator("[data-shift-end]").fill(end)
    await page.locator("[data-shift-confirm]").click()
    await page.locator(".van-popup.sheet").wait_for(state="hidden")


async def test_leader_copies_last_week_and_is_told_of_an_overlap(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user = await make_user(Role.squad_leader, display_name="排班中队长")
    leader = await login(client, user)
    squad = user["squad_id"]
    officer = await make_user(Role.officer, display_name="排班队员")
    source_monday = datetime.combine(date.fromisocalendar(2031, 10, 1), time(8), SHANGHAI)
    put = await client.put(
        f"/api/v1/squads/{squad}/roster/{SOURCE}",
        headers=bearer(leader),
        json={
            "shifts": [
                {
                    "officer_id": officer["id"],
                    "starts_at": source_monday.isoformat(),
                    "ends_at": (source_monday + timedelta(hours=12)).isoformat(),
                    "area_note": "江川路沿线",
                }
            ]
        },
    )
    assert put.status_code == 200, put.text

    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await _sign_in_leader(page, app_url, user)
    await page.locator("[data-roster-link]").click()
    await page.wait_for_url("**/app/board/roster**")
    await page.locator("[data-week]").wait_for()
    await shot(page, "roster-0-this-week")

    await page.goto(f"{app_url}/app/board/roster?week={TARGET}")
    await page.get_by_text("本周暂无排班", exact=False).wait_for()
    await page.locator("[data-copy-previous]").click()
    await page.get_by_role("button", name="复制", exact=True).click()
    monday = page.locator(f'[data-day="{MONDAY.isoformat()}"]')
    copied = monday.locator("[data-shift]", has_text="排班队员")
    await copied.wait_for()
    assert "08:00–20:00" in await copied.inner_text()
    assert "江川路沿线" in await copied.inner_text()
    (only,) = await _roster(client, leader, squad, TARGET)
    assert only["officer_id"] == officer["id"]
    assert only["starts_at"] == "2031-03-10T00:00:00Z"
    await shot(page, "roster-1-copied", wait_toasts=True)

    # An overlapping shift of the same officer: refused as a whole, nothing saved.
    await _add(page, officer["id"], MONDAY, "12:00", "18:00")
    await monday.locator("[data-shift]", has_text="12:00–18:00").wait_for()
    await page.locator("[data-unsaved]").wait_for()
    await page.locator("[data-save-roster]").click()
    await page.locator("[data-roster-error]", has_text="该队员的班次时间重叠").wait_for()
    await shot(page, "roster-2-overlap")
    assert len(await _roster(client, leader, squad, TARGET)) == 1

    # Removed, and a night shift instead (to the next morning): the week saves.
    await (
        monday.locator("[data-shift]", has_text="12:00–18:00")
        .locator("[data-remove-shift]")
        .click()
    )
    await _add(page, officer["id"], MONDAY, "20:00", "06:00")
    await monday.locator("[data-shift]", has_text="20:00–次日06:00").wait_for()
    await page.locator("[data-save-roster]").click()
    await page.get_by_text("排班已保存").wait_for()
    await page.locator("[data-unsaved]").wait_for(state="detached")
    saved = await _roster(client, leader, squad, TARGET)
    assert [(s["starts_at"], s["ends_at"]) for s in saved] == [
        ("2031-03-10T00:00:00Z", "2031-03-10T12:00:00Z"),
        ("2031-03-10T12:00:00Z", "2031-03-10T22:00:00Z"),
    ]
    await shot(page, "roster-3-saved", wait_toasts=True)

    # The week before, and back.
    await page.locator("[data-week-prev]").click()
    await page.locator("[data-week]", has_text=SOURCE).wait_for()
    await page.locator('[data-day="2031-03-03"] [data-shift]', has_text="排班队员").wait_for()
    await page.locator("[data-week-next]").click()
    await page.locator("[data-week]", has_text=TARGET).wait_for()
    await monday.locator("[data-shift]", has_text="20:00–次日06:00").wait_for()
    await context.close()
