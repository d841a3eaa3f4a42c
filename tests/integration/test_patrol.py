"""Patrol check-ins (巡查签到) against the real stack: the radius (just inside, just
outside, a GCJ-02 phone), idempotent retries, missed plans across Shanghai days, and
jurisdiction."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.cases.machine import Actor
from domain.geo import LngLat, haversine_m, wgs84_to_gcj02
from domain.org import Role, Scope
from storage import patrol
from storage.tables import CheckinPoint
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
SHANGHAI = ZoneInfo("Asia/Shanghai")
JIANGCHUAN, XINZHUANG = "310112001", "310112101"
# A spot of its own in 江川路, about 400 m from the other tests' points.
CENTRE = LngLat(121.3964, 31.0021)


def north_of(centre: LngLat, metres: float) -> LngLat:
    """The point ``metres`` due north of ``centre`` (by the project's haversine)."""
    lat = centre.lat + metres / 111_195.08
    point = LngLat(centre.lng, lat)
    assert abs(haversine_m(centre, point) - metres) < 0.05
    return point


def wgs(p: LngLat) -> dict[str, Any]:
    return {"lng": p.lng, "lat": p.lat, "coord_type": "wgs84"}


async def make_point(client: AppClient, leader: dict[str, Any], **body: Any) -> dict[str, Any]:
    made = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(leader),
        json={"name": "江川路菜场签到点", "location": wgs(CENTRE), "radius_m": 50} | body,
    )
    assert made.status_code == 201, made.text
    point: dict[str, Any] = made.json()
    return point


async def check_in(
    client: AppClient, officer: dict[str, Any], point_id: int, where: dict[str, Any], key: str
) -> Any:
    return await client.post(
        f"/api/v1/checkin-points/{point_id}/checkins",
        headers=bearer(officer) | {"Idempotency-Key": key},
        json={"location": where},
    )


async def test_a_check_in_counts_just_inside_the_radius_and_not_just_outside(
    client: AppClient,
) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    inside = await login(client, await make_user(Role.officer))
    outside = await login(client, await make_user(Role.officer))
    point = await make_point(client, leader)
    assert point["squad_id"] == await squad_id(JIANGCHUAN)
    assert point["radius_m"] == 50 and point["active"] and point["today_planned"] == 1

    # The phone speaks GCJ-02 (WeChat): 48 m north, stored and measured in WGS-84.
    near = wgs84_to_gcj02(north_of(CENTRE, 48))
    done = await check_in(
        client, inside, point["id"], {"lng": near.lng, "lat": near.lat, "coord_type": "gcj02"}, "a"
    )
    assert done.status_code == 201, done.text
    checkin = done.json()["checkin"]
    assert 47.5 < checkin["distance_m"] < 48.5
    assert checkin["today_done"] == 1 and checkin["today_planned"] == 1

    far = wgs84_to_gcj02(north_of(CENTRE, 52))
    refused = await check_in(
        client, outside, point["id"], {"lng": far.lng, "lat": far.lat, "coord_type": "gcj02"}, "b"
    )
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["code"] == "checkin_outside_radius"
    assert 51.5 < body["distance_m"] < 52.5 and body["radius_m"] == 50
    # The same GCJ-02 numbers read as WGS-84 are hundreds of metres off: refused.
    raw = await check_in(client, outside, point["id"], wgs(wgs84_to_gcj02(CENTRE)), "c")
    assert raw.status_code == 400 and raw.json()["distance_m"] > 300

    listed = await client.get(
        "/api/v1/checkin-points",
        headers=bearer(inside),
        params={"near": f"{near.lng:.7f},{near.lat:.7f}", "coord_type": "gcj02"},
    )
    assert listed.status_code == 200, listed.text
    mine = next(p for p in listed.json()["items"] if p["id"] == point["id"])
    assert mine["today_done"] == 1 and mine["today_mine"] == 1
    assert 47.5 < mine["distance_m"] < 48.5 and mine["location"]["coord_type"] == "gcj02"
    distances = [p["distance_m"] for p in listed.json()["items"]]
    assert distances == sorted(distances)


async def test_a_retried_check_in_applies_once_and_a_second_tap_waits(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    officer = await login(client, await make_user(Role.officer))
    point = await make_point(client, leader, planned_per_day=3)
    key = secrets.token_hex(8)
    first = await check_in(client, officer, point["id"], wgs(north_of(CENTRE, 10)), key)
    assert first.status_code == 201, first.text
    # The phone lost the answer and retries with a fresher fix: the first answer again.
    again = await check_in(client, officer, point["id"], wgs(north_of(CENTRE, 12)), key)
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    other = await check_in(client, officer, point["id"], wgs(CENTRE), secrets.token_hex(8))
    assert other.status_code == 409 and other.json()["code"] == "checkin_too_soon"
    read = await client.get(f"/api/v1/checkin-points/{point['id']}", headers=bearer(officer))
    assert read.json()["today_done"] == 1


async def test_missed_check_ins_are_counted_per_shanghai_day(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    officer_user = await make_user(Role.officer)
    point = await make_point(client, leader, planned_per_day=2, name="跨日签到点")
    today = datetime.now(SHANGHAI).date()
    d3, d2, d1 = (today - timedelta(days=n) for n in (3, 2, 1))
    created = datetime(d3.year, d3.month, d3.day, 8, 0, tzinfo=SHANGHAI)
    await CheckinPoint.update({CheckinPoint.created_at: created}).where(
        CheckinPoint.id == point["id"]
    )
    actor = Actor(officer_user["id"], Role.officer, officer_user["squad_id"])
    scope = Scope(officer_user["squad_id"])

    async def at(day: Any, hour: int, minute: int) -> None:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
        await patrol.check_in(point["id"], actor, scope, CENTRE, moment.astimezone(UTC), None)

    await at(d2, 23, 50)  # 15:50 UTC on d2
    await at(d1, 0, 30)  # 16:30 UTC on d2, yet Shanghai's d1
    await at(d1, 10, 0)

    missed = await client.get(
        f"/api/v1/squads/{point['squad_id']}/checkins/missed",
        headers=bearer(leader),
        params={"from": d3.isoformat(), "to": (today + timedelta(days=5)).isoformat()},
    )
    assert missed.status_code == 200, missed.text
    ours = {
        s["day"]: (s["planned"], s["done"], s["shortfall"], s["day_over"])
        for s in missed.json()["items"]
        if s["point_id"] == point["id"]
    }
    assert ours == {
        d3.isoformat(): (2, 0, 2, True),
        d2.isoformat(): (2, 1, 1, True),
        today.isoformat(): (2, 0, 2, False),
    }  # d1 was done in full; days to come are not listed

    # Taken out of use today: today plans nothing more, the past stands.
    off = await client.patch(
        f"/api/v1/checkin-points/{point['id']}", headers=bearer(leader), json={"active": False}
    )
    assert off.status_code == 200 and off.json()["active"] is False
    again = await client.get(
        f"/api/v1/squads/{point['squad_id']}/checkins/missed",
        headers=bearer(leader),
        params={"from": d3.isoformat(), "to": today.isoformat()},
    )
    days = {s["day"] for s in again.json()["items"] if s["point_id"] == point["id"]}
    assert days == {d3.isoformat(), d2.isoformat()}
    tap = await check_in(
        client, await login(client, officer_user), point["id"], wgs(CENTRE), "late"
    )
    assert tap.status_code == 409 and tap.json()["code"] == "checkin_point_inactive"

    summary = await client.get(
        f"/api/v1/squads/{point['squad_id']}/checkins/summary",
        headers=bearer(leader),
        params={"month": today.strftime("%Y-%m")},
    )
    assert summary.status_code == 200, summary.text
    figures = summary.json()["figures"]
    in_month = sum(1 for d in (d2, d1, d1) if d.month == today.month)
    officer_row = [o for o in figures["officers"] if o["officer_id"] == officer_user["id"]]
    assert (officer_row[0]["done"] if officer_row else 0) == in_month
    assert figures["planned"] >= figures["done_toward_plan"]

    bad = await client.get(
        f"/api/v1/squads/{point['squad_id']}/checkins/missed",
        headers=bearer(leader),
        params={"from": today.isoformat(), "to": d3.isoformat()},
    )
    assert bad.status_code == 400 and bad.json()["code"] == "checkin_period_invalid"


async def test_another_squad_neither_sees_nor_uses_the_points(client: AppClient) -> None:
    leader_a = await login(client, await make_user(Role.squad_leader))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    officer_b = await login(client, await make_user(Role.officer, squad_code=XINZHUANG))
    point = await make_point(client, leader_a, name="江川路仅本中队")
    url = f"/api/v1/checkin-points/{point['id']}"
    for caller in (leader_b, officer_b):
        assert (await client.get(url, headers=bearer(caller))).status_code == 404
        listed = await client.get("/api/v1/checkin-points", headers=bearer(caller))
        assert point["id"] not in {p["id"] for p in listed.json()["items"]}
    edit = await client.patch(url, headers=bearer(leader_b), json={"radius_m": 500})
    assert edit.status_code == 404
    tap = await check_in(client, officer_b, point["id"], wgs(CENTRE), "b")
    assert tap.status_code == 404 and tap.json()["code"] == "checkin_point_not_found"
    missed = await client.get(
        f"/api/v1/squads/{point['squad_id']}/checkins/missed",
        headers=bearer(leader_b),
        params={"from": "2026-12-01", "to": "2026-12-02"},
    )
    assert missed.status_code == 403
    # A leader may not create a point for another squad, nor bind one to its subject.
    foreign = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(leader_b),
        json={"name": "越界", "location": JIANGCHUAN_POINT, "squad_id": point["squad_id"]},
    )
    assert foreign.status_code == 403
    subject = await client.post(
        "/api/v1/subjects",
        headers=bearer(leader_a),
        json={
            "kind": "merchant",
            "name": "签到绑定测试商户",
            "address": "江川路 9 号",
            "location": wgs(CENTRE),
            "contact_name": "张三",
            "contact_phone": "13800000009",
            "details": {"type": "merchant", "shop_sign": "签到绑定测试商户"},
        },
    )
    assert subject.status_code == 201, subject.text
    bound = await make_point(
        client, leader_a, binding={"kind": "subject", "id": subject.json()["id"]}
    )
    assert bound["binding"] == {"kind": "subject", "id": subject.json()["id"]}
    wrong = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(leader_b),
        json={
            "name": "错绑",
            "location": {"lng": 121.36948, "lat": 31.10955, "coord_type": "wgs84"},
            "binding": {"kind": "subject", "id": subject.json()["id"]},
        },
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "checkin_binding_invalid"
    officer_a = await login(client, await make_user(Role.officer))
    made = await client.post(
        "/api/v1/checkin-points",
        headers=bearer(officer_a),
        json={"name": "队员不可建", "location": wgs(CENTRE)},
    )
    assert made.status_code == 403
