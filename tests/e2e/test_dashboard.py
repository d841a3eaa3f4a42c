"""The leaders' dashboard (数据看板) in a real browser against the real system: each page
draws its charts (pixels on the canvas, not just a canvas), shows the API's numbers for
the same query, and a click on a chart or a row opens /dashboard/list with exactly the
cases behind it; a squad leader sees their own squad only, and a phone gets the summary.
Screenshots go to .data/test/screenshots/dashboard-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlparse
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright

from domain.cases.machine import SYSTEM
from domain.cases.model import Source
from domain.geo import LngLat
from domain.org import Role
from offsite.runtime import Runtime
from storage import programmes, repeat_places
from storage.cases import aggregates
from storage.cases.commands import NewCase, create_case
from storage.hotspots import monday_of, refresh_week
from tests.e2e.browser import phone, shot
from tests.factories import make_camera, make_merchant, make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, command, go_on_duty, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

SHANGHAI = ZoneInfo("Asia/Shanghai")
JIANGCHUAN = "310112001"
TYPE = "03-52"  # 车轮带泥: no other test reports it
HOT_TYPE = "03-51"  # 渣土车未苫盖: the planted hotspot's
TRIAGED = "90-01"  # camera and subject cases that wait for triage
CORNER = {"lng": 121.4012, "lat": 31.0021, "coord_type": "wgs84"}
POINT = LngLat(CORNER["lng"], CORNER["lat"])
DESKTOP = {"width": 1920, "height": 1080}
BLUE, CYAN = (22, 119, 255), (8, 145, 178)

# The share of a panel's canvas with something drawn on it (ECharts leaves the rest
# transparent), read from its pixels.
INK = """(panel) => {
  const c = document.querySelector(`[data-panel="${panel}"] canvas`);
  if (!c || !c.width || !c.height) return 0;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n / (c.width * c.height);
}"""

# Where the ``index``-th of ``count`` horizontal bars is (CSS px in the canvas): the rows
# of pixels in the bars' colour, grouped into runs, one run a bar, top to bottom.
BAR_AT = """([panel, index, count, rgb]) => {
  const c = document.querySelector(`[data-panel="${panel}"] canvas`);
  if (!c || !c.width) return null;
  const ratio = c.width / c.clientWidth;
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const near = (i) =>
    Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 24 &&
    d[i + 3] > 200;
  const runs = [];
  for (let y = 0; y < c.height; y++) {
    let x0 = -1;
    for (let x = 0; x < c.width; x++) if (near(4 * (y * c.width + x))) { x0 = x; break; }
    const last = runs[runs.length - 1];
    if (x0 < 0) continue;
    if (last && last.y1 === y - 1) { last.y1 = y; last.x = Math.min(last.x, x0); }
    else runs.push({ y0: y, y1: y, x: x0 });
  }
  if (runs.length !== count) return null;
  const bar = runs[index];
  return [bar.x / ratio + 3, (bar.y0 + bar.y1) / 2 / ratio];
}"""


def _month() -> str:
    return f"{datetime.now(SHANGHAI):%Y-%m}"


def _week() -> str:
    year, week, _ = datetime.now(SHANGHAI).isocalendar()
    return f"{year}-W{week:02d}"


async def _open(
    browser: tuple[Playwright, Browser], base: str, user: dict[str, Any], path: str
) -> tuple[BrowserContext, Page]:
    """A desktop at 1920×1080 signed in, on ``path`` of the app."""
    _, chromium = browser
    context = await chromium.new_context(
        viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = await context.new_page()
    await _sign_in(page, base, user, path)
    return context, page


async def _sign_in(page: Page, base: str, user: dict[str, Any], path: str) -> None:
    await page.goto(f"{base}/app{path}")
    await page.wait_for_url("**/app/login**")
    await page.get_by_placeholder("请输入账号").fill(user["username"])
    await page.get_by_placeholder("请输入密码").fill(user["password"])
    await page.get_by_role("button", name="账号密码登录").click()
    await page.wait_for_url(f"**/app{path.split('?')[0]}**")


async def _drawn(page: Page, panel: str) -> float:
    """Waits until the panel's chart is drawn (animation finished) with pixels on it;
    returns the share inked."""
    await page.locator(f'[data-panel="{panel}"] [data-chart][data-rendered="true"]').wait_for()
    await page.wait_for_function(f"(panel) => ({INK})(panel) > 0.005", arg=panel)
    ink: float = await page.evaluate(INK, panel)
    return ink


async def _text_is(page: Page, selector: str, text: str) -> None:
    """Waits until the element's text is exactly ``text`` (the figures are read async)."""
    await page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.textContent.trim() === text",
        arg=[selector, text],
    )


async def _click_bar(
    page: Page, panel: str, index: int, count: int, rgb: tuple[int, int, int], *, tap: bool = False
) -> None:
    """Clicks (on a phone: taps) the ``index``-th of the panel's ``count`` bars."""
    canvas = page.locator(f'[data-panel="{panel}"] canvas')
    args = [panel, index, count, list(rgb)]
    await page.wait_for_function(f"(args) => ({BAR_AT})(args) !== null", arg=args)
    at = await page.evaluate(BAR_AT, args)
    await canvas.scroll_into_view_if_needed()
    box = await canvas.bounding_box()
    assert box is not None and at is not None
    x, y = box["x"] + at[0], box["y"] + at[1]
    await (page.touchscreen.tap(x, y) if tap else page.mouse.click(x, y))


async def _api(client: AppClient, tokens: dict[str, Any], path: str) -> Any:
    response = await client.get(path, headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()


async def _listed(page: Page) -> list[int]:
    """The case ids /dashboard/list shows, once it has read them."""
    await page.wait_for_url("**/app/dashboard/list**")
    await page.locator("[data-count]").wait_for()
    shown = "[data-panel=list] [data-case-list], [data-panel=list] .dash-empty"
    await page.wait_for_function("(sel) => document.querySelector(sel)", arg=shown)
    return [
        int(v)
        for v in await page.locator("[data-case]").evaluate_all(
            "(rows) => rows.map((r) => r.dataset.case)"
        )
    ]


async def _expected(client: AppClient, tokens: dict[str, Any], page: Page) -> list[int]:
    """The API's first page for the filters now in the list page's URL."""
    query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items() if k != "title"}
    text = "&".join(f"{k}={quote(v)}" for k, v in query.items())
    body = await _api(client, tokens, f"/api/v1/cases?{text}&limit=50")
    return [c["id"] for c in body["items"]]


async def _system_case(runtime: Runtime, **extra: Any) -> int:
    new = NewCase(source=Source.camera, violation_type=TRIAGED, position=POINT, **extra)
    return (await create_case(runtime.cases, new, SYSTEM, datetime.now(UTC))).id


async def test_the_district_dashboard_draws_the_apis_figures_and_opens_their_cases(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    runtime: Runtime = client.app.state.runtime
    squad = await squad_id(JIANGCHUAN)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, CORNER)
    ours = [(await report(client, officer, TYPE, point=CORNER))["id"] for _ in range(3)]
    await aggregates.refresh()  # what the worker does every minute
    commander_user = await make_user(Role.commander, squad_code=None, display_name="看板值班")
    commander = await login(client, commander_user)
    month = _month()

    # 总览: the KPI cards are the district's row; the ranking, the API's ranking.
    context, page = await _open(browser, app_url, commander_user, "/dashboard")
    row = (
        await _api(client, commander, f"/api/v1/stats/indicators?period={month}&group_by=district")
    )["items"][0]
    await _text_is(page, '[data-kpi="cases"] b', str(row["cases"]))
    ranking = (await _api(client, commander, f"/api/v1/stats/ranking?month={month}"))["items"]
    await _drawn(page, "ranking")
    await _drawn(page, "trend")
    shown = await page.locator("[data-ranking] tbody tr").all_inner_texts()
    assert [t.split("\t")[1] for t in shown] == [r["squad_name"] for r in ranking]
    assert [
        None if s == "—" else float(s)
        for s in await page.locator("[data-ranking] [data-score]").all_inner_texts()
    ] == [None if r["score"] is None else round(r["score"], 1) for r in ranking]
    await shot(page, "dashboard-1-overview")

    # A click on 江川路's bar: the squad's cases of the month, ours among them. The chart
    # draws the assessed squads only (不参评 squads are in the table).
    scored = [r for r in ranking if r["rank"] is not None]
    index = next(i for i, r in enumerate(scored) if r["squad_id"] == squad)
    await _click_bar(page, "ranking", index, len(scored), BLUE)
    listed = await _listed(page)
    assert parse_qs(urlparse(page.url).query)["squad_id"] == [str(squad)]
    assert listed == await _expected(client, commander, page)
    assert set(ours) <= set(listed) or len(listed) == 50
    await shot(page, "dashboard-2-list")

    # 案件构成: the total is the API's; the bar of our type lists exactly our cases.
    await page.goto(f"{app_url}/app/dashboard/cases?month={month}")
    breakdown = await _api(client, commander, f"/api/v1/stats/cases?period={month}")
    await _text_is(page, "[data-total]", str(breakdown["total"]))
    for panel in ("source", "type", "squad", "day"):
        assert await _drawn(page, panel) > 0.005, panel
    await shot(page, "dashboard-3-cases")
    types = sorted(breakdown["by_type"], key=lambda t: -t["cases"])
    index = next(i for i, t in enumerate(types) if t["violation_type"] == TYPE)
    await _click_bar(page, "type", index, len(types), BLUE)
    assert sorted(await _listed(page)) == sorted(ours)
    assert await _expected(client, commander, page) == await _listed(page)

    # 摄像头准确率: a camera's two alerts, one dismissed as a false positive.
    camera = await make_camera("看板探头", POINT.lng, POINT.lat)
    alerts = [await _system_case(runtime, camera_id=camera) for _ in range(2)]
    detail = await _api(client, commander, f"/api/v1/cases/{alerts[0]}")
    await command(client, commander, detail, "dismiss", reason="false_positive", note="树影")
    await aggregates.refresh()
    await page.goto(f"{app_url}/app/dashboard/cameras?month={month}")
    precision = (await _api(client, commander, f"/api/v1/stats/precision?period={month}"))["items"]
    mine = next(p for p in precision if p["camera_id"] == camera)
    assert (mine["alerts"], mine["false_positives"]) == (2, 1)
    camera_row = page.locator(f'[data-precision] tr[data-camera="{camera}"]')
    await camera_row.wait_for()
    assert await camera_row.locator("[data-alerts]").inner_text() == "2"
    assert await camera_row.locator("[data-precision-value]").inner_text() == "0.0%"
    assert await page.locator("[data-precision] tbody tr").count() == len(precision)
    await _drawn(page, "precision-chart")
    await shot(page, "dashboard-4-cameras")
    await camera_row.click()
    assert sorted(await _listed(page)) == sorted(alerts)

    # 三大专项: a subject with two cases of one type is a repeat offender; a 美丽街区
    # block around the corner, scored this month.
    subject = await make_merchant("看板便利店", POINT.lng, POINT.lat)
    repeated = [await _system_case(runtime, subject_id=subject) for _ in range(2)]
    admin = await login(client, await make_user(Role.admin))
    d = 0.0005  # about 50 m
    square = [
        {"lng": POINT.lng + dx, "lat": POINT.lat + dy}
        for dx, dy in ((-d, -d), (d, -d), (d, d), (-d, d))
    ]
    made = await client.post(
        "/api/v1/blocks", headers=bearer(admin), json={"name": "看板美丽街区", "polygon": square}
    )
    assert made.status_code == 201, made.text
    block = made.json()
    scored = await client.post(f"/api/v1/blocks/scores/{month}", headers=bearer(commander))
    assert scored.status_code == 200, scored.text
    blocks = (await _api(client, commander, f"/api/v1/blocks/ranking?month={month}"))["blocks"]
    await programmes.refresh(month)  # what the worker does every five minutes
    await page.goto(f"{app_url}/app/dashboard/programmes?month={month}")
    offenders = (
        await _api(client, commander, f"/api/v1/stats/repeat-offenders?month={month}&limit=20")
    )["items"]
    offender = page.locator(f'[data-offenders] tr[data-subject="{subject}"]')
    await offender.wait_for()
    expected = next(o for o in offenders if o["subject_id"] == subject)
    assert await offender.locator("[data-cases]").inner_text() == str(expected["cases"]) == "2"
    await _drawn(page, "blocks")
    await _drawn(page, "grades")
    index = next(i for i, b in enumerate(blocks[:20]) if b["id"] == block["id"])
    await _click_bar(page, "blocks", index, min(20, len(blocks)), (5, 150, 105))
    await _text_is(page, "[data-block-name]", "：看板美丽街区")
    await _drawn(page, "block-history")
    await shot(page, "dashboard-5-programmes")
    await offender.click()
    assert sorted(await _listed(page)) == sorted(repeated)

    # 高发区域: a planted cluster, refreshed, drawn on the map and listed; a row opens it.
    for _ in range(12):
        await report(client, officer, HOT_TYPE)
    for k in range(6):  # background: single cases ~1 km apart (Gi* needs a neighbourhood)
        lng = JIANGCHUAN_POINT["lng"] + 0.01 * (k % 3 - 1)
        lat = JIANGCHUAN_POINT["lat"] + 0.01 * (1 if k < 3 else -1)
        await report(client, officer, HOT_TYPE, dict(JIANGCHUAN_POINT, lng=lng, lat=lat))
    assert await refresh_week(monday_of(datetime.now(SHANGHAI).date())) > 0
    assert await repeat_places.refresh() > 0  # the hourly jobs
    week = _week()
    await page.goto(f"{app_url}/app/dashboard/hotspots?week={week}")
    hot = await _api(client, commander, f"/api/v1/hotspots?week={week}")
    cells = await _api(client, commander, f"/api/v1/hotspots/geojson?week={week}")
    assert hot["items"] and cells["features"]
    await page.locator("path.hot-cell").nth(len(cells["features"]) - 1).wait_for(state="attached")
    assert await page.locator("path.hot-cell").count() == len(cells["features"])
    rows = page.locator("[data-hotspots] tbody tr")
    assert await rows.count() == min(20, len(hot["items"]))
    assert await rows.first.locator("[data-cases]").inner_text() == str(hot["items"][0]["cases"])
    await page.locator("[data-squad-picker]").select_option(str(squad))
    await page.locator("[data-priorities] tbody tr").first.wait_for()
    await shot(page, "dashboard-6-hotspots")
    await rows.first.click()
    listed = await _listed(page)
    assert listed and listed == await _expected(client, commander, page)
    assert parse_qs(urlparse(page.url).query)["cell"] == [hot["items"][0]["cell"]]

    # 下载月度考评 of last month (complete): the workbook the API serves, saved as a file.
    await page.goto(f"{app_url}/app/dashboard?month={month}")
    await page.locator("[data-month-prev]").click()
    previous = f"{datetime.now(SHANGHAI).replace(day=1) - timedelta(days=1):%Y-%m}"
    await page.wait_for_url(f"**/app/dashboard?month={previous}")
    await page.locator("[data-month]", has_text=f"{int(previous[5:])}月").wait_for()
    async with page.expect_download() as download_info:
        await page.locator("[data-download]").click()
    download = await download_info.value
    assert download.suggested_filename == f"月度考评-{previous}.xlsx"
    saved = await download.path()
    served = await client.get(f"/api/v1/reports/monthly/{previous}", headers=bearer(commander))
    assert served.status_code == 200 and saved.read_bytes() == served.content
    assert served.content[:2] == b"PK"  # an .xlsx is a zip
    await context.close()


async def test_a_squad_leader_sees_only_their_squad_and_a_phone_gets_the_summary(
    browser: tuple[Playwright, Browser], app_url: str, client: AppClient
) -> None:
    squad = await squad_id(JIANGCHUAN)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, CORNER)
    await report(client, officer, TYPE, point=CORNER)
    await aggregates.refresh()
    leader_user = await make_user(
        Role.squad_leader, squad_code=JIANGCHUAN, display_name="看板中队长"
    )
    leader = await login(client, leader_user)
    commander = await login(client, await make_user(Role.commander, squad_code=None))
    month = _month()
    everyone = (await _api(client, commander, f"/api/v1/stats/ranking?month={month}"))["items"]
    own = next(r for r in everyone if r["squad_id"] == squad)
    others = [r["squad_name"] for r in everyone if r["squad_id"] != squad]

    # On a phone: signed in, the board's 数据看板 link, the summary at 390 px.
    context = await phone(browser, "iPhone 13")
    page = await context.new_page()
    await page.goto(f"{app_url}/app/")
    await page.wait_for_url("**/app/login**")
    await page.get_by_placeholder("请输入账号").fill(leader_user["username"])
    await page.get_by_placeholder("请输入密码").fill(leader_user["password"])
    await page.get_by_role("button", name="账号密码登录").click()
    await page.wait_for_url("**/app/board")
    await page.locator("[data-dashboard-link]").click()
    await page.wait_for_url("**/app/dashboard")
    row = (
        await _api(client, leader, f"/api/v1/stats/indicators?period={month}&group_by=district")
    )["items"][0]
    await _text_is(page, '[data-kpi="cases"] b', str(row["cases"]))
    assert row["cases"] == own["indicators"]["cases"]
    await _drawn(page, "ranking")
    await _drawn(page, "trend")
    shown = await page.locator("[data-ranking] tbody tr").all_inner_texts()
    assert len(shown) == 1 and own["squad_name"] in shown[0]
    assert str(own["rank"]) == shown[0].split("\t")[0]  # its district rank
    text = await page.locator("body").inner_text()
    assert not [name for name in others if name in text]
    # The summary: two KPI cards a row, every chart inside the phone's width.
    boxes = [await k.bounding_box() for k in await page.locator("[data-kpi]").all()]
    assert len(boxes) == 8 and all(b is not None for b in boxes)
    assert len({round(b["x"]) for b in boxes if b}) == 2
    for canvas in await page.locator("[data-chart] canvas").all():
        box = await canvas.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    await shot(page, "dashboard-7-leader-phone")

    # 案件构成 for the squad: one squad's bar, and the API's total.
    await page.locator('[data-nav="dashboard-cases"]').click()
    breakdown = await _api(client, leader, f"/api/v1/stats/cases?period={month}")
    await _text_is(page, "[data-total]", str(breakdown["total"]))
    assert [s["squad_id"] for s in breakdown["by_squad"]] == [squad]
    await _drawn(page, "squad")
    await _click_bar(page, "squad", 0, 1, CYAN, tap=True)
    listed = await _listed(page)
    assert listed == await _expected(client, leader, page)
    await page.locator("[data-case]").first.click()
    await page.wait_for_url(f"**/app/board/cases/{listed[0]}")

    # The other pages: nothing of another squad's, and their phone layouts.
    read = {  # what each page shows once its figures are in
        "cameras": "[data-precision], [data-panel=precision-chart] .dash-empty",
        "programmes": "[data-offenders], [data-panel=offenders] .dash-empty",
        "hotspots": "[data-priorities], [data-panel=priorities] .dash-empty",
    }
    for name, loaded in read.items():
        await page.goto(f"{app_url}/app/dashboard/{name}?month={month}")
        await page.locator(loaded).first.wait_for()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every((c) => c.dataset.rendered === 'true')"
        )
        text = await page.locator("body").inner_text()
        assert not [other for other in others if other in text], name
        await shot(page, f"dashboard-8-leader-phone-{name}")
    hot = await _api(client, leader, "/api/v1/hotspots")
    assert all(h["squad_id"] == squad for h in hot["items"])
    await context.close()
