"""Emergencies (突发事件) on the real stack: the desk declares one, sees who can go, sends
several officers at once, and follows each acknowledging and arriving — all of it in the
case's own audit chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.org import Role
from storage.tables import CaseResponder, Outbox
from tests import factories
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import XINZHUANG_POINT, command, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

XINZHUANG, JIANGCHUAN = "310112101", "310112001"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def east(metres: float) -> dict[str, Any]:
    """A point ``metres`` east of the Xinzhuang test point (1° of longitude ≈ 95.2 km)."""
    return XINZHUANG_POINT | {"lng": XINZHUANG_POINT["lng"] + metres / 95_200}


async def duty(client: AppClient, tokens: dict[str, Any], on: bool, point: dict[str, Any]) -> None:
    answer = await client.put(
        "/api/v1/me/duty", headers=bearer(tokens), json={"on_duty": on, "location": point}
    )
    assert answer.status_code == 200, answer.text


async def officer(
    client: AppClient, name: str, *, shift: bool, on: bool, at: dict[str, Any]
) -> dict[str, Any]:
    user = await make_user(Role.officer, squad_code=XINZHUANG, display_name=name)
    if shift:
        await factories.on_shift(user["id"])
    tokens = await login(client, user)
    await duty(client, tokens, on, at)
    return tokens


async def test_the_desk_runs_an_emergency_through_the_case_loop(client: AppClient) -> None:
    await quiet_squad(await squad_id(XINZHUANG))
    desk = await login(client, await make_user(Role.commander, squad_code=None))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    case = await report(client, leader, "01-01", point=XINZHUANG_POINT)
    assert case["state"] == "pending_triage"  # 私搭乱建: the command centre triages

    near = await officer(client, "近处队员", shift=True, on=True, at=east(120))
    far = await officer(client, "远处队员", shift=True, on=True, at=east(900))
    off_shift = await officer(client, "未排班队员", shift=False, on=True, at=east(30))
    off_duty = await officer(client, "未上岗队员", shift=True, on=False, at=east(40))

    case = await command(client, desk, case, "emergency", reason="沿街店铺起火，人员聚集")
    assert case["emergency"] is True and case["urgent"] is True
    assert (await command(client, desk, case, "emergency", 409, reason="x"))["code"] == (
        "already_emergency"
    )

    offered = await client.get(
        f"/api/v1/cases/{case['id']}/responders/candidates", headers=bearer(desk)
    )
    assert offered.status_code == 200, offered.text
    items = offered.json()["items"]
    ids = [c["officer_id"] for c in items]
    assert ids[:2] == [near["user"]["id"], far["user"]["id"]]
    assert off_shift["user"]["id"] not in ids and off_duty["user"]["id"] not in ids
    assert 100 < items[0]["distance_m"] < 140 and items[0]["stale"] is False

    refused = await command(
        client, desk, case, "responders", 400, officer_ids=[off_shift["user"]["id"]]
    )
    assert refused["code"] == "officer_not_available"

    key = "send-both"
    send = {"officer_ids": [near["user"]["id"], far["user"]["id"]], "note": "立即到场"}
    sent = await command(client, desk, case, "responders", key=key, **send)
    again = await command(client, desk, case, "responders", key=key, **send)
    assert again == sent  # the retry changed nothing
    assert sent["state"] == "dispatched" and sent["assignee"]["id"] == near["user"]["id"]
    assert await CaseResponder.count().where(CaseResponder.case == case["id"]) == 2
    notified = await Outbox.select(Outbox.recipient).where(
        (Outbox.case == case["id"]) & (Outbox.topic == "case.emergency")
    )
    assert {r["recipient"] for r in notified} == {near["user"]["id"], far["user"]["id"]}

    first = (await client.get("/api/v1/me/tasks", headers=bearer(far))).json()["items"][0]
    assert first["id"] == case["id"] and first["emergency"] is True  # heads a helper's tasks

    case = await command(client, near, sent, "responders/me/acknowledge")
    assert (await command(client, near, case, "responders/me/acknowledge", 409))["code"] == (
        "already_acknowledged"
    )
    stranger = await officer(client, "旁观队员", shift=True, on=True, at=east(2000))
    assert (await command(client, stranger, case, "responders/me/arrive", 403))["code"] == (
        "not_responder"
    )

    # The far officer's phone reports positions: on the way, then at the site.
    await duty(client, far, True, east(600))
    await duty(client, far, True, east(40))
    case = await command(
        client, near, await _case(client, desk, case), "responders/me/arrive", location=east(70)
    )
    tasks = (await client.get("/api/v1/me/tasks", headers=bearer(far))).json()["items"]
    assert all(t["id"] != case["id"] for t in tasks)  # on site: off the helper's list

    rows = await client.get(f"/api/v1/cases/{case['id']}/responders", headers=bearer(leader))
    by_id = {r["officer_id"]: r for r in rows.json()["items"]}
    assert by_id[far["user"]["id"]]["state"] == "arrived"
    assert by_id[far["user"]["id"]]["arrival_kind"] == "position"
    assert by_id[near["user"]["id"]]["arrival_kind"] == "check_in"
    assert 60 < by_id[near["user"]["id"]]["arrival_distance_m"] < 80
    assert by_id[near["user"]["id"]]["time_to_arrive_s"] >= 0

    timeline = await client.get(f"/api/v1/cases/{case['id']}/timeline", headers=bearer(desk))
    actions = [e["action"] for e in timeline.json()["items"]]
    assert actions[:3] == ["created", "declare_emergency", "dispatch"]
    assert actions.count("send_responders") == 1 and actions.count("arrive") == 2
    assert "acknowledge" in actions
    chain = await client.get(f"/api/v1/cases/{case['id']}/timeline/verify", headers=bearer(desk))
    assert chain.json()["ok"] is True

    listed = await client.get("/api/v1/emergencies", headers=bearer(leader))
    mine = next(e for e in listed.json()["items"] if e["case_id"] == case["id"])
    assert len(mine["responders"]) == 2

    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    figures = await client.get(
        f"/api/v1/squads/{await squad_id(XINZHUANG)}/duty-figures?month={month}",
        headers=bearer(leader),
    )
    rows = {r["officer_id"]: r for r in figures.json()["officers"]}
    assert rows[near["user"]["id"]]["emergencies"] | {"mean_s": 0, "max_s": 0} == {
        "sent": 1,
        "arrived": 1,
        "mean_s": 0,
        "max_s": 0,
    }
    assert figures.json()["squad"]["emergencies"]["arrived"] >= 2

    other = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    hidden = await client.get(f"/api/v1/cases/{case['id']}/responders", headers=bearer(other))
    assert hidden.status_code == 404
    theirs = await client.get("/api/v1/emergencies", headers=bearer(other))
    assert all(e["case_id"] != case["id"] for e in theirs.json()["items"])


async def test_only_an_emergency_takes_responders(client: AppClient) -> None:
    await quiet_squad(await squad_id(XINZHUANG))
    desk = await login(client, await make_user(Role.commander, squad_code=None))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    case = await report(client, leader, "05-05", point=XINZHUANG_POINT)
    someone = await officer(client, "队员", shift=True, on=True, at=east(50))
    refused = await command(
        client, desk, case, "responders", 409, officer_ids=[someone["user"]["id"]]
    )
    assert refused["code"] == "not_emergency"
    assert (await command(client, leader, case, "emergency", 403, reason="x"))["code"] == (
        "role_forbidden"
    )


async def _case(client: AppClient, tokens: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(tokens))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
