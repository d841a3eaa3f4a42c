"""The officer's mobile app in a real browser (Debian's Chromium, phone viewports) against
the real system: ``offsite api`` serving the built app, ``offsite worker`` checking photos,
PostgreSQL, Redis and S3. Screenshots of each screen go to .data/test/screenshots/."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Route,
)

from domain.org import Role
from offsite.settings import Settings
from storage.tables import Case
from tests.e2e.browser import phone, shot
from tests.e2e.conftest import TENCENT_TEST_KEY
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import (
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"
# In 江川 but some 600 m from the point other tests report at: a block there is scored from
# its cases with a cap per type, and these tests' cases must not count in it.
SPOT = {"lng": 121.4054755, "lat": 30.9955505, "coord_type": "wgs84"}


async def _officer_with_task(
    client: AppClient, name: str, **case_fields: Any
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """An on-duty officer of 江川 and a patrol report auto-dispatched to them."""
    await quiet_squad(await squad_id(JIANGCHUAN))
    user = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name=name)
    tokens = await login(client, user)
    await go_on_duty(client, tokens, SPOT)
    case = await report(client, tokens, "05-05", point=SPOT, **case_fields)
    assert case["state"] == "dispatched", case
    assert case["assignee"]["id"] == tokens["user"]["id"]
    return user, tokens, case


async def _pull_down(context: BrowserContext, page: Page) -> None:
    """A finger dragging the list down from near the top (real touch events, via CDP)."""
    cdp = await context.new_cdp_session(page)
    x, y = 180, 160

    async def touch(kind: str, points: list[dict[str, float]]) -> None:
        await cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    await touch("touchStart", [{"x": x, "y": y}])
    for dy in range(10, 210, 10):
        await touch("touchMove", [{"x": x, "y": y + dy}])
    await touch("touchEnd", [])
    await cdp.detach()


async def _sign_in(page: Page, app_url: str, user: dict[str, Any]) -> None:
    await page.goto(f"{app_url}/app/")
    await page.wait_for_url("**/app/login**")
    await page.get_by_placeholder("请输入账号").fill(user["username"])
    await page.get_by_placeholder("请输入密码").fill(user["password"])


async def test_officer_signs_in_and_accepts_a_task_on_an_iphone(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, settings: Settings
) -> None:
    user, tokens, case = await _officer_with_task(
        client,
        "王建国",
        address="江川路 101 号门前",
        description="店铺门前堆放纸箱，占用人行道约 3 米",
    )
    await photo(
        client,
        tokens,
        case,
        "report",
        image=settings.testdata_dir / "images" / "bus_street_shopfronts.jpg",
        location=SPOT,
        by_worker=True,
    )
    # A second task whose deadline passed an hour ago: listed first, in red.
    _, _, late = await _officer_with_task(client, "王建国（旧）", address="江川路 99 号")
    await Case.update(
        {
            Case.assignee: tokens["user"]["id"],
            Case.overdue: True,
            Case.next_due_at: datetime.now(UTC) - timedelta(hours=1, minutes=5),
        }
    ).where(Case.id == late["id"])

    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    # Nothing the app loads comes from outside (the icon font included): an isolated
    # government network reaches only the app's own origin and the object store.
    ours = (app_url, settings.s3.public_endpoint or settings.s3.endpoint, "data:", "blob:")
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(ours) else None)
    await _sign_in(page, app_url, user)
    await shot(page, "iphone13-1-login")
    await page.get_by_role("button", name="账号密码登录").click()

    # My tasks: the overdue one first, in red; the new one counting down.
    card = page.locator(f'[data-case="{case["id"]}"]')
    await card.wait_for()
    cards = page.locator("[data-case]")
    assert await cards.first.get_attribute("data-case") == str(late["id"])
    late_due = page.locator(f'[data-case="{late["id"]}"] .due')
    assert "已超期" in (await late_due.inner_text())
    assert "overdue" in (await late_due.get_attribute("class") or "")
    assert "剩余" in await card.locator(".due").inner_text()
    await shot(page, "iphone13-2-tasks")

    # The task: type, address, description, the photo, navigation links.
    await card.click()
    accept = page.get_by_role("button", name="接收任务")
    await accept.wait_for()
    await page.get_by_text("店铺门前堆放纸箱").wait_for()
    thumbnail = page.locator(".photo img")
    await thumbnail.wait_for()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.photo img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    amap = await page.get_by_role("link", name="高德地图").get_attribute("href")
    assert amap is not None and amap.startswith("https://uri.amap.com/navigation?to=121.41")
    tencent = await page.get_by_role("link", name="腾讯地图").get_attribute("href")
    assert tencent is not None and "tocoord=30.99" in tencent
    assert f"referer={TENCENT_TEST_KEY}" in tencent  # the deployment's key, served in the page
    # Vant's icons render from the app's own font file (the nav bar's arrow, the buttons').
    await page.evaluate("document.fonts.ready")
    fonts = await page.evaluate(
        "[...document.fonts].filter((f) => f.family.includes('vant-icon')).map((f) => f.status)"
    )
    assert fonts == ["loaded"], fonts
    arrow = page.locator(".van-nav-bar__arrow").first
    assert await arrow.evaluate("e => getComputedStyle(e, '::before').content") not in ("none", "")
    assert outside == [], outside
    await shot(page, "iphone13-3-task")

    # Accept: the screen shows it in progress, and so does the API.
    await accept.click()
    await page.locator(".state", has_text="处置中").wait_for()
    await page.get_by_text("处置中：请到现场核查并上传照片").wait_for()
    await shot(page, "iphone13-4-accepted")
    fresh = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    assert fresh["state"] == "in_progress"
    assert fresh["accepted_at"] is not None

    # Back to the list, then sign out: the session ends on the server too.
    await page.get_by_text("返回").click()
    await card.wait_for()
    stored = await page.evaluate("JSON.parse(localStorage.getItem('offsite.session'))")
    await page.get_by_text("退出").click()
    await page.wait_for_url("**/app/login**")
    assert await page.evaluate("localStorage.getItem('offsite.session')") is None
    spent = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": stored["refreshToken"]}
    )
    assert spent.status_code == 401, spent.text
    await context.close()


async def test_a_stale_accept_shows_the_fresh_case_on_a_small_android(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user, tokens, case = await _officer_with_task(
        client, "李娜", address="沪闵路 6088 号", description="夜间占道经营"
    )
    context = await phone(browser, "Galaxy S5")  # 360 × 640
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    card = page.locator(f'[data-case="{case["id"]}"]')
    await card.wait_for()
    await shot(page, "android-1-tasks")

    # A new task is dispatched while the list is open: pulling the list down shows it.
    second = await report(client, tokens, "05-05", point=SPOT, address="沪闵路 6100 号")
    assert second["assignee"]["id"] == tokens["user"]["id"]
    await _pull_down(context, page)
    await page.locator(f'[data-case="{second["id"]}"]').wait_for()
    await card.click()
    accept = page.get_by_role("button", name="接收任务")
    await accept.wait_for()

    # Meanwhile the case changes elsewhere (accepted from another device).
    await command(client, tokens, case, "accept")
    await accept.click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("案件已被他人更新").wait_for()
    assert "当前状态：处置中" in await dialog.inner_text()
    await shot(page, "android-2-conflict")
    await dialog.get_by_role("button", name="知道了").click()
    await dialog.wait_for(state="hidden")
    await page.locator(".state", has_text="处置中").wait_for()
    assert await accept.count() == 0
    # The refused accept stays on the phone with the fresh case until the officer lets it go.
    notice = page.locator(".refused-notice")
    assert "已被他人更新" in await notice.inner_text()
    assert "案件当前：处置中" in await notice.inner_text()
    await shot(page, "android-3-fresh-case")
    await notice.get_by_role("button", name="放弃").click()
    await notice.wait_for(state="hidden")
    await context.close()


async def test_an_accept_made_offline_is_queued_and_sent_once_back_online(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user, tokens, case = await _officer_with_task(
        client, "孙强", address="江川路 166 号", description="占道堆放建材"
    )
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    accepts: list[Request] = []
    page.on("request", lambda r: accepts.append(r) if r.url.endswith("/accept") else None)
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator(f'[data-case="{case["id"]}"]').click()
    accept = page.get_by_role("button", name="接收任务")
    await accept.wait_for()

    # Offline: the accept is kept on the phone, shown as waiting, the button gone.
    await context.set_offline(True)
    await accept.click()
    await page.locator(".waiting", has_text=f"接收任务 · {case['number']}：待发送").wait_for()
    assert await accept.count() == 0
    badge = page.locator("[data-outbox]")
    assert "待发送 1" in " ".join((await badge.inner_text()).split())
    await shot(page, "iphone13-6-accept-queued-offline", wait_toasts=True)
    fresh = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    assert fresh["state"] == "dispatched"

    # Back online: sent on the "online" event, once; the page shows the case in progress.
    await context.set_offline(False)
    await page.locator(".state", has_text="处置中").wait_for(timeout=30_000)
    await page.locator(".waiting").wait_for(state="hidden")
    timeline = await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    actions = [e["action"] for e in timeline.json()["items"]]
    assert actions.count("accept") == 1, actions
    keys = {r.headers["idempotency-key"] for r in accepts}
    assert len(keys) == 1, keys
    await shot(page, "iphone13-7-accept-sent-online", wait_toasts=True)
    await context.close()


async def test_my_tasks_shows_a_new_task_live_without_a_reload(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user, tokens, case = await _officer_with_task(client, "周敏", address="江川路 170 号")
    context = await phone(browser, "Galaxy S5")
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator(f'[data-case="{case["id"]}"]').wait_for()
    loads = await page.evaluate("performance.getEntriesByType('navigation').length")

    # A case dispatched to the officer while the list is open: it appears by itself
    # (the inbox stream's notification), no pull, no reload.
    second = await report(client, tokens, "05-05", point=SPOT, address="江川路 172 号")
    assert second["assignee"]["id"] == tokens["user"]["id"]
    await page.locator(f'[data-case="{second["id"]}"]').wait_for(timeout=15_000)
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == loads
    await shot(page, "android-4-task-arrived-live")
    await context.close()


async def test_unknown_app_paths_open_the_app(
    browser: tuple[Playwright, Browser], app_url: str
) -> None:
    """History fallback: a deep link opens the app, which asks for sign-in first."""
    context = await phone(browser, "Galaxy S5")
    page = await context.new_page()
    response = await page.goto(f"{app_url}/app/tasks/999999")
    assert response is not None and response.status == 200
    await page.wait_for_url("**/app/login?next=/tasks/999999")
    await page.get_by_role("button", name="账号密码登录").wait_for()
    await context.close()


async def test_lost_answers_are_asked_again_not_a_sign_out(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    """A weak network: the server handles the refresh and the accept, their answers never
    reach the phone. The app asks again with the same refresh token and the same
    Idempotency-Key; the officer stays signed in and the case is accepted once."""
    user, tokens, case = await _officer_with_task(
        client, "赵磊", address="江川路 150 号", description="跨门营业"
    )
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator(f'[data-case="{case["id"]}"]').wait_for()

    sent: dict[str, list[Request]] = {"refresh": [], "accept": []}

    def lose_first_answer(kind: str) -> Callable[[Route], Awaitable[None]]:
        async def handle(route: Route) -> None:
            sent[kind].append(route.request)
            if len(sent[kind]) == 1:
                await route.fetch()  # the server gets it and answers; the phone does not hear
                await route.abort("connectionreset")
            else:
                await route.continue_()

        return handle

    await page.route("**/api/v1/auth/refresh", lose_first_answer("refresh"))
    await page.route(f"**/api/v1/cases/{case['id']}/accept", lose_first_answer("accept"))

    # The access token is about to expire: the next page load refreshes it first.
    before = await page.evaluate("JSON.parse(localStorage.getItem('offsite.session'))")
    await page.evaluate(
        "s => localStorage.setItem('offsite.session',"
        " JSON.stringify({ ...s, expiresAt: Date.now() }))",
        before,
    )
    await page.goto(f"{app_url}/app/tasks/{case['id']}")
    accept = page.get_by_role("button", name="接收任务")
    await accept.wait_for()
    assert [r.post_data_json for r in sent["refresh"]] == [
        {"refresh_token": before["refreshToken"]}
    ] * 2
    after = await page.evaluate("JSON.parse(localStorage.getItem('offsite.session'))")
    assert after["refreshToken"] != before["refreshToken"]
    assert "/login" not in page.url

    await accept.click()
    await page.locator(".state", has_text="处置中").wait_for()
    keys = [r.headers["idempotency-key"] for r in sent["accept"]]
    assert len(keys) == 2 and keys[0] == keys[1]
    timeline = await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    actions = [e["action"] for e in timeline.json()["items"]]
    assert actions.count("accept") == 1, actions
    await shot(page, "iphone13-5-weak-network-accepted")
    await context.close()
