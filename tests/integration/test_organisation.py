"""Profile, duty, squads, grid cells and users, each seen through jurisdiction."""

from __future__ import annotations

import pytest

from domain.geo import CoordType, LngLat, from_wgs84, haversine_m
from domain.org import Role
from tests.factories import make_user, squad_id
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

JIANGCHUAN, XINZHUANG = "310112001", "310112101"


async def test_officer_reads_own_profile_and_squad(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    me = (await client.get("/api/v1/me", headers=bearer(officer))).json()
    assert me["user"]["role_label_zh"] == "执法队员"
    own = await client.get(f"/api/v1/squads/{me['squad']['id']}", headers=bearer(officer))
    assert own.status_code == 200
    assert own.json()["name_zh"] == "江川路街道"
    assert own.json()["boundary"]["type"] == "Polygon"


async def test_officer_cannot_read_another_squad(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    other = await squad_id(XINZHUANG)
    response = await client.get(f"/api/v1/squads/{other}", headers=bearer(officer))
    assert response.status_code == 403
    assert response.json()["code"] == "out_of_jurisdiction"
    grids = await client.get(f"/api/v1/grids?squad_id={other}", headers=bearer(officer))
    assert grids.status_code == 403


async def test_squad_list_is_scoped(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader, squad_code=XINZHUANG))
    commander = await login(client, await make_user(Role.commander))
    mine = (await client.get("/api/v1/squads", headers=bearer(leader))).json()["items"]
    district = (await client.get("/api/v1/squads", headers=bearer(commander))).json()["items"]
    assert [s["code"] for s in mine] == [XINZHUANG]
    assert len(district) == 14


async def test_grids_are_scoped_and_paged(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer, squad_code=JIANGCHUAN))
    own = await squad_id(JIANGCHUAN)
    page = (await client.get("/api/v1/grids?limit=3", headers=bearer(officer))).json()
    assert len(page["items"]) == 3
    assert {g["squad_id"] for g in page["items"]} == {own}
    rest = await client.get(
        f"/api/v1/grids?limit=3&cursor={page['next_cursor']}", headers=bearer(officer)
    )
    assert [g["code"] for g in rest.json()["items"]] == ["310112001-0004"]
    assert rest.json()["next_cursor"] is None
    bad = await client.get("/api/v1/grids?cursor=garbage", headers=bearer(officer))
    assert bad.status_code == 400
    assert bad.json()["code"] == "cursor_invalid"


async def test_locate_a_gcj02_point_to_its_squad_and_grid(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    # The middle of grid 310112001-0001, as a WeChat phone (GCJ-02) would send it.
    centre = LngLat(121.3994755, 30.9995505)
    phone = from_wgs84(centre, CoordType.gcj02)
    response = await client.get(
        f"/api/v1/grids/locate?lng={phone.lng}&lat={phone.lat}&coord_type=gcj02",
        headers=bearer(officer),
    )
    body = response.json()
    assert body["squad"]["code"] == JIANGCHUAN
    assert body["grid"]["code"] == "310112001-0001"
    # The answer is in the datum asked for (GCJ-02), as the phone's map will draw it.
    assert body["location"]["coord_type"] == "gcj02"
    assert haversine_m(phone, LngLat(body["location"]["lng"], body["location"]["lat"])) < 0.5
    outside = await client.get("/api/v1/grids/locate?lng=116.39&lat=39.9", headers=bearer(officer))
    assert outside.json()["squad"] is None


async def test_duty_stores_the_position_in_wgs84(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    where = LngLat(121.40, 31.00)
    phone = from_wgs84(where, CoordType.gcj02)
    response = await client.put(
        "/api/v1/me/duty",
        headers=bearer(officer),
        json={
            "on_duty": True,
            "location": {"lng": phone.lng, "lat": phone.lat, "coord_type": "gcj02"},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["on_duty"] is True
    stored = LngLat(body["last_location"]["lng"], body["last_location"]["lat"])
    assert body["last_location"]["coord_type"] == "wgs84"
    assert haversine_m(stored, where) < 0.5


async def test_duty_rejects_impossible_coordinates(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    response = await client.put(
        "/api/v1/me/duty",
        headers=bearer(officer),
        json={"on_duty": True, "location": {"lng": 321.0, "lat": 31.0}},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


async def test_admin_creates_and_updates_users(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    squad = await squad_id(XINZHUANG)
    created = await client.post(
        "/api/v1/users",
        headers=bearer(admin),
        json={
            "username": "new.officer.x1",
            "display_name": "新队员",
            "password": "a-good-pass",
            "role": "officer",
            "squad_id": squad,
        },
    )
    assert created.status_code == 201, created.text
    user = created.json()
    duplicate = await client.post(
        "/api/v1/users",
        headers=bearer(admin),
        json={
            "username": "new.officer.x1",
            "display_name": "x",
            "password": "a-good-pass",
            "role": "officer",
            "squad_id": squad,
        },
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "username_taken"

    session = await login(client, {"username": "new.officer.x1", "password": "a-good-pass"})
    moved = await client.patch(
        f"/api/v1/users/{user['id']}",
        headers=bearer(admin),
        json={"role": "commander", "squad_id": None},
    )
    assert moved.status_code == 200
    assert moved.json()["role"] == "commander"
    # A change of role ends the user's sessions.
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert refresh.json()["code"] == "refresh_token_revoked"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"role": "officer"}, "squad_required"),
        ({"role": "commander", "squad_id": 1}, "squad_not_allowed"),
        ({"role": "officer", "squad_id": 999999}, "squad_not_found"),
        ({"role": "emperor"}, "invalid_request"),
    ],
)
async def test_user_rules_are_enforced(client: AppClient, body: dict, code: str) -> None:
    admin = await login(client, await make_user(Role.admin))
    response = await client.post(
        "/api/v1/users",
        headers=bearer(admin),
        json={"username": "rule.check", "display_name": "x", "password": "a-good-pass", **body},
    )
    assert response.status_code == 400
    assert response.json()["code"] == code


async def test_only_admins_manage_users(client: AppClient) -> None:
    for role in (Role.officer, Role.squad_leader, Role.commander, Role.supervisor):
        tokens = await login(client, await make_user(role))
        response = await client.get("/api/v1/users", headers=bearer(tokens))
        assert response.status_code == 403, role
        assert response.json()["code"] == "role_forbidden"


async def test_integrator_keys_are_shown_once_and_revocable(client: AppClient) -> None:
    admin = await login(client, await make_user(Role.admin))
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=bearer(admin),
        json={"name": "城运中心", "scopes": ["complaints:write", "events:read"]},
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()
    assert key["api_key"].startswith("osk_")
    assert key["key"]["prefix"] == key["api_key"][:12]
    listed = (await client.get("/api/v1/integrator-keys?limit=200", headers=bearer(admin))).json()
    assert all("api_key" not in k for k in listed["items"])
    revoked = await client.delete(
        f"/api/v1/integrator-keys/{key['key']['id']}", headers=bearer(admin)
    )
    assert revoked.json()["revoked_at"] is not None
    bad_scope = await client.post(
        "/api/v1/integrator-keys", headers=bearer(admin), json={"name": "x", "scopes": ["root"]}
    )
    assert bad_scope.status_code == 400
