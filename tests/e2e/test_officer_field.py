"""The officer on site and on patrol, in a real browser against the real system: a photo
from the camera straight to object storage and its check, the outcome with a deadline,
duty on, and a patrol report made offline that is sent exactly once when the network
returns. Screenshots go to .data/test/screenshots/field-*.png."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.async_api import (
    Browser,
    Playwright,
    Request,
    Route,
)

from domain.org import Role
from offsite.settings import Settings
from storage.tables import Case, StaffUser
from tests.e2e.browser import phone, shot
from tests.e2e.test_officer_app import SPOT, _officer_with_task, _sign_in
from tests.factories import make_user, squad_id, unique
from tests.integration.cases_helpers import command, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


SHANGHAI = ZoneInfo("Asia/Shanghai")
JIANGCHUAN = "310112001"
# A patrol spot of these tests' own in 江川, ~300 m from SPOT.
PATROL = {"lng": 121.4075, "lat": 30.9975, "coord_type": "wgs84"}


def _camera_photo(source: Path, folder: Path) -> Path:
    """The picture as a phone's camera writes it: with the time it was taken in EXIF
    (DateTimeOriginal and its offset), which the check compares with the phone's clock."""
    image = Image.open(source)
    exif = Image.Exif()
    now = datetime.now(SHANGHAI)
    exif.get_ifd(0x8769).update({36867: now.strftime("%Y:%m:%d %H:%M:%S"), 36881: "+08:00"})
    out = folder / f"camera-{source.name}"
    image.save(out, "JPEG", quality=90, exif=exif)
    return out


async def test_officer_photographs_the_spot_and_orders_rectification(
    browser: tuple[Playwright, Browser],
    app_url: str,
    client: AppClient,
    settings: Settings,
    tmp_path: Path,
) -> None:
    user, tokens, case = await _officer_with_task(
        client, "孙立", address="江川路 120 号", description="店外经营，占用人行道"
    )
    await StaffUser.update({StaffUser.on_duty: False}).where(StaffUser.id == tokens["user"]["id"])
    context = await phone(browser, point=SPOT)
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    card = page.locator(f'[data-case="{case["id"]}"]')
    await card.wait_for()

    # On duty: the server knows, with the phone's position.
    await page.locator("[data-duty]").click()
    await page.locator(".duty.on").wait_for()
    me = (await client.get("/api/v1/me", headers=bearer(tokens))).json()["user"]
    assert me["on_duty"] is True
    assert abs(me["last_location"]["lat"] - SPOT["lat"]) < 1e-5, me
    await shot(page, "field-1-tasks-on-duty", wait_toasts=True)

    await card.click()
    await page.get_by_role("button", name="接收任务").click()
    await page.locator(".state", has_text="处置中").wait_for()

    # A photo from the camera: uploaded straight to the object store, then checked.
    image = _camera_photo(settings.testdata_dir / "images" / "bus_street_shopfronts.jpg", tmp_path)
    # The first upload's connection drops: the photo waits in the outbox, shown as such,
    # until the officer (or the next retry) sends it again.
    posts: list[str] = []

    async def drop_first_upload(route: Route) -> None:
        if route.request.method == "POST":
            posts.append(route.request.url)
            if len(posts) == 1:
                await route.abort("connectionreset")
                return
        await route.continue_()

    await page.route(lambda url: not url.startswith(app_url), drop_first_upload)
    await page.locator("[data-camera]").set_input_files(str(image))
    await page.locator("[data-queued-photo]", has_text="待发送").wait_for()
    await page.locator("[data-outbox]").click()
    await page.get_by_role("button", name="立即重试发送").click()
    await page.get_by_text("全部已发送").wait_for()
    assert len(posts) == 2
    await page.go_back()
    check = page.locator(".shot[data-evidence] [data-check]")
    await check.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('.shot[data-evidence] [data-check]')?.textContent"
        ".trim() === '已通过'",
        timeout=30_000,
    )
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.photo img')]"
        ".every((i) => i.complete && i.naturalWidth > 0)"
    )
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    # (the dropped upload's grant is left unused: it expires)
    photos = [
        e for e in detail["evidence"] if e["purpose"] == "verification" and e["status"] != "granted"
    ]
    assert [(e["status"], e["flags"]) for e in photos] == [("verified", [])], photos
    await shot(page, "field-2-photo-checked", wait_toasts=True)

    # 责令限期整改 with a deadline five days on, at 17:30 Shanghai time.
    await page.get_by_role("radio", name="责令限期整改").click()
    due = (datetime.now(SHANGHAI) + timedelta(days=5)).replace(
        hour=17, minute=30, second=0, microsecond=0
    )
    await page.locator("[data-rectify-by]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    await shot(page, "field-3-outcome-form", wait_toasts=True)
    await page.get_by_role("button", name="提交核查结果").click()
    await page.locator(".state", has_text="限期整改").wait_for()
    await shot(page, "field-4-rectification-ordered", wait_toasts=True)

    fresh = (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))).json()
    assert fresh["state"] == "awaiting_rectification"
    assert fresh["outcome"] == "rectification_ordered"
    assert datetime.fromisoformat(fresh["rectify_by"]) == due.astimezone(UTC)
    timeline = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    ).json()["items"]
    verify = [e for e in timeline if e["action"] == "verify"]
    assert len(verify) == 1
    assert verify[0]["location"] is not None
    assert abs(verify[0]["location"]["lng"] - SPOT["lng"]) < 1e-5
    assert await page.locator("[data-outbox]").count() == 0

    # The recheck: a new photo and 已整改 sent at once, while the photo's check still
    # runs — the API says 409 evidence_checks_pending, the app asks again with the same key.
    rechecks: list[Request] = []
    page.on("request", lambda r: rechecks.append(r) if r.url.endswith("/recheck") else None)
    await page.locator("[data-camera]").set_input_files(str(image))
    await page.get_by_role("button", name="提交复查结果").click()
    await page.locator(".state", has_text="待核查").wait_for(timeout=30_000)
    keys = {r.headers["idempotency-key"] for r in rechecks}
    assert len(keys) == 1, keys  # (usually two tries: the first meets the running check)
    timeline = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    ).json()["items"]
    assert [e["action"] for e in timeline].count("recheck") == 1
    await shot(page, "field-4b-rechecked", wait_toasts=True)
    await context.close()


async def test_a_report_made_offline_is_sent_once_when_the_network_returns(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, settings: Settings
) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    user = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="周敏")
    tokens = await login(client, user)
    await go_on_duty(client, tokens, PATROL)
    # Already reported here, same type, still open: offered as "the same one".
    existing = await report(client, tokens, "05-04", point=PATROL, address="江川路 300 号")

    context = await phone(browser, point=PATROL)
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.get_by_role("button", name="巡查上报").click()
    await page.locator("[data-type-picker]").click()
    await page.get_by_placeholder("搜索类型名称或编码").fill("店外")
    await page.locator("[data-type]", has_text="店外经营").click()
    same = page.locator("[data-same]")
    await same.wait_for()
    assert existing["number"] in await same.inner_text()
    await shot(page, "field-5-report-same-one", wait_toasts=True)

    # The network drops; the officer reports anyway (a different stall, it turns out).
    description = f"流动摊贩占道 {datetime.now(UTC).timestamp()}"
    await context.set_offline(True)
    await page.locator("[data-description] textarea").fill(description)
    await page.get_by_placeholder("如：江川路 101 号门前").fill("江川路 302 号")
    image = settings.testdata_dir / "images" / "food_truck_plaza.jpg"
    await page.locator("[data-camera]").set_input_files(str(image))
    await page.locator(".shot img").wait_for()
    await page.get_by_role("button", name="上报", exact=True).click()
    badge = page.locator("[data-outbox]")
    await badge.wait_for()
    assert "待发送 1" in " ".join((await badge.inner_text()).split())
    # My tasks, offline: the list as last synced, saying so.
    await page.locator("[data-stale]", has_text="网络不可用").wait_for(timeout=20_000)
    await shot(page, "field-5b-tasks-offline", wait_toasts=True)
    await badge.click()
    await page.locator("[data-outbox-item]", has_text="上报：店外经营").wait_for()
    await shot(page, "field-6-outbox-offline")
    assert await Case.count().where(Case.description == description) == 0

    # Back online: sent on the "online" event, once; the list empties.
    await context.set_offline(False)
    await page.get_by_text("全部已发送").wait_for(timeout=30_000)
    made = await Case.select(Case.id).where(Case.description == description)
    assert len(made) == 1, made
    detail = (await client.get(f"/api/v1/cases/{made[0]['id']}", headers=bearer(tokens))).json()
    for _ in range(100):
        if all(e["status"] != "processing" for e in detail["evidence"]):
            break
        await asyncio.sleep(0.1)  # the worker checks the photo; no event to await here
        detail = (await client.get(f"/api/v1/cases/{made[0]['id']}", headers=bearer(tokens))).json()
    assert [(e["purpose"], e["status"]) for e in detail["evidence"]] == [("report", "verified")]
    assert detail["address"] == "江川路 302 号"
    await shot(page, "field-7-outbox-sent", wait_toasts=True)
    await context.close()


async def test_a_stale_queued_command_shows_the_fresh_case_and_is_sent_on_the_officers_word(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    user, tokens, case = await _officer_with_task(
        client, "钱进", address="江川路 180 号", description="跨门营业"
    )
    case = await command(client, tokens, case, "accept")
    context = await phone(browser, "Galaxy S5", SPOT)
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.locator(f'[data-case="{case["id"]}"]').click()
    await page.locator(".state", has_text="处置中").wait_for()

    # Meanwhile the case moves on elsewhere (a note from the squad's desk, say).
    await command(client, tokens, case, "comment", text="已通知商户")
    await page.get_by_placeholder("写一条备注").fill("已电话联系当事人")
    await page.get_by_role("button", name="发送").click()
    refused = page.locator(".refused-notice")
    await refused.wait_for()
    text = await refused.inner_text()
    assert "案件已被他人更新" in text and "案件当前：处置中" in text, text
    await shot(page, "field-8-queued-conflict", wait_toasts=True)

    # Nothing was dropped: on the officer's word it goes with the fresh version, once.
    await refused.get_by_role("button", name="按最新状态重新提交").click()
    await refused.wait_for(state="hidden")
    await page.locator("[data-outbox]").wait_for(state="detached")  # sent, not just retried
    timeline = (
        await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(tokens))
    ).json()["items"]
    notes = [e["data"].get("text") for e in timeline if e["action"] == "comment"]
    assert notes.count("已电话联系当事人") == 1, timeline
    await context.close()


async def test_a_report_is_placed_by_a_typed_address_when_the_phone_has_no_position(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient, settings: Settings
) -> None:
    """No position from the browser (refused, or indoors): the officer types the address,
    picks the district's own place from the list (no outside geocoder), and the report
    goes from there, the picked text as its address."""
    await quiet_squad(await squad_id(JIANGCHUAN))
    user = await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="蒋涛")
    tokens = await login(client, user)
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    tag = unique("鲜")
    shop = {"lng": 121.4081, "lat": 30.9969, "coord_type": "wgs84"}  # ~100 m from PATROL
    subject = await client.post(
        "/api/v1/subjects",
        headers=bearer(leader),
        json={
            "kind": "merchant",
            "name": f"{tag}水果店",
            "address": "江川路 318 号",
            "location": shop,
            "details": {"type": "merchant", "shop_sign": f"{tag}水果"},
        },
    )
    assert subject.status_code == 201, subject.text

    context = await phone(browser, "Galaxy S5")  # location not granted: no position
    page = await context.new_page()
    await _sign_in(page, app_url, user)
    await page.get_by_role("button", name="账号密码登录").click()
    await page.get_by_role("button", name="巡查上报").click()
    await page.get_by_text("未能获取位置：请输入地址").wait_for()
    await page.locator("[data-type-picker]").click()
    await page.get_by_placeholder("搜索类型名称或编码").fill("店外")
    await page.locator("[data-type]", has_text="店外经营").click()

    await page.locator("[data-address] input").fill(f"{tag}水果")
    option = page.locator("[data-place]", has_text=f"{tag}水果店")
    await option.wait_for()
    assert "监管对象" in await option.inner_text()
    await shot(page, "field-8-typed-address-lookup")
    await option.click()
    await page.locator("[data-position-from]", has_text=f"{tag}水果店").wait_for()
    assert await page.locator("[data-position] input").input_value() == "121.40810, 30.99690"
    assert (
        await page.locator("[data-address] input").input_value() == f"江川路 318 号（{tag}水果店）"
    )
    description = f"水果摊占道 {tag}"
    await page.locator("[data-description] textarea").fill(description)
    image = settings.testdata_dir / "images" / "food_truck_plaza.jpg"
    await page.locator("[data-camera]").set_input_files(str(image))
    await page.locator(".shot img").wait_for()
    await shot(page, "field-9-typed-address-picked")
    await page.get_by_role("button", name="上报", exact=True).click()
    await page.wait_for_url(f"{app_url}/app/")
    await page.locator("[data-outbox]").wait_for(state="hidden", timeout=30_000)  # all sent

    made = await Case.select(Case.id).where(Case.description == description)
    assert len(made) == 1, made
    detail = (await client.get(f"/api/v1/cases/{made[0]['id']}", headers=bearer(tokens))).json()
    assert detail["location"]["lng"] == pytest.approx(shop["lng"], abs=1e-6)
    assert detail["location"]["lat"] == pytest.approx(shop["lat"], abs=1e-6)
    assert detail["address"] == f"江川路 318 号（{tag}水果店）"
    await context.close()
