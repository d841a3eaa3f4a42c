"""Coordinates in and out: every read answers in the asked datum, and a point that is
not on the Earth is refused with ``location_invalid`` wherever one comes in."""

from __future__ import annotations

from typing import Any

import pytest

from domain.geo import CoordType, LngLat, from_wgs84, haversine_m
from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.cases_helpers import JIANGCHUAN_POINT, go_on_duty, quiet_squad, report
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
JIANGCHUAN = "310112001"
WGS = LngLat(JIANGCHUAN_POINT["lng"], JIANGCHUAN_POINT["lat"])


def _near(location: dict[str, Any], coord_type: CoordType) -> float:
    """Metres between an answered location and the test point expressed in its datum."""
    assert location["coord_type"] == coord_type.value
    expected = from_wgs84(WGS, coord_type)
    return haversine_m(expected, LngLat(location["lng"], location["lat"]))


@pytest.mark.parametrize("coord_type", [CoordType.gcj02, CoordType.bd09])
async def test_case_reads_answer_in_the_asked_coordinate_system(
    client: AppClient, coord_type: CoordType
) -> None:
    await quiet_squad(await squad_id(JIANGCHUAN))
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await report(client, officer, "05-05")
    auth = bearer(officer)
    ct = f"coord_type={coord_type.value}"

    # The lists are cached per process: read WGS-84 first so the next read is a cache hit.
    for path in ("/api/v1/me/tasks", f"/api/v1/cases?squad_id={case['squad_id']}"):
        plain = (await client.get(path, headers=auth)).json()["items"]
        mine = next(i for i in plain if i["id"] == case["id"])
        assert _near(mine["location"], CoordType.wgs84) < 0.01
        sep = "&" if "?" in path else "?"
        converted = (await client.get(f"{path}{sep}{ct}", headers=auth)).json()["items"]
        mine = next(i for i in converted if i["id"] == case["id"])
        assert _near(mine["location"], coord_type) < 0.05
        # And the WGS-84 answer is not spoiled by the converted one.
        again = (await client.get(path, headers=auth)).json()["items"]
        assert (
            next(i for i in again if i["id"] == case["id"])["location"]
            == next(i for i in plain if i["id"] == case["id"])["location"]
        )

    detail = (await client.get(f"/api/v1/cases/{case['id']}?{ct}", headers=auth)).json()
    assert _near(detail["location"], coord_type) < 0.05
    shifted = from_wgs84(WGS, coord_type)
    # GCJ-02 / BD-09 are hundreds of metres off WGS-84 here: the conversion did happen.
    assert haversine_m(shifted, WGS) > 100

    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "城运", "scopes": ["cases:read"]},
    )
    key = {"Authorization": f"Bearer {issued.json()['api_key']}"}
    outside = await client.get(f"/integrator/v1/cases/{case['id']}?{ct}", headers=key)
    assert _near(outside.json()["location"], coord_type) < 0.05

    placed = await client.get(
        f"/api/v1/grids/locate?lng={shifted.lng}&lat={shifted.lat}&{ct}", headers=auth
    )
    assert placed.json()["squad"]["code"] == JIANGCHUAN
    assert _near(placed.json()["location"], coord_type) < 0.05


async def test_unknown_coord_type_is_refused(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    response = await client.get("/api/v1/me/tasks?coord_type=mars", headers=bearer(officer))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        "lng=5e16&lat=31",
        "lng=NaN&lat=31",
        "lng=121&lat=inf",
        "lng=181&lat=31",
        "lng=10&lat=-90&coord_type=bd09",  # BD-09 south pole: lat -90.006 in WGS-84
    ],
)
async def test_locate_refuses_points_off_the_earth(client: AppClient, query: str) -> None:
    officer = await login(client, await make_user(Role.officer))
    response = await client.get(f"/api/v1/grids/locate?{query}", headers=bearer(officer))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "location_invalid"


async def test_a_bd09_pole_point_is_never_stored(client: AppClient) -> None:
    """Each way a location comes in refuses the point whose WGS-84 image is lat -90.006."""
    pole = {"lng": 10, "lat": -90, "coord_type": "bd09"}
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "pole", "scopes": ["alarms:write", "complaints:write"]},
    )
    key = {"Authorization": f"Bearer {issued.json()['api_key']}"}
    case = await report(client, leader, "01-01")
    grant = await client.post(
        f"/api/v1/cases/{case['id']}/evidence",
        headers=bearer(leader),
        json={"content_type": "image/jpeg"},
    )
    camera = {
        "device_id": "POLE-1",
        "name": "南极探头",
        "location": pole,
        "source": {"kind": "http_snapshot", "url": "http://10.0.0.5/snapshot.jpg"},
    }
    subject = {
        "kind": "merchant",
        "name": "南极冰店",
        "address": "南极",
        "location": pole,
        "details": {"type": "merchant", "shop_sign": "冰", "business_type": "冷饮"},
    }
    writes: list[tuple[str, str, dict[str, str], dict[str, Any]]] = [
        ("post", "/api/v1/cases", bearer(officer), {"violation_type": "05-05", "location": pole}),
        ("put", "/api/v1/me/duty", bearer(officer), {"on_duty": True, "location": pole}),
        ("post", "/api/v1/cameras", bearer(admin), camera),
        ("post", "/api/v1/subjects", bearer(leader), subject),
        (
            "post",
            f"/api/v1/evidence/{grant.json()['evidence_id']}/complete",
            bearer(leader),
            {"location": pole},
        ),
        (
            "post",
            f"/api/v1/cases/{case['id']}/comment",
            bearer(leader) | {"Idempotency-Key": "pole-comment"},
            {"version": case["version"], "text": "here", "location": pole},
        ),
        (
            "post",
            "/integrator/v1/alarms",
            key,
            {
                "alarm_id": "POLE-A",
                "device_id": "POLE-BOX",
                "vendor_type": "illegal_parking",
                "occurred_at": "2026-11-24T17:30:00+08:00",
                "location": pole,
            },
        ),
        (
            "post",
            "/integrator/v1/complaints",
            key,
            {"external_id": "POLE-C", "category": "05-05", "text": "x", "location": pole},
        ),
    ]
    for method, path, headers, body in writes:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "location_invalid", (path, response.text)
    board = await client.get("/api/v1/me/tasks", headers=bearer(officer))
    assert board.status_code == 200


async def test_subject_search_near_refuses_garbage(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader, squad_code=JIANGCHUAN))
    # Malformed text breaks the documented pattern; well-formed but off the Earth is
    # the location's own refusal.
    for near, code in (("1.2.3,4", "invalid_request"), ("500,31", "location_invalid")):
        response = await client.get(f"/api/v1/subjects?near={near}", headers=bearer(leader))
        assert response.status_code == 400, response.text
        assert response.json()["code"] == code
