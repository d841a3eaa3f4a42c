"""The squad leader's officer picker: ``GET /api/v1/squads/{id}/officers``."""

from __future__ import annotations

import pytest

from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import XINZHUANG_POINT, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

JIANGCHUAN, XINZHUANG = "310112001", "310112101"


async def test_leader_sees_duty_position_and_load_of_their_officers(client: AppClient) -> None:
    squad = await squad_id(XINZHUANG)
    await quiet_squad(squad)
    busy = await make_user(Role.officer, squad_code=XINZHUANG, display_name="忙碌队员")
    idle = await make_user(Role.officer, squad_code=XINZHUANG, display_name="空闲队员")
    busy_tokens = await login(client, busy)
    await go_on_duty(client, busy_tokens, XINZHUANG_POINT)
    for _ in range(2):  # the only officer on duty: both reports are theirs
        case = await report(client, busy_tokens, "05-05", point=XINZHUANG_POINT)
        assert case["assignee"]["id"] == busy["id"], case
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))

    answer = await client.get(f"/api/v1/squads/{squad}/officers", headers=bearer(leader))
    assert answer.status_code == 200, answer.text
    rows = {r["id"]: r for r in answer.json()["items"]}
    assert rows[busy["id"]]["on_duty"] is True
    assert rows[busy["id"]]["on_shift"] is True and rows[busy["id"]]["shift_ends_at"]
    assert rows[busy["id"]]["open_tasks"] == 2
    assert rows[busy["id"]]["last_location"]["coord_type"] == "wgs84"
    assert abs(rows[busy["id"]]["last_location"]["lng"] - XINZHUANG_POINT["lng"]) < 1e-6
    assert rows[busy["id"]]["last_located_at"] is not None
    assert rows[idle["id"]] | {"id": 0} == {
        "id": 0,
        "display_name": "空闲队员",
        "on_duty": False,
        "on_shift": False,
        "shift_ends_at": None,
        "duty_changed_at": None,
        "last_location": None,
        "last_located_at": None,
        "open_tasks": 0,
        "overdue_tasks": 0,
    }
    order = [r["id"] for r in answer.json()["items"]]
    assert order.index(busy["id"]) < order.index(idle["id"])  # on duty first
    assert all(r["id"] != leader["user"]["id"] for r in answer.json()["items"])  # officers only

    in_gcj = await client.get(
        f"/api/v1/squads/{squad}/officers?coord_type=gcj02", headers=bearer(leader)
    )
    moved = {r["id"]: r for r in in_gcj.json()["items"]}[busy["id"]]["last_location"]
    assert moved["coord_type"] == "gcj02" and moved["lng"] != XINZHUANG_POINT["lng"]


async def test_only_managers_of_that_squad_see_its_officers(client: AppClient) -> None:
    squad = await squad_id(XINZHUANG)
    other_leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    officer = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))
    commander = await login(client, await make_user(Role.commander))

    refused = await client.get(f"/api/v1/squads/{squad}/officers", headers=bearer(other_leader))
    assert (refused.status_code, refused.json()["code"]) == (403, "out_of_jurisdiction")
    own_officer = await client.get(f"/api/v1/squads/{squad}/officers", headers=bearer(officer))
    assert (own_officer.status_code, own_officer.json()["code"]) == (403, "role_forbidden")
    district = await client.get(f"/api/v1/squads/{squad}/officers", headers=bearer(commander))
    assert district.status_code == 200
    missing = await client.get("/api/v1/squads/999999/officers", headers=bearer(commander))
    assert (missing.status_code, missing.json()["code"]) == (404, "squad_not_found")
