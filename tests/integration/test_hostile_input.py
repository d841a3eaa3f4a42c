"""Hostile and malformed input gets a 4xx with a code, never a 500 (issue 12's list)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.org import Role
from storage.tables import Case
from tests.factories import make_user
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")

TOO_BIG = "3000000000"  # beyond int4
WAY_TOO_BIG = "99999999999999999999999"  # beyond int8


async def _admin(client: AppClient) -> dict[str, str]:
    return bearer(await login(client, await make_user(Role.admin)))


def _refused(response: Any, status: int | None = None) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["code"] and body["detail"], body
    code: str = body["code"]
    return code


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cases?squad_id={TOO_BIG}",
        "/api/v1/hotspots/places?squad_id=%C2%B9",  # "¹": a digit to str.isdigit, not to int
        f"/api/v1/cases?grid={TOO_BIG}",
        f"/api/v1/cases?assignee_id={WAY_TOO_BIG}",
        f"/api/v1/grids?squad_id={TOO_BIG}",
        f"/api/v1/stats/indicators?period=2026-11&squad_id={TOO_BIG}",
        f"/api/v1/structures?squad_id={TOO_BIG}",
        f"/api/v1/blocks?squad_id={TOO_BIG}",
        f"/api/v1/cases/{TOO_BIG}",
        f"/api/v1/cases/{WAY_TOO_BIG}",
        f"/api/v1/subjects/{TOO_BIG}",
        f"/api/v1/cameras/{TOO_BIG}",
        f"/api/v1/squads/{TOO_BIG}",
        f"/api/v1/users/{TOO_BIG}",
        f"/api/v1/structures/{TOO_BIG}",
        f"/api/v1/blocks/{TOO_BIG}/scores",
        f"/api/v1/subjects/{TOO_BIG}/grades",
        "/api/v1/subjects?q=a%00b",
        "/api/v1/cases?type=a%00b",
        "/api/v1/subjects?near=1.2.,3",
        "/api/v1/subjects?near=1e999,3",
        "/api/v1/subjects?near=nan,3",
        "/api/v1/cases?cursor=aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
        "/api/v1/outbox?cursor=%FF%FE",
    ],
)
async def test_out_of_range_and_malformed_query_values_are_refused(
    client: AppClient, path: str
) -> None:
    _refused(await client.get(path, headers=await _admin(client)))


async def test_nul_bytes_in_json_text_are_refused_and_nothing_is_written(
    client: AppClient,
) -> None:
    admin = await _admin(client)
    response = await client.post(
        "/api/v1/cases",
        headers=admin,
        json={
            "violation_type": "05-05",
            "location": {"lng": 121.3994755, "lat": 30.9995505},
            "description": "NUL test a\u0000b",
        },
    )
    assert _refused(response, 400) in ("text_invalid", "invalid_request")
    assert not await Case.exists().where(Case.description.like("NUL test%"))


async def test_json_nested_1000_deep_is_refused_even_before_sign_in(client: AppClient) -> None:
    deep = b"[" * 1000 + b"]" * 1000
    for path in ("/api/v1/auth/login", "/api/v1/cases"):
        response = await client.post(
            path,
            content=b'{"username": ' + deep + b"}",
            headers={"content-type": "application/json"},
        )
        assert 400 <= response.status_code < 500, response.text[:200]


async def test_invalid_utf8_in_a_json_string_is_refused(client: AppClient) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"username": "\xff\xfe", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    _refused(response, 400)


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/integrator-keys", "/api/v1/outbox"])
async def test_options_on_any_route_answers_without_a_server_error(
    client: AppClient, path: str
) -> None:
    response = await client.options(path)
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text and "internal" not in response.text.lower()


@pytest.mark.parametrize(
    "url",
    [
        "http://[",
        "https://a b/c",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8080/hook",
        "http://10.0.0.8/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
    ],
)
async def test_webhook_and_callback_urls_that_cannot_be_called_are_refused_when_given(
    client: AppClient, url: str
) -> None:
    from storage.tables import WebhookSubscription

    admin = await _admin(client)
    strict = client.app.state.runtime.settings
    if strict.private_targets_allowed and url in (
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:8080/hook",
        "http://10.0.0.8/hook",
    ):
        pytest.skip("this installation allows private targets")
    issued = await client.post(
        "/api/v1/integrator-keys",
        headers=admin,
        json={"name": "bad callback", "scopes": ["complaints:write"], "callback_url": url},
    )
    assert _refused(issued, 400) in ("target_url_invalid", "invalid_request")
    key = await client.post(
        "/api/v1/integrator-keys",
        headers=admin,
        json={"name": "hooks", "scopes": ["events:read", "webhooks:manage"]},
    )
    api_key = {"Authorization": f"Bearer {key.json()['api_key']}"}
    before = await WebhookSubscription.count()
    hooked = await client.post(
        "/integrator/v1/webhooks", headers=api_key, json={"url": url, "topics": ["case.created"]}
    )
    assert _refused(hooked, 400) in ("target_url_invalid", "invalid_request")
    assert await WebhookSubscription.count() == before
