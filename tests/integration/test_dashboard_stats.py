"""The dashboard's figures: ranking, trend, case breakdown and repeat offenders, and the
squad roles' jurisdiction over them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.assessment import Rates, score
from domain.org import Role
from storage.cases import aggregates
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, go_on_duty, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"


def _month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Shanghai')):%Y-%m}"


async def test_the_dashboard_figures_count_the_month_and_keep_to_the_squad(
    client: AppClient,
) -> None:
    squad = await squad_id(JIANGCHUAN)
    other = await squad_id(XINZHUANG)
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    commander = await login(client, await make_user(Role.commander))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    await report(client, officer, "02-01")
    await aggregates.refresh()  # what the worker does every minute
    month = _month()

    got = await client.get(f"/api/v1/stats/ranking?month={month}", headers=bearer(commander))
    assert got.status_code == 200, got.text
    items = got.json()["items"]
    ranked = [i for i in items if i["rank"] is not None]
    assert [i["rank"] for i in ranked] == list(range(1, len(ranked) + 1))
    assert [i["score"] for i in ranked] == sorted((i["score"] for i in ranked), reverse=True)
    # Squads with nothing to assess this month come last, unranked (不参评).
    rest = items[len(ranked) :]
    assert all(i["rank"] is None and i["score"] is None for i in rest)
    assert all(i["indicators"]["cases"] == 0 for i in rest)
    mine = next(i for i in items if i["squad_id"] == squad)
    ind = mine["indicators"]
    assert mine["score"] == score(
        Rates(
            closure_rate=ind["closure_rate"],
            on_time_closure_rate=ind["on_time_closure_rate"],
            rework_rate=ind["rework_rate"],
            extension_rate=ind["extension_rate"],
            self_correction_rate=None,
        )
    )
    own = await client.get(f"/api/v1/stats/ranking?month={month}", headers=bearer(leader_b))
    (row,) = own.json()["items"]
    assert row["squad_id"] == other
    assert row["rank"] == next(i["rank"] for i in items if i["squad_id"] == other)

    cases = await client.get(
        f"/api/v1/stats/cases?period={month}&squad_id={squad}", headers=bearer(commander)
    )
    assert cases.status_code == 200, cases.text
    body = cases.json()
    assert body["total"] >= 1
    assert body["total"] == sum(s["cases"] for s in body["by_source"])
    assert body["total"] == sum(d["cases"] for d in body["by_day"])
    assert body["total"] == sum(t["cases"] for t in body["by_type"])
    assert [s["squad_id"] for s in body["by_squad"]] == [squad]
    assert any(t["violation_type"] == "02-01" and t["name_zh"] for t in body["by_type"])
    foreign = await client.get(
        f"/api/v1/stats/cases?period={month}&squad_id={squad}", headers=bearer(leader_b)
    )
    assert foreign.status_code == 403

    trend = await client.get(
        f"/api/v1/stats/trend?end={month}&months=3&squad_id={squad}", headers=bearer(commander)
    )
    assert trend.status_code == 200, trend.text
    t = trend.json()
    assert len(t["months"]) == 3 and t["months"][-1] == month
    assert all(i["squad_id"] == squad for i in t["items"])
    last = [i for i in t["items"] if i["month"] == month]
    assert last and last[0]["indicators"]["cases"] == mine["indicators"]["cases"]
    bad = await client.get("/api/v1/stats/trend?end=2026-11&months=25", headers=bearer(commander))
    assert bad.status_code == 400

    offenders = await client.get(
        f"/api/v1/stats/repeat-offenders?month={month}&limit=5", headers=bearer(leader_b)
    )
    assert offenders.status_code == 200, offenders.text
    assert all(i["squad_id"] == other for i in offenders.json()["items"])
