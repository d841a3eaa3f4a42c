"""点名抽查 from the command console in a real browser at 1920×1080: the desk clicks an
on-shift officer's marker, 点名 with the default 10 minutes (or other minutes from the
side list) asks the roll call through the API; the panel follows its state (待应答, then
按时应答 once the phone answers) without a reload. Screenshots:
.data/test/screenshots/console-roll-call-*.png."""

from __future__ import annotations

from datetime import datetime

import pytest
from playwright.async_api import Browser, Playwright

from domain.org import Role
from tests.e2e.browser import shot
from tests.e2e.test_console import CORNER, JIANGCHUAN, _desk
from tests.factories import make_user, on_shift
from tests.integration.cases_helpers import go_on_duty
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def test_the_desk_asks_a_roll_call_from_the_map_and_sees_it_answered(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="点名队员")
    await on_shift(user["id"])
    officer = await login(client, user)
    await go_on_duty(client, officer, CORNER)
    commander = await make_user(Role.commander, squad_code=None)
    desk = await login(client, commander)

    page = await _desk(browser, app_url, commander)
    await page.goto(f"{app_url}/app/console?at={CORNER['lng']},{CORNER['lat']},16")
    await page.locator(f'[data-officer-id="{user["id"]}"]').click()
    popup = page.locator(".console-popup")
    await popup.locator("[data-roll-call-ask]").click()
    form = page.locator("[data-roll-call-form]")
    await form.get_by_text("点名队员").wait_for()
    assert await page.locator("[data-roll-call-minutes]").input_value() == "10"
    await shot(page, "console-roll-call-1-ask")
    await page.locator("[data-roll-call-confirm]").click()
    await page.get_by_text("已点名：点名队员，限 10 分钟内上报").wait_for()

    listed = await client.get(
        "/api/v1/roll-calls", params={"squad_id": user["squad_id"]}, headers=bearer(desk)
    )
    (asked,) = [r for r in listed.json()["items"] if r["officer_id"] == user["id"]]
    assert asked["state"] == "pending"
    span = datetime.fromisoformat(asked["deadline_at"]) - datetime.fromisoformat(asked["asked_at"])
    assert span.total_seconds() == 600
    row = page.locator(f'[data-roll-call="{asked["id"]}"]')
    await row.locator('[data-roll-call-state="pending"]', has_text="待应答").wait_for()

    # The phone answers: the panel shows it by itself.
    answer = await client.post(
        f"/api/v1/roll-calls/{asked['id']}/answer",
        headers=bearer(officer) | {"Idempotency-Key": f"rc-{asked['id']}"},
        json={"location": CORNER, "accuracy_m": 8},
    )
    assert answer.status_code in (200, 201), answer.text
    await row.locator('[data-roll-call-state="answered"]', has_text="按时应答").wait_for()
    await shot(page, "console-roll-call-2-answered")

    # Other minutes from the side list's 点名.
    await page.locator(f'[data-roll-call-officer="{user["id"]}"]').click()
    await page.locator("[data-roll-call-minutes]").fill("25")
    await page.locator("[data-roll-call-confirm]").click()
    await page.get_by_text("限 25 分钟内上报").wait_for()
    again = await client.get(
        "/api/v1/roll-calls",
        params={"squad_id": user["squad_id"], "state": "pending"},
        headers=bearer(desk),
    )
    (second,) = [r for r in again.json()["items"] if r["officer_id"] == user["id"]]
    span = datetime.fromisoformat(second["deadline_at"]) - datetime.fromisoformat(
        second["asked_at"]
    )
    assert span.total_seconds() == 1500
    await page.context.close()
