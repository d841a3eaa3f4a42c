"""The console map's layers: scope, coordinate systems, clusters, live positions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from api.map.live import officer_events
from api.security import Principal
from domain.geo import CoordType, LngLat, wgs84_to_gcj02
from domain.org import Role, Scope
from storage import map_cases
from storage.db import engine
from tests.factories import make_user, squad_id, unique
from tests.integration.cases_helpers import JIANGCHUAN_POINT, XINZHUANG_POINT, go_on_duty, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

SQUAD_A, SQUAD_B = "310112001", "310112101"  # 江川路街道, 莘庄镇
LAYERS = ("squads", "grids", "blocks", "subjects", "cameras", "officers", "cases")


def _near(point: dict[str, Any], d: float = 0.002) -> str:
    return f"{point['lng'] - d},{point['lat'] - d},{point['lng'] + d},{point['lat'] + d}"


async def _get(client: AppClient, tokens: dict[str, Any], path: str, **params: Any) -> Any:
    answer = await client.get(f"/api/v1/map/{path}", headers=bearer(tokens), params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["type"] == "FeatureCollection"
    return body


async def test_squad_b_sees_none_of_squad_a_s_features(client: AppClient) -> None:
    a, b = await squad_id(SQUAD_A), await squad_id(SQUAD_B)
    officer_a = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    await go_on_duty(client, officer_a, JIANGCHUAN_POINT)
    case = await report(client, officer_a, "05-05", point=JIANGCHUAN_POINT)
    leader_a = await login(client, await make_user(Role.squad_leader, squad_code=SQUAD_A))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=SQUAD_B))
    commander = await login(client, await make_user(Role.commander, squad_code=None))

    for layer in LAYERS:
        seen_by_b = await _get(client, leader_b, layer)
        squads = {f["properties"].get("squad_id") for f in seen_by_b["features"]}
        assert squads <= {b}, (layer, squads)
        district = await _get(client, commander, layer)
        assert {f["properties"].get("squad_id") for f in district["features"]} <= {None} | set(
            range(1, 10_000)
        )
    mine = await _get(client, leader_a, "cases", bbox=_near(JIANGCHUAN_POINT), zoom=16)
    assert f"case:{case['id']}" in {f["id"] for f in mine["features"]}
    officers = await _get(client, leader_a, "officers", on_duty="true")
    assert officer_a["user"]["id"] in {f["id"] for f in officers["features"]}
    squads_a = await _get(client, leader_a, "squads")
    assert [f["id"] for f in squads_a["features"]] == [a]
    assert len((await _get(client, commander, "squads"))["features"]) == 14
    # naming squad A outright is refused
    named = await client.get(
        "/api/v1/map/cases", headers=bearer(leader_b), params={"squad_id": str(a)}
    )
    assert named.status_code == 403
    officer = await client.get("/api/v1/map/cases", headers=bearer(officer_a))
    assert officer.status_code == 403


async def test_every_layer_answers_in_the_coordinate_system_asked(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=SQUAD_B))
    await go_on_duty(client, officer, XINZHUANG_POINT)
    case = await report(client, officer, "05-05", point=XINZHUANG_POINT)
    commander = await login(client, await make_user(Role.commander, squad_code=None))
    truth = LngLat(XINZHUANG_POINT["lng"], XINZHUANG_POINT["lat"])
    mars = wgs84_to_gcj02(truth)
    assert abs(mars.lng - truth.lng) > 0.003  # ~450 m: skipping the conversion shows

    def position(layer: Any, fid: object) -> list[float]:
        found = [f for f in layer["features"] if f["id"] == fid]
        assert found, fid
        coords: list[float] = found[0]["geometry"]["coordinates"]
        return coords

    gcj_box = f"{mars.lng - 0.001},{mars.lat - 0.001},{mars.lng + 0.001},{mars.lat + 0.001}"
    in_gcj = await _get(client, commander, "cases", bbox=gcj_box, zoom=17, coord_type="gcj02")
    assert in_gcj["coord_type"] == "gcj02"
    lng, lat = position(in_gcj, f"case:{case['id']}")
    assert abs(lng - mars.lng) < 1e-6 and abs(lat - mars.lat) < 1e-6
    # The same numbers read as WGS-84 are ~500 m off: the case is not in that box.
    as_wgs = await _get(client, commander, "cases", bbox=gcj_box, zoom=17)
    assert f"case:{case['id']}" not in {f["id"] for f in as_wgs["features"]}

    officers = await _get(client, commander, "officers", coord_type="gcj02")
    lng, lat = position(officers, officer["user"]["id"])
    assert abs(lng - mars.lng) < 1e-6 and abs(lat - mars.lat) < 1e-6
    bd = await _get(client, commander, "officers", coord_type="bd09")
    assert position(bd, officer["user"]["id"])[0] > lng  # BD-09 lies further east still

    plain = await _get(client, commander, "squads")
    shifted = await _get(client, commander, "squads", coord_type="gcj02")
    v0 = plain["features"][0]["geometry"]["coordinates"][0][0]
    v1 = shifted["features"][0]["geometry"]["coordinates"][0][0]
    expected = wgs84_to_gcj02(LngLat(v0[0], v0[1]))
    assert abs(v1[0] - expected.lng) < 1e-6 and abs(v1[1] - expected.lat) < 1e-6
    config = await client.get("/api/v1/map/config", headers=bearer(commander))
    assert config.json()["base"] == "none" and config.json()["coord_type"] == "wgs84"


async def _open_in_box(box: str, squad: int | None = None) -> int:
    w, s, e, n = (float(v) for v in box.split(","))
    sql = (
        "SELECT count(*) FROM enforcement_case WHERE state NOT IN ('closed', 'dismissed')"
        " AND lng BETWEEN $1 AND $2 AND lat BETWEEN $3 AND $4"
    )
    args: list[object] = [w, e, s, n]
    if squad is not None:
        sql += " AND squad = $5"
        args.append(squad)
    pool = engine().pool
    assert pool is not None
    count: int = await pool.fetchval(sql, *args)
    return count


async def test_clusters_add_up_to_the_open_cases_in_the_box(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(map_cases, "POINT_LIMIT", 3)  # so that a few cases cluster
    officer = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    for i in range(12):
        d = 0.0015 * (i % 4)
        point = {"lng": JIANGCHUAN_POINT["lng"] + d, "lat": JIANGCHUAN_POINT["lat"] + d / 2}
        await report(client, officer, "05-05", point=point | {"coord_type": "wgs84"})
    commander = await login(client, await make_user(Role.commander, squad_code=None))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=SQUAD_B))
    box = _near(JIANGCHUAN_POINT, 0.01)
    expected = await _open_in_box(box)
    assert expected >= 12

    layer = await _get(client, commander, "cases", bbox=box, zoom=15)
    assert layer["clustered"] is True and layer["total"] == expected
    props = [f["properties"] for f in layer["features"]]
    assert all(p["kind"] == "cluster" for p in props)
    assert sum(p["count"] for p in props) == expected
    assert all(sum(p["by_state"].values()) == p["count"] for p in props)
    assert all(0 <= p["overdue"] <= p["count"] for p in props)
    assert len(props) >= 2  # the cases lie in several cells at this zoom

    coarse = await _get(client, commander, "cases", bbox=box, zoom=8)
    assert [f["properties"]["count"] for f in coarse["features"]] == [expected]
    single = await _get(client, commander, "cases", bbox=box, zoom=17)
    assert single["clustered"] is False and len(single["features"]) == expected
    theirs = await _get(client, leader_b, "cases", bbox=box, zoom=15)
    assert theirs["total"] == await _open_in_box(box, await squad_id(SQUAD_B)) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "121.5,31.0,121.3,31.2"},
        {"bbox": "1,2,3"},
        {"bbox": "0,0,1,1"},
        {"bbox": "a,b,c,d"},
        {"zoom": "21"},
        {"zoom": "-1"},
        {"coord_type": "mars"},
    ],
)
async def test_bad_map_parameters_are_refused_with_a_code(
    client: AppClient, params: dict[str, str]
) -> None:
    commander = await login(client, await make_user(Role.commander, squad_code=None))
    answer = await client.get("/api/v1/map/cases", headers=bearer(commander), params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] in ("bbox_invalid", "invalid_request")
    if "bbox" in params:
        assert answer.json()["code"] == "bbox_invalid"


async def _next(stream: Any, timeout: float = 5.0) -> Any:
    while True:
        message = await asyncio.wait_for(anext(stream), timeout)
        if getattr(message, "comment", None) is None:
            return message


async def test_a_position_reaches_the_console_stream_at_once(client: AppClient) -> None:
    import msgspec

    hub = client.app.state.live
    a, b = await squad_id(SQUAD_A), await squad_id(SQUAD_B)
    officer = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    stranger = await login(client, await make_user(Role.officer, squad_code=SQUAD_B))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    leader = Principal(1, Role.squad_leader, a)
    stream = officer_events(leader, Scope(a), hub, CoordType.gcj02)
    snapshot = msgspec.json.decode((await _next(stream)).data)
    assert officer["user"]["id"] in {f["id"] for f in snapshot["features"]}
    assert {f["properties"]["squad_id"] for f in snapshot["features"]} == {a}

    waiting = asyncio.ensure_future(_next(stream))
    await asyncio.sleep(0.05)  # the stream waits for the bell
    await go_on_duty(client, stranger, XINZHUANG_POINT)  # another squad: not this stream's
    moved = {
        "lng": JIANGCHUAN_POINT["lng"] + 0.001,
        "lat": JIANGCHUAN_POINT["lat"],
        "coord_type": "wgs84",
    }
    await go_on_duty(client, officer, moved)
    event = await asyncio.wait_for(waiting, 2.0)
    body = msgspec.json.decode(event.data)
    assert event.event == "positions" and [f["id"] for f in body["features"]] == [
        officer["user"]["id"]
    ]
    expected = wgs84_to_gcj02(LngLat(moved["lng"], moved["lat"]))
    lng, lat = body["features"][0]["geometry"]["coordinates"]
    assert abs(lng - expected.lng) < 1e-6 and abs(lat - expected.lat) < 1e-6
    assert body["features"][0]["properties"]["stale"] is False
    assert b not in {f["properties"]["squad_id"] for f in body["features"]}
    await stream.aclose()


async def test_the_stream_refuses_officers_and_bad_parameters_at_once(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    commander = await login(client, await make_user(Role.commander, squad_code=None))
    url = "/api/v1/map/officers/stream"
    assert (await client.get(url, headers=bearer(officer))).status_code == 403
    bad = await client.get(url, headers=bearer(commander), params={"coord_type": "mars"})
    assert bad.status_code == 400
    assert (await client.get(url)).status_code == 401


async def test_an_officer_s_feature_says_on_shift_and_on_duty_and_what_they_hold(
    client: AppClient,
) -> None:
    """在班 (the roster) and 在岗 (the phone) are two facts: an officer on duty without a
    shift is shown as such; the items they hold now come with them, in their scope."""
    rostered = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    unrostered = await login(client, await make_user(Role.officer, squad_code=SQUAD_A))
    await go_on_duty(client, rostered, JIANGCHUAN_POINT)
    answer = await client.put(
        "/api/v1/me/duty",
        headers=bearer(unrostered),
        json={"on_duty": True, "location": JIANGCHUAN_POINT},
    )
    assert answer.status_code == 200, answer.text
    leader_a = await login(client, await make_user(Role.squad_leader, squad_code=SQUAD_A))
    leader_b = await login(client, await make_user(Role.squad_leader, squad_code=SQUAD_B))
    item = await client.post(
        "/api/v1/equipment",
        headers=bearer(leader_a),
        json={"kind": "body_camera", "code": unique("JLY-"), "label": "执法记录仪 7 号"},
    )
    assert item.status_code == 201, item.text
    start = datetime.now(UTC) - timedelta(hours=1)
    held = await client.post(
        f"/api/v1/equipment/{item.json()['id']}/assignments",
        headers=bearer(leader_a),
        json={
            "user_id": rostered["user"]["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=8)).isoformat(),
        },
    )
    assert held.status_code == 201, held.text

    layer = await _get(client, leader_a, "officers")
    by_id = {f["id"]: f["properties"] for f in layer["features"]}
    on = by_id[rostered["user"]["id"]]
    assert on["on_shift"] is True and on["on_duty"] is True
    assert on["equipment"] == [{"kind": "body_camera", "label": "执法记录仪 7 号"}]
    off = by_id[unrostered["user"]["id"]]
    assert off["on_shift"] is False and off["on_duty"] is True and off["equipment"] == []
    # squad B's leader sees neither the officers nor their equipment
    seen_by_b = await _get(client, leader_b, "officers")
    assert not {f["id"] for f in seen_by_b["features"]} & set(by_id)

    # the stream's snapshot carries the same facts
    a = await squad_id(SQUAD_A)
    stream = officer_events(
        Principal(1, Role.squad_leader, a), Scope(a), client.app.state.live, CoordType.wgs84
    )
    snapshot = msgspec.json.decode((await _next(stream)).data)
    await stream.aclose()
    streamed = {f["id"]: f["properties"] for f in snapshot["features"]}
    assert streamed[rostered["user"]["id"]]["equipment"] == on["equipment"]
    assert streamed[unrostered["user"]["id"]]["on_shift"] is False
