"""WeChat miniprogram sign-in against a local server speaking jscode2session."""

from __future__ import annotations

import itertools

import pytest

from domain.org import Role
from tests.factories import make_user
from tests.fakes.wechat import FakeWechat
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")
_codes = itertools.count(1)


def new_code(fake: FakeWechat, outcome: str | int) -> str:
    code = f"code-{next(_codes)}"
    fake.codes[code] = outcome
    return code


async def issue_binding(client: AppClient, user_id: int) -> str:
    admin = await login(client, await make_user(Role.admin))
    response = await client.post(f"/api/v1/users/{user_id}/wechat-binding", headers=bearer(admin))
    assert response.status_code == 201, response.text
    code: str = response.json()["binding_code"]
    return code


async def test_unbound_openid_is_told_to_bind(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    response = await client.post("/api/v1/auth/wechat", json={"code": new_code(fake, "o-new")})
    assert response.status_code == 403
    assert response.json()["code"] == "wechat_not_bound"


async def test_bind_then_sign_in_with_wechat(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    officer = await make_user(Role.officer)
    binding = await issue_binding(client, officer["id"])
    openid = f"o-{officer['username']}"

    bound = await client.post(
        "/api/v1/auth/wechat/bind",
        json={"code": new_code(fake, openid), "binding_code": binding.lower()},
    )
    assert bound.status_code == 200, bound.text
    assert bound.json()["user"]["id"] == officer["id"]
    assert bound.json()["user"]["wechat_bound"] is True

    again = await client.post("/api/v1/auth/wechat", json={"code": new_code(fake, openid)})
    assert again.status_code == 200
    me = await client.get("/api/v1/me", headers=bearer(again.json()))
    assert me.json()["user"]["username"] == officer["username"]
    # The request carried the configured appid and secret, as WeChat requires.
    assert fake.requests[-1]["appid"] == fake.app_id


async def test_binding_code_works_once(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    officer = await make_user(Role.officer)
    binding = await issue_binding(client, officer["id"])
    body = {"code": new_code(fake, f"o-{officer['username']}"), "binding_code": binding}
    assert (await client.post("/api/v1/auth/wechat/bind", json=body)).status_code == 200
    body["code"] = new_code(fake, f"o-other-{officer['username']}")
    second = await client.post("/api/v1/auth/wechat/bind", json=body)
    assert second.status_code == 404
    assert second.json()["code"] == "binding_code_invalid"


async def test_a_new_binding_code_replaces_the_old(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    officer = await make_user(Role.officer)
    old = await issue_binding(client, officer["id"])
    await issue_binding(client, officer["id"])
    response = await client.post(
        "/api/v1/auth/wechat/bind",
        json={"code": new_code(fake, f"o-{officer['username']}"), "binding_code": old},
    )
    assert response.json()["code"] == "binding_code_invalid"


async def test_one_wechat_account_cannot_bind_two_users(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    first, second = await make_user(Role.officer), await make_user(Role.officer)
    openid = f"o-shared-{first['username']}"
    for user, expected in ((first, 200), (second, 409)):
        code = await issue_binding(client, user["id"])
        response = await client.post(
            "/api/v1/auth/wechat/bind",
            json={"code": new_code(fake, openid), "binding_code": code},
        )
        assert response.status_code == expected, response.text
    assert response.json()["code"] == "wechat_already_bound"


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [
        (40029, 400, "wechat_code_invalid"),
        (45011, 429, "wechat_rate_limited"),
        (40226, 403, "wechat_user_blocked"),
        (-1, 503, "wechat_busy"),
        (40999, 503, "wechat_error"),
    ],
)
async def test_wechat_errcodes_map_to_clear_errors(
    client: AppClient, fake_wechat, errcode: int, status: int, code: str
) -> None:
    fake, _ = fake_wechat
    response = await client.post("/api/v1/auth/wechat", json={"code": new_code(fake, errcode)})
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_used_code_is_refused_by_wechat(client: AppClient, fake_wechat) -> None:
    fake, _ = fake_wechat
    code = new_code(fake, "o-once")
    await client.post("/api/v1/auth/wechat", json={"code": code})
    response = await client.post("/api/v1/auth/wechat", json={"code": code})
    assert response.json()["code"] == "wechat_code_invalid"


async def test_binding_codes_are_for_admins_only(client: AppClient) -> None:
    leader = await login(client, await make_user(Role.squad_leader))
    officer = await make_user(Role.officer)
    response = await client.post(
        f"/api/v1/users/{officer['id']}/wechat-binding", headers=bearer(leader)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"
