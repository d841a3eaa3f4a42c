"""The officer's 点名抽查 screen in a real browser: the desk asks a roll call through the
API; the notification in the inbox opens the roll-call page (the banner on my tasks
too), which counts down and answers with the phone's position and a photo uploaded
with its grant. Screenshots: .data/test/screenshots/roll-call-*.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Browser, Playwright

from domain.org import Role
from tests.e2e.browser import phone, shot
from tests.e2e.test_officer_app import _sign_in
from tests.factories import make_user, on_shift
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
PHONE = {"lng": 121.3921, "lat": 31.0071, "coord_type": "wgs84"}


async def test_officer_answers_a_roll_call_with_position_and_photo(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, tmp_path: Path
) -> None:
    desk = await login(client, await make_user(Role.commander))
    officer = await make_user(Role.officer, display_name="钱点名")
    await on_shift(officer["id"])
    asked = await client.post(
        "/api/v1/roll-calls",
        headers=bearer(desk),
        json={"officer_id": officer["id"], "within_minutes": 10},
    )
    assert asked.status_code == 201, asked.text
    roll_call = asked.json()["id"]

    context = await phone(browser, point=PHONE)
    page = await context.new_page()
    await _sign_in(page, app_url, officer)
    await page.get_by_role("button", name="账号密码登录").click()
    banner = page.locator(f'[data-roll-call-banner="{roll_call}"]')
    await banner.wait_for()
    await shot(page, "roll-call-0-banner")

    # The inbox's notification opens the roll-call page.
    await page.locator(".inbox-button").click()
    await page.wait_for_url("**/app/inbox")
    note = page.locator("[data-notification]", has_text="点名抽查")
    await note.wait_for()
    await note.click()
    await page.wait_for_url(f"**/app/roll-calls/{roll_call}")
    countdown = page.locator("[data-countdown]")
    await countdown.wait_for()
    first = (await countdown.text_content() or "").strip()
    assert first.startswith("剩余 9分") or first == "剩余 10分00秒", first
    # It counts down by itself.
    await page.wait_for_function(
        "(first) => document.querySelector('[data-countdown]')?.textContent?.trim() !== first",
        arg=first,
    )

    image = tmp_path / "roll-call.jpg"
    data = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 60, 20)).save(data, "JPEG")
    image.write_bytes(data.getvalue())
    await page.locator("[data-photo]").set_input_files(str(image))
    await page.locator("[data-note] input").fill("江川路巡查中")
    await shot(page, "roll-call-1-pending")
    await page.locator("[data-answer]").click()
    await page.locator('[data-roll-call-state="answered"]').wait_for()
    await page.locator("[data-answered-at]").wait_for()
    await shot(page, "roll-call-2-answered", wait_toasts=True)

    read = await client.get(f"/api/v1/roll-calls/{roll_call}", headers=bearer(desk))
    body = read.json()
    assert body["state"] == "answered"
    assert body["location"]["lng"] == pytest.approx(PHONE["lng"], abs=1e-6)
    assert body["location"]["lat"] == pytest.approx(PHONE["lat"], abs=1e-6)
    assert body["accuracy_m"] == pytest.approx(10)
    assert body["note"] == "江川路巡查中"
    assert body["has_photo"] is True
    await page.locator("img.photo.answered").wait_for()

    # Answered: the banner on my tasks is gone.
    await page.goto(f"{app_url}/app/")
    await page.locator("[data-duty]").wait_for()
    await page.wait_for_timeout(500)
    assert await banner.count() == 0
    await context.close()
