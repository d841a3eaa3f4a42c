"""A street block's monthly score recomputed from its cases and spot checks; rankings."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.org import Role
from storage.tables import Case
from tests.factories import make_user
from tests.integration.cases_helpers import report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
# A spot of its own in 江川路 (other tests report at JIANGCHUAN_POINT): the block's score
# must move by this test's cases alone, not reach the policy's floor with others'.
HERE = {"lng": 121.3934755, "lat": 31.0035505, "coord_type": "wgs84"}
LNG, LAT = HERE["lng"], HERE["lat"]
D = 0.0005  # about 50 m


async def test_a_block_is_scored_from_the_month_s_cases_in_it(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    supervisor = await login(client, await make_user(Role.supervisor))
    officer = await login(client, await make_user(Role.officer))
    square = [
        {"lng": LNG - D, "lat": LAT - D},
        {"lng": LNG + D, "lat": LAT - D},
        {"lng": LNG + D, "lat": LAT + D},
        {"lng": LNG - D, "lat": LAT + D},
    ]
    made = await client.post(
        "/api/v1/blocks", headers=bearer(admin), json={"name": "江川路美丽街区", "polygon": square}
    )
    assert made.status_code == 201, made.text
    block = made.json()
    assert block["squad_id"] is not None
    month = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")

    async def current() -> dict:
        computed = await client.post(f"/api/v1/blocks/scores/{month}", headers=bearer(supervisor))
        assert computed.status_code == 200, computed.text
        return next(s for s in computed.json()["items"] if s["block_id"] == block["id"])

    baseline = await current()  # other tests' cases at this point count too
    parked = await report(client, officer, "05-05", point=HERE)  # severity 2: 1 point
    await report(client, officer, "01-01", point=HERE)  # severity 3: 2 points
    far = {"lng": LNG + 0.01, "lat": LAT + 0.01, "coord_type": "wgs84"}
    await report(client, officer, "05-05", point=far)  # outside: nothing
    await Case.update({Case.ever_overdue: True}).where(Case.id == parked["id"])  # 1 → 2
    check = await client.post(
        f"/api/v1/blocks/{block['id']}/spot-checks",
        headers=bearer(supervisor),
        json={"item": "道路保洁", "deduction": 3.0, "note": "人行道积灰"},
    )
    assert check.status_code == 204, check.text
    bad = await client.post(
        f"/api/v1/blocks/{block['id']}/spot-checks",
        headers=bearer(supervisor),
        json={"item": "随便", "deduction": 3.0},
    )
    assert bad.json()["code"] == "spot_check_item_unknown"

    after = await current()
    assert after["cases"] == baseline["cases"] + 2
    assert after["score"] == pytest.approx(baseline["score"] - 4.0 - 3.0)
    history = (
        await client.get(f"/api/v1/blocks/{block['id']}/scores", headers=bearer(admin))
    ).json()
    assert [h["month"] for h in history["items"]] == [month]
    ranking = (
        await client.get(f"/api/v1/blocks/ranking?month={month}", headers=bearer(admin))
    ).json()
    assert block["id"] in [b["id"] for b in ranking["blocks"]]
    assert block["squad_id"] in [s["id"] for s in ranking["squads"]]
