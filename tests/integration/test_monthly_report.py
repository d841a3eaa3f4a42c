"""The monthly report: the workbook's figures are the dashboard API's for the same month."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from domain.org import Role
from storage.cases import aggregates
from storage.reports import NOT_ASSESSED
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, go_on_duty, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"


async def test_the_workbook_shows_the_apis_figures_and_keeps_to_the_squad(
    client: AppClient,
) -> None:
    month = f"{datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m}"
    squad = await squad_id(JIANGCHUAN)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    commander = await login(client, await make_user(Role.commander))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    await report(client, officer, "02-01")
    await aggregates.refresh()  # what the worker does every minute

    assert (
        await client.post(f"/api/v1/reports/monthly/{month}", headers=bearer(leader))
    ).status_code == 403
    made = await client.post(f"/api/v1/reports/monthly/{month}", headers=bearer(commander))
    assert made.status_code == 201, made.text
    assert made.json()["squad_id"] is None and made.json()["bytes"] > 0

    got = await client.get(f"/api/v1/reports/monthly/{month}", headers=bearer(commander))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in got.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(got.content))
    assert wb.sheetnames == ["说明", "考评指标", "案件构成", "摄像头准确率", "三大专项", "重点案件"]
    ranking = (
        await client.get(f"/api/v1/stats/ranking?month={month}", headers=bearer(commander))
    ).json()["items"]
    rows = list(wb["考评指标"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[3], r[5]) for r in rows] == [
        (i["rank"] or NOT_ASSESSED, i["squad_id"], i["score"], i["indicators"]["cases"])
        for i in ranking
    ]
    breakdown = (
        await client.get(f"/api/v1/stats/cases?period={month}", headers=bearer(commander))
    ).json()
    totals = [r for r in wb["案件构成"].iter_rows(values_only=True) if r[0] == "合计"]
    assert totals == [("合计", breakdown["total"], None)]

    listed = await client.get(
        f"/api/v1/reports/monthly?year={month[:4]}", headers=bearer(commander)
    )
    assert any(i["month"] == month and i["squad_id"] is None for i in listed.json()["items"])
    # a squad role gets its own squad's workbook, and sees only its own entries
    own = await client.get(f"/api/v1/reports/monthly/{month}", headers=bearer(leader))
    assert own.status_code == 404  # the current month is not generated on demand
    await client.post(
        f"/api/v1/reports/monthly/{month}?squad_id={squad}", headers=bearer(commander)
    )
    own = await client.get(f"/api/v1/reports/monthly/{month}", headers=bearer(leader))
    assert own.status_code == 200
    mine = list(
        load_workbook(io.BytesIO(own.content))["考评指标"].iter_rows(min_row=2, values_only=True)
    )
    assert [r[1] for r in mine] == [squad]
    listed = await client.get(f"/api/v1/reports/monthly?year={month[:4]}", headers=bearer(leader))
    assert {i["squad_id"] for i in listed.json()["items"]} == {squad}
    future = await client.get("/api/v1/reports/monthly/2099-01", headers=bearer(commander))
    assert future.status_code == 404 and future.json()["code"] == "report_not_found"
    ancient = await client.get("/api/v1/reports/monthly/0000-01", headers=bearer(commander))
    assert ancient.status_code == 404
