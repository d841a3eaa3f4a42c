"""The desk runs an emergency (突发事件) from the console in a real browser at 1920×1080:
declares a case from its popup, sees who can go on the map nearest first, sends the
nearest (派警), and sees the responder acknowledge without a reload. Screenshots go to
.data/test/screenshots/console-emergency-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Playwright

from domain.org import Role
from tests import factories
from tests.e2e.browser import shot
from tests.e2e.test_console import _desk
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import XINZHUANG_POINT, command, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

XINZHUANG = "310112101"


def east(metres: float) -> dict[str, Any]:
    """A point ``metres`` east of the Xinzhuang test point (1° of longitude ≈ 95.2 km)."""
    return XINZHUANG_POINT | {"lng": XINZHUANG_POINT["lng"] + metres / 95_200}


async def _officer(client: AppClient, name: str, at: dict[str, Any]) -> dict[str, Any]:
    """An officer of 莘庄 on shift (roster) and on duty (phone) at ``at``."""
    user = await make_user(Role.officer, squad_code=XINZHUANG, display_name=name)
    await factories.on_shift(user["id"])
    tokens = await login(client, user)
    answer = await client.put(
        "/api/v1/me/duty", headers=bearer(tokens), json={"on_duty": True, "location": at}
    )
    assert answer.status_code == 200, answer.text
    return tokens


async def test_the_desk_sends_the_nearest_officer_and_sees_them_acknowledge(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    await quiet_squad(await squad_id(XINZHUANG))
    commander = await make_user(Role.commander, squad_code=None, display_name="指挥中心值班")
    desk = await login(client, commander)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    case = await report(client, leader, "01-01", point=XINZHUANG_POINT, address="莘庄 莘松路 1 号")
    near = await _officer(client, "近处队员", east(150))
    far = await _officer(client, "远处队员", east(900))
    case = await command(client, desk, case, "emergency", reason="沿街店铺起火，人员聚集")
    near_id, far_id = near["user"]["id"], far["user"]["id"]

    page = await _desk(browser, app_url, commander)
    await page.locator(f'[data-emergency-id="{case["id"]}"]').click()
    # Both drawn on the map and listed nearest first; the nearest is chosen by default.
    await page.locator(f"path.candidate-{near_id}").wait_for(state="attached")
    await page.locator(f"path.candidate-{far_id}").wait_for(state="attached")
    rows = page.locator("[data-candidates] li[data-candidate-id]")
    assert await rows.nth(0).get_attribute("data-candidate-id") == str(near_id)
    assert await rows.nth(1).get_attribute("data-candidate-id") == str(far_id)
    assert "米" in await rows.nth(0).locator(".distance").inner_text()
    assert await rows.nth(0).locator("input").is_checked()
    assert not await rows.nth(1).locator("input").is_checked()
    assert "selected" in (
        await page.locator(f"path.candidate-{near_id}").get_attribute("class") or ""
    )
    await shot(page, "console-emergency-1-candidates")

    # Choosing on the map: a click on the far one's ring adds them, a second takes them off.
    ring = page.locator(f"path.candidate-{far_id}")
    box = await ring.bounding_box()
    assert box is not None
    at = (box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)  # the ring, not the dot
    await page.mouse.click(*at)
    await page.locator(f"path.candidate-{far_id}.selected").wait_for(state="attached")
    assert await rows.nth(1).locator("input").is_checked()
    assert "2 人" in await page.locator("[data-send]").inner_text()
    await page.mouse.click(*at)
    await page.locator(f"path.candidate-{far_id}:not(.selected)").wait_for(state="attached")
    assert not await rows.nth(1).locator("input").is_checked()

    await page.evaluate("window.__sameDocument = true")  # a reload would drop it
    await page.locator("[data-send]").click()
    responder = page.locator(f'[data-responder-id="{near_id}"] [data-state]')
    await responder.filter(has_text="已派遣").wait_for()
    sent = await client.get(f"/api/v1/cases/{case['id']}/responders", headers=bearer(desk))
    assert [(r["officer_id"], r["state"]) for r in sent.json()["items"]] == [
        (near_id, "dispatched")
    ]
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(desk))).json()
    assert detail["state"] == "dispatched" and detail["assignee"]["id"] == near_id
    await page.locator("[data-timeline]", has_text="派警").wait_for()

    # The officer acknowledges on the phone (the API): the panel shows it, no reload.
    await command(client, near, detail, "responders/me/acknowledge")
    await responder.filter(has_text="已响应").wait_for(timeout=10_000)
    await page.locator("[data-timeline]", has_text="响应").wait_for()
    assert await page.evaluate("window.__sameDocument") is True
    # The one sent is no longer offered; the far one still is.
    assert await page.locator(f'[data-candidate-id="{near_id}"]').count() == 0
    assert await page.locator(f'[data-candidate-id="{far_id}"]').count() == 1
    await shot(page, "console-emergency-2-acknowledged")
    await page.context.close()


async def test_the_desk_declares_an_open_case_from_its_popup(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    commander = await make_user(Role.commander, squad_code=None)
    desk = await login(client, commander)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    spot = east(400)  # clear of the other tests' cases
    case = await report(client, leader, "01-01", point=spot)

    page = await _desk(browser, app_url, commander)
    at = f"{spot['lng']},{spot['lat']},18"
    await page.goto(f"{app_url}/app/console?at={at}")
    dot = page.locator(f"path.case-{case['id']}")
    await dot.wait_for()
    await dot.click()
    await page.locator(".console-popup [data-declare]").click()
    await page.locator("[data-declare-form]").wait_for()
    await shot(page, "console-emergency-0-declare")
    await page.locator("[data-declare-confirm]").click()
    await page.locator(f'[data-emergency-id="{case["id"]}"].selected').wait_for()
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(desk))).json()
    assert detail["emergency"] is True and detail["urgent"] is True
    timeline = await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(desk))
    assert "declare_emergency" in [e["action"] for e in timeline.json()["items"]]
    await page.context.close()
