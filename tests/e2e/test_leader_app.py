"""The squad leader's pages and the inbox in a real browser (Debian's Chromium at an
iPhone 13 viewport) against the real system: ``offsite api`` serving the built app,
``offsite worker`` checking photos, relaying the board feed and filling inboxes,
PostgreSQL, Redis and S3. Screenshots go to .data/test/screenshots/leader-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Error, Page, Playwright

from domain.org import Role
from offsite.settings import Settings
from storage.tables import Case
from tests.e2e.browser import phone, shot
from tests.e2e.test_officer_app import JIANGCHUAN, SPOT, _officer_with_task
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import command, go_on_duty, photo, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
# Some 400 m east of SPOT: the second officer's last position.
FARTHER = {"lng": 121.4096, "lat": 30.9955505, "coord_type": "wgs84"}


async def _sign_in_leader(page: Page, base: str, user: dict[str, Any]) -> None:
    await page.goto(f"{base}/app/")
    await page.wait_for_url("**/app/login**")
    await page.get_by_placeholder("请输入账号").fill(user["username"])
    await page.get_by_placeholder("请输入密码").fill(user["password"])
    await page.get_by_role("button", name="账号密码登录").click()
    await page.wait_for_url("**/app/board")


async def _still(page: Page, name: str) -> None:
    """The screenshot once toasts are gone; again if an animation was cancelled while the
    shot waited for it (a toast leaving, a row's flash ending): that is not a failure."""
    await page.wait_for_function(
        "() => ![...document.querySelectorAll('.van-toast')].some((t) => t.checkVisibility())"
    )
    for attempt in range(3):
        try:
            await shot(page, name)
            return
        except Error as exc:
            if "AbortError" not in str(exc) or attempt == 2:
                raise


async def _row_state(page: Page, case_id: int, state: str) -> None:
    await page.locator(f'[data-board-case="{case_id}"][data-state="{state}"]').wait_for()


async def _unread(page: Page) -> int:
    text = await page.locator("[data-unread] .van-badge").all_inner_texts()
    return int(text[0]) if text and text[0].strip() else 0


async def test_leader_watches_the_board_assigns_reviews_and_closes(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, settings: Settings
) -> None:
    _, officer_tokens, case = await _officer_with_task(
        client, "陈志强", address="江川路 201 号", description="门前堆放建材"
    )
    leader = await make_user(Role.squad_leader, squad_code=JIANGCHUAN, display_name="周中队长")
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await _sign_in_leader(page, app_url, leader)
    await page.locator("[data-live]", has_text="实时").wait_for()
    await _row_state(page, case["id"], "dispatched")
    await page.evaluate("window.__sameDocument = true")  # a reload would drop it
    await page.wait_for_function(
        "() => document.querySelector('[data-figure=\"closure\"]')?.textContent !== '—'"
    )
    await _still(page, "leader-1-board")
    badge_before = await _unread(page)

    # The officer works the case through the API: the leader's board follows it live.
    case = await command(client, officer_tokens, case, "accept", location=SPOT)
    await _row_state(page, case["id"], "in_progress")
    images = settings.testdata_dir / "images"
    shot = await photo(
        client,
        officer_tokens,
        case,
        "verification",
        image=images / "bus_street_shopfronts.jpg",
        location=SPOT,
        by_worker=True,
    )
    case = await command(
        client,
        officer_tokens,
        case,
        "verify",
        outcome="rectification_ordered",
        rectify_by=(datetime.now(UTC) + timedelta(hours=2)).isoformat(),
        note="责令两小时内清理",
        evidence_ids=[shot],
    )
    await _row_state(page, case["id"], "awaiting_rectification")
    again = await photo(
        client,
        officer_tokens,
        case,
        "recheck",
        image=images / "pedestrian_plaza_trash_bins.jpg",
        location=SPOT,
        by_worker=True,
    )
    case = await command(
        client, officer_tokens, case, "recheck", result="corrected", evidence_ids=[again]
    )
    await _row_state(page, case["id"], "pending_review")
    # The review request reaches the leader's inbox: the badge rises, still no reload.
    await page.wait_for_function(
        f"() => Number(document.querySelector('[data-unread] .van-badge')?.textContent || 0)"
        f" > {badge_before}"
    )
    assert await page.evaluate("window.__sameDocument") is True

    # Filters: overdue-only hides the fresh case; the 待我处理 tab lists it for review.
    await page.locator('[data-filter="overdue"]').click()
    await page.locator(f'[data-board-case="{case["id"]}"]').wait_for(state="detached")
    await page.locator('[data-filter="overdue"]').click()
    await page.get_by_role("tab", name="待我处理").click()
    await page.locator(f'[data-review-case="{case["id"]}"]').wait_for()
    await _still(page, "leader-2-waiting")

    # Review: both photos with their checks, the timeline; close it.
    await page.locator(f'[data-review-case="{case["id"]}"]').click()
    await page.wait_for_url(f"**/app/board/cases/{case['id']}")
    await page.wait_for_function(
        "() => { const i = [...document.querySelectorAll('.photo img')];"
        " return i.length === 2 && i.every((x) => x.complete && x.naturalWidth > 0); }"
    )
    assert await page.locator("[data-evidence] .flag").count() >= 2
    await page.locator('[data-action="recheck"]').wait_for()
    await page.locator('[data-action="accept"]').wait_for()
    await _still(page, "leader-3-review")
    await page.get_by_role("button", name="核查通过，结案").click()
    await page.locator(".state", has_text="已结案").wait_for()
    fresh = await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(officer_tokens))
    assert fresh.json()["state"] == "closed"
    await _still(page, "leader-4-closed")

    # Assign: a case nobody holds (no officer on duty when reported), from the 未派 filter.
    await quiet_squad(await squad_id(JIANGCHUAN))
    leader_tokens = await login(client, leader)
    loose = await report(client, leader_tokens, "05-05", point=SPOT, address="江川路 260 号")
    assert loose["assignee"] is None, loose
    near = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="就近队员")
    far = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="远处队员")
    await go_on_duty(client, await login(client, near), SPOT)
    await go_on_duty(client, await login(client, far), FARTHER)
    await page.get_by_text("看板").first.click()
    await page.wait_for_url("**/app/board")
    await page.locator('[data-filter="unassigned"]').click()
    row = page.locator(f'[data-board-case="{loose["id"]}"]')
    await row.wait_for()
    await row.click()
    await page.get_by_role("button", name="派给队员").click()
    first = page.locator("[data-officer]").first
    await first.wait_for()
    assert await first.get_attribute("data-officer") == str(near["id"])  # nearest on duty
    near_row = page.locator(f'[data-officer="{near["id"]}"]')
    assert "在岗" in await near_row.inner_text()
    assert "在办 0 件" in await near_row.inner_text()
    assert "距离 0 米" in await near_row.inner_text()
    assert "距离 390 米" in await page.locator(f'[data-officer="{far["id"]}"]').inner_text()
    await _still(page, "leader-5-assign")
    await near_row.click()
    await page.locator(".assignee", has_text="就近队员").wait_for()
    assigned = await client.get(f"/api/v1/cases/{loose['id']}", headers=bearer(leader_tokens))
    assert assigned.json()["assignee"]["id"] == near["id"]
    await context.close()


async def test_inbox_badge_rises_live_and_a_tap_opens_the_case(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    """An officer's inbox: a task assigned while the app is open raises the badge; the
    notification opens the task."""
    officer, tokens, first = await _officer_with_task(client, "孙丽", address="江川路 300 号")
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await page.goto(f"{app_url}/app/")
    await page.wait_for_url("**/app/login**")
    await page.get_by_placeholder("请输入账号").fill(officer["username"])
    await page.get_by_placeholder("请输入密码").fill(officer["password"])
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator(f'[data-case="{first["id"]}"]').wait_for()
    await page.wait_for_function(
        "() => Number(document.querySelector('[data-unread] .van-badge')?.textContent || 0) >= 1"
    )
    before = await _unread(page)

    second = await report(client, tokens, "05-05", point=SPOT, address="江川路 302 号")
    assert second["assignee"]["id"] == officer["id"]
    await page.wait_for_function(
        "() => Number(document.querySelector('[data-unread] .van-badge')?.textContent || 0)"
        f" > {before}"
    )
    await _still(page, "leader-6-officer-badge")
    await page.locator(".inbox-button").click()
    await page.wait_for_url("**/app/inbox")
    note = page.locator(".unread", has_text=second["number"])
    await note.wait_for()
    await _still(page, "leader-7-inbox")
    await note.click()
    await page.wait_for_url(f"**/app/tasks/{second['id']}")
    await page.get_by_role("button", name="接收任务").wait_for()
    page_of = await client.get("/api/v1/notifications?unread=true", headers=bearer(tokens))
    assert all(n["case_id"] != second["id"] for n in page_of.json()["items"])
    # The leader's pages are not an officer's: a typed-in link lands on my tasks.
    await page.goto(f"{app_url}/app/board")
    await page.wait_for_url(f"{app_url}/app/")
    await page.locator(f'[data-case="{second["id"]}"]').wait_for()
    await context.close()


async def test_leader_returns_a_case_with_a_reason_on_a_small_android(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, settings: Settings
) -> None:
    """Returned (退回): back to the officer as rework, the reason on the timeline."""
    _, officer_tokens, case = await _officer_with_task(client, "吴刚", address="江川路 410 号")
    leader = await make_user(Role.squad_leader, squad_code=JIANGCHUAN, display_name="郑中队长")
    case = await command(client, officer_tokens, case, "accept", location=SPOT)
    shot = await photo(
        client,
        officer_tokens,
        case,
        image=settings.testdata_dir / "images" / "food_truck_plaza.jpg",
        location=SPOT,
        by_worker=True,
    )
    case = await command(
        client, officer_tokens, case, "verify", outcome="corrected_on_site", evidence_ids=[shot]
    )
    assert case["state"] == "pending_review"

    context = await phone(browser, "Galaxy S5")  # 360 × 640
    page = await context.new_page()
    await _sign_in_leader(page, app_url, leader)
    await _row_state(page, case["id"], "pending_review")
    await _still(page, "leader-android-1-board")
    await page.locator(f'[data-board-case="{case["id"]}"]').click()
    await page.locator(".photo img").wait_for()
    await page.get_by_role("button", name="退回重办").click()
    confirm = page.get_by_role("button", name="确认退回")
    assert await confirm.is_disabled()  # no reason, no return
    await page.get_by_placeholder("请写明需要补充或重做的内容").fill("照片未拍到整改后的门前")
    await _still(page, "leader-android-2-return")
    await confirm.click()
    await page.locator(".state", has_text="已派遣").wait_for()
    await page.locator('[data-action="return"]', has_text="照片未拍到整改后的门前").wait_for()
    fresh = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(officer_tokens))).json()
    assert fresh["state"] == "dispatched" and fresh["rework_count"] == 1
    timeline = await client.get(
        f"/api/v1/cases/{case['id']}/timeline", headers=bearer(officer_tokens)
    )
    returned = [e for e in timeline.json()["items"] if e["action"] == "return"]
    assert returned[0]["data"]["reason"] == "照片未拍到整改后的门前", returned
    await _still(page, "leader-android-3-returned")
    await context.close()


async def test_the_board_pages_on_as_the_leader_scrolls(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    """More cases than a page (50): scrolling to the end loads the next pages (the API's
    keyset cursor), each case once, until the squad's last case; newest first throughout.
    Runs last: it leaves the squad many open, unassigned cases."""
    squad = await squad_id(JIANGCHUAN)
    await quiet_squad(squad)  # nobody on duty: the reports stay unassigned
    reporter = await login(
        client, await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="冯巡查")
    )
    oldest = await report(client, reporter, "05-05", point=SPOT, address="江川路 500 号")
    for n in range(55):
        await report(client, reporter, "05-05", point=SPOT, address=f"江川路 {501 + n} 号")
    total = await Case.count().where(Case.squad == squad)
    assert total > 50  # two pages at least

    leader = await make_user(Role.squad_leader, squad_code=JIANGCHUAN, display_name="钱中队长")
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await _sign_in_leader(page, app_url, leader)
    rows = page.locator("[data-board-case]")
    await rows.first.wait_for()
    assert await rows.count() == 50
    assert "上滑加载更多" in await page.locator("[data-count]").inner_text()
    await _still(page, "leader-8-board-first-page")

    done = page.locator(".van-list__finished-text", has_text="没有更多了")
    for _ in range(10):
        if await done.is_visible():
            break
        shown = await rows.count()
        await rows.last.scroll_into_view_if_needed()
        await page.mouse.wheel(0, 400)
        await page.wait_for_function(
            f"() => document.querySelectorAll('[data-board-case]').length > {shown}"
            " || document.querySelector('.van-list__finished-text')?.textContent"
            "?.includes('没有更多了')"
        )
    await done.wait_for()
    ids = [int(i) for i in await rows.evaluate_all("rs => rs.map((r) => r.dataset.boardCase)")]
    assert len(ids) == len(set(ids)) == total
    assert ids == sorted(ids, reverse=True)  # newest first (ids rise with time)
    assert oldest["id"] in ids
    await page.locator(f'[data-board-case="{oldest["id"]}"]').scroll_into_view_if_needed()
    await shot(page, "leader-9-board-all-pages")
    await context.close()
