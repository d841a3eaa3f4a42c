"""The command console (一体化指挥) in a real browser at 1920×1080 against the real
system: the district on its own GeoJSON, open cases, officers moving live, and a known
point pinned to the same pixel on a WGS-84 and a GCJ-02 base. Screenshots go to
.data/test/screenshots/console-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Playwright

from domain.geo import CoordType, LngLat, from_wgs84
from domain.org import Role
from storage.db import engine
from tests.e2e.browser import api_process, shot
from tests.e2e.tiles import tile_server
from tests.factories import make_user, unique
from tests.integration.cases_helpers import go_on_duty, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

JIANGCHUAN = "310112001"
# A street corner of 江川路 (WGS-84): the case, the landmark on the tiles.
CORNER = {"lng": 121.4012, "lat": 31.0021, "coord_type": "wgs84"}
DESKTOP = {"width": 1920, "height": 1080}


async def _desk(browser: tuple[Playwright, Browser], base: str, user: dict[str, Any]) -> Page:
    _, chromium = browser
    context = await chromium.new_context(
        viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = await context.new_page()
    await page.goto(f"{base}/app/login")
    await page.get_by_placeholder("请输入账号").fill(user["username"])
    await page.get_by_placeholder("请输入密码").fill(user["password"])
    await page.get_by_role("button", name="账号密码登录").click()
    await page.wait_for_url("**/app/console")  # the district desk on a desktop: the console
    return page


async def _centre_of(page: Page, selector: str) -> tuple[float, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


async def test_the_console_shows_the_district_its_cases_and_officers_moving(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    officer = await login(
        client, await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="林巡查")
    )
    await go_on_duty(client, officer, CORNER)
    case = await report(client, officer, "05-04", point=CORNER, address="江川路 88 号")
    commander = await make_user(Role.commander, squad_code=None, display_name="指挥中心值班")
    page = await _desk(browser, app_url, commander)
    await page.goto(f"{app_url}/app/console")
    await page.locator("path.squad-shape").nth(13).wait_for()  # all 14 squads
    assert await page.locator("path.squad-shape").count() == 14
    await page.locator(f"path.case-{case['id']}").wait_for(state="attached")
    marker = f'[data-officer-id="{officer["user"]["id"]}"]'
    await page.locator(marker).wait_for()
    await page.locator("[data-live]", has_text="已连接").wait_for()
    assert "辖区图" in await page.locator("[data-base]").inner_text()
    await shot(page, "console-1-district")

    # Zoomed in on the officer: their phone reports a new position, the marker follows.
    await page.goto(f"{app_url}/app/console?at={CORNER['lng']},{CORNER['lat']},17")
    await page.locator(marker).wait_for()
    await page.locator("[data-live]", has_text="已连接").wait_for()
    await page.evaluate("window.__sameDocument = true")  # a reload would drop it
    x0, y0 = await _centre_of(page, marker)
    east = CORNER | {"lng": CORNER["lng"] + 0.0015}  # ~140 m east: ~140 px at zoom 17
    await go_on_duty(client, officer, east)
    await page.wait_for_function(
        """([sel, x0]) => {
            const r = document.querySelector(sel)?.getBoundingClientRect();
            return r && r.left + r.width / 2 - x0 > 100;
        }""",
        arg=[marker, x0],
    )
    assert await page.evaluate("window.__sameDocument") is True
    x1, y1 = await _centre_of(page, marker)
    assert x1 - x0 > 100 and abs(y1 - y0) < 3  # east, on the same parallel
    await shot(page, "console-2-officer-moved")
    await page.context.close()


async def _many_open_cases(template: int, n: int) -> None:
    """``n`` copies of a case spread over 江川路 and 莘庄 (SQL: quicker than n reports)."""
    pool = engine().pool
    assert pool is not None
    columns = [
        r["column_name"]
        for r in await pool.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'enforcement_case' AND column_name <> 'id'"
            " ORDER BY ordinal_position"
        )
    ]
    made = {
        "number": "'MAPE2E' || g",
        "external_id": "NULL",
        "lng": "121.36 + random() * 0.06",
        "lat": "30.99 + random() * 0.12",
        "overdue": "g % 5 = 0",
    }
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(made.get(c, f'"{c}"') for c in columns)
    await pool.execute(
        f"INSERT INTO enforcement_case ({names}) SELECT {values}"
        f" FROM enforcement_case, generate_series(1, {n}) AS g WHERE id = $1",
        template,
    )


async def test_zoomed_out_the_console_shows_clusters_that_add_up(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    case = await report(client, officer, "05-04", point=CORNER)
    await _many_open_cases(case["id"], 800)
    try:
        page = await _desk(browser, app_url, await make_user(Role.commander, squad_code=None))
        await page.locator(".case-cluster").first.wait_for()
        total = int(await page.locator("[data-open-total]").inner_text())
        assert total > 800
        counts = await page.locator(".case-cluster span").all_inner_texts()
        assert sum(int(c) for c in counts) == total
        assert await page.locator(".case-cluster .late").count() > 0  # overdue shown
        await shot(page, "console-4-clusters")
        await page.context.close()
    finally:
        pool = engine().pool
        assert pool is not None
        await pool.execute("DELETE FROM enforcement_case WHERE number LIKE 'MAPE2E%'")


@pytest.mark.parametrize(
    ("base", "datum"), [("tianditu", CoordType.wgs84), ("amap", CoordType.gcj02)]
)
async def test_a_known_point_sits_on_the_same_pixel_on_every_base(
    browser: tuple[Playwright, Browser],
    client: AppClient,
    base: str,
    datum: CoordType,
) -> None:
    """The tiles draw the corner where that base's datum puts it; the map opens centred
    on the corner in that datum. The case's marker must sit at the centre, on the tiles'
    cross, on both bases; skipping the conversion would put it ~500 m (~480 px) off on
    the GCJ-02 base."""
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    case = await report(client, officer, "05-04", point=CORNER)
    commander = await make_user(Role.commander, squad_code=None)
    there = from_wgs84(LngLat(CORNER["lng"], CORNER["lat"]), datum)
    with (
        tile_server(there) as tiles,
        api_process({"OFFSITE_MAP_BASE": base, "OFFSITE_MAP_TILE_URL": tiles}) as app,
    ):
        page = await _desk(browser, app, commander)
        await page.goto(f"{app}/app/console?at={there.lng},{there.lat},17")
        dot = f"path.case-{case['id']}"
        await page.locator(dot).wait_for()
        await page.locator("img.leaflet-tile-loaded").first.wait_for()  # CSP lets tiles in
        mx, my = await _centre_of(page, dot)
        cx, cy = await _centre_of(page, "[data-map]")
        assert abs(mx - cx) <= 1.5 and abs(my - cy) <= 1.5, (base, mx - cx, my - cy)
        await shot(page, f"console-3-pinned-{base}")
        await page.context.close()


async def test_an_officer_s_popup_says_shift_duty_and_kit_and_replays_the_track(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    """在班 and 在岗 in the popup and the side list, the body camera held now, and 轨迹回放:
    three positions sent by the phone drawn as a line; the slider moves the marker."""
    officer = await login(
        client, await make_user(Role.officer, squad_code=JIANGCHUAN, display_name="轨迹队员")
    )
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    item = await client.post(
        "/api/v1/equipment",
        headers=bearer(leader),
        json={"kind": "body_camera", "code": unique("JLY-"), "label": "执法记录仪 9 号"},
    )
    assert item.status_code == 201, item.text
    start = datetime.now(UTC) - timedelta(hours=1)
    held = await client.post(
        f"/api/v1/equipment/{item.json()['id']}/assignments",
        headers=bearer(leader),
        json={
            "user_id": officer["user"]["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(),
        },
    )
    assert held.status_code == 201, held.text
    west = CORNER | {"lng": CORNER["lng"] - 0.004}
    for step in range(3):  # ~190 m apart, heading east
        await go_on_duty(client, officer, west | {"lng": west["lng"] + 0.002 * step})

    commander = await make_user(Role.commander, squad_code=None)
    page = await _desk(browser, app_url, commander)
    await page.goto(f"{app_url}/app/console?at={CORNER['lng']},{CORNER['lat']},16")
    row = page.locator("[data-officer-list] li", has_text="轨迹队员")
    await row.locator("[data-on-shift]", has_text="在班").wait_for()
    assert "执法记录仪 9 号" in await row.inner_text()
    await page.locator(f'[data-officer-id="{officer["user"]["id"]}"]').click()
    popup = page.locator(".console-popup")
    await popup.locator("[data-shift]", has_text="在班").wait_for()
    assert "在岗" in await popup.inner_text() and "执法记录仪 9 号" in await popup.inner_text()
    await shot(page, "console-5-officer-popup")

    await popup.locator("[data-track]").click()
    await page.locator("path.track-line").wait_for(state="attached")
    slider = page.locator("[data-track-slider]")
    assert await slider.get_attribute("max") == "2"  # three positions
    x0, _ = await _centre_of(page, ".track-marker")
    await slider.fill("2")
    await page.wait_for_function(
        """x0 => {
            const r = document.querySelector(".track-marker")?.getBoundingClientRect();
            return r && r.left + r.width / 2 - x0 > 50;
        }""",
        arg=x0,
    )
    await page.locator("[data-track-play]").click()  # plays from the start again
    await page.locator("[data-track-play]", has_text="暂停").wait_for()
    await page.locator("[data-track-play]", has_text="播放").wait_for()  # to the end
    await shot(page, "console-6-track-replay")
    await page.context.close()
