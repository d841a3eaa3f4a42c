"""Every answer carries the security headers; token and personal answers are not
cached; HSTS over TLS only; the API docs pull no script from another site."""

from __future__ import annotations

import re

import httpx
import msgspec
import pytest

from domain.org import Role
from offsite.settings import Settings
from tests.factories import make_user
from tests.integration.conftest import CLIENT_ADDRESS, AppClient, app_client, bearer

pytestmark = pytest.mark.usefixtures("database")


def _assert_hardened(headers: httpx.Headers, what: str) -> None:
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "no-referrer", what
    assert headers.get("x-frame-options") == "DENY", what
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), what


async def test_every_answer_is_hardened_and_tokens_are_never_cached(client: AppClient) -> None:
    user = await make_user(Role.officer)
    signed_in = await client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    tokens = signed_in.json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    answers = {
        "login": signed_in,
        "refresh": refreshed,
        "wechat sign-in": await client.post("/api/v1/auth/wechat", json={"code": "no-such"}),
        "wechat binding": await client.post(
            "/api/v1/auth/wechat/bind", json={"code": "no-such", "binding_code": "ABCD-EFGH"}
        ),
        "profile": await client.get("/api/v1/me", headers=bearer(refreshed.json())),
        "refused": await client.get("/api/v1/me"),
        "no route": await client.get("/api/v1/nothing-here"),
        "integrator": await client.get("/integrator/v1/events"),
    }
    for what, response in answers.items():
        _assert_hardened(response.headers, what)
        assert response.headers.get("cache-control") == "no-store", what
        assert "strict-transport-security" not in response.headers, f"{what}: plain HTTP"
    _assert_hardened((await client.get("/healthz")).headers, "health")


async def test_hsts_over_tls_and_from_trusted_proxies_only(settings: Settings) -> None:
    proto = {"X-Forwarded-Proto": "https"}
    async with app_client(settings) as direct:
        untrusted = await direct.get("/healthz", headers=proto)
        assert "strict-transport-security" not in untrusted.headers, "anyone can send it"
    http = msgspec.structs.replace(settings.http, trusted_proxies=f"{CLIENT_ADDRESS}/32")
    async with app_client(msgspec.structs.replace(settings, http=http)) as behind_lb:
        hsts = (await behind_lb.get("/healthz", headers=proto)).headers
        assert hsts["strict-transport-security"] == f"max-age={http.hsts_max_age_s}"
        plain = await behind_lb.get("/healthz", headers={"X-Forwarded-Proto": "http"})
        assert "strict-transport-security" not in plain.headers
    off = msgspec.structs.replace(http, hsts_max_age_s=0)
    async with app_client(msgspec.structs.replace(settings, http=off)) as no_hsts:
        assert (
            "strict-transport-security"
            not in (await no_hsts.get("/healthz", headers=proto)).headers
        )


SCRIPT_FROM_ELSEWHERE = re.compile(r"""<script[^>]+src\s*=\s*["']?(https?:)?//""", re.I)


async def test_the_api_docs_load_no_script_from_another_site(client: AppClient) -> None:
    pages = ["", "/", "/swagger", "/redoc", "/rapidoc", "/elements", "/scalar", "/oauth2-redirect"]
    for page in pages:
        response = await client.get(f"/schema{page}")
        assert not SCRIPT_FROM_ELSEWHERE.search(response.text), page
        if response.status_code == 200:  # the document itself, never a page
            assert "text/html" not in response.headers["content-type"], page
        _assert_hardened(response.headers, page)
    document = await client.get("/schema")
    assert document.json()["info"]["title"] == "Offsite API"
    assert (await client.get("/schema/openapi.yaml")).status_code == 200
