"""Password sign-in, rotating refresh tokens, sign-out, and tampered tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import msgspec
import pytest

from domain.org import Role
from offsite.settings import Settings
from storage.ended_sessions import EndedSessions
from tests.factories import make_user
from tests.integration.conftest import (
    CLIENT_ADDRESS,
    AppClient,
    app_client,
    bearer,
    client_for,
    login,
)

pytestmark = pytest.mark.usefixtures("database")


async def test_login_returns_tokens_and_profile(client: AppClient) -> None:
    user = await make_user(Role.officer)
    tokens = await login(client, user)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["user"]["username"] == user["username"]
    assert tokens["user"]["role"] == "officer"
    me = await client.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["squad"]["code"] == "310112001"


async def test_wrong_password_and_unknown_user_look_the_same(client: AppClient) -> None:
    user = await make_user(Role.officer)
    wrong = await client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": "nope-nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"username": "nobody-here", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


async def test_disabled_account_cannot_sign_in(client: AppClient) -> None:
    user = await make_user(Role.officer, is_active=False)
    response = await client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "account_disabled"


async def test_refresh_rotates_and_old_token_is_spent(client: AppClient) -> None:
    tokens = await login(client, await make_user(Role.officer))
    first = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    second = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}
    )
    assert second.status_code == 200


async def test_replayed_refresh_within_grace_returns_the_same_token(
    client: AppClient,
) -> None:
    """A phone that lost the answer retries the same request: same result, not a lock-out."""
    tokens = await login(client, await make_user(Role.officer))
    body = {"refresh_token": tokens["refresh_token"]}
    first = await client.post("/api/v1/auth/refresh", json=body)
    retry = await client.post("/api/v1/auth/refresh", json=body)
    assert first.status_code == retry.status_code == 200
    assert first.json()["refresh_token"] == retry.json()["refresh_token"]


async def test_reuse_of_a_spent_token_revokes_the_family(client: AppClient) -> None:
    tokens = await login(client, await make_user(Role.officer))
    stolen = tokens["refresh_token"]
    rotated = (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).json()
    # The legitimate client moves on; then the thief replays the first (spent) token.
    newer = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).json()
    reuse = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "refresh_token_reused"
    # Every token of that sign-in is now dead, including the newest one.
    after = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": newer["refresh_token"]}
    )
    assert after.status_code == 401
    assert after.json()["code"] == "refresh_token_revoked"


async def test_logout_ends_the_session(client: AppClient) -> None:
    tokens = await login(client, await make_user(Role.officer))
    out = await client.post(
        "/api/v1/auth/logout",
        headers=bearer(tokens),
        json={"refresh_token": tokens["refresh_token"]},
    )
    assert out.status_code == 204
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert again.json()["code"] == "refresh_token_revoked"


async def test_sign_out_ends_that_sessions_access_token_in_every_process(
    client: AppClient, settings: Settings
) -> None:
    user = await make_user(Role.officer)
    phone, console = await login(client, user), await login(client, user)
    async with client_for(settings) as other_process:
        await _listening(other_process)
        for api in (client, other_process):
            assert (await api.get("/api/v1/me", headers=bearer(phone))).status_code == 200
        out = await client.post("/api/v1/auth/logout", headers=bearer(phone), json={})
        assert out.status_code == 204
        # The process that signed out knows at once; the other one at the commit's notice.
        assert (await client.get("/api/v1/me", headers=bearer(phone))).status_code == 401
        for api in (client, other_process):
            refused = await _me_when_refused(api, phone)
            assert refused.json()["code"] == "session_ended"
            # The other sign-in of the same user goes on.
            assert (await api.get("/api/v1/me", headers=bearer(console))).status_code == 200
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}
    )
    assert again.json()["code"] == "refresh_token_revoked"


async def test_deactivation_ends_every_session_at_once(
    client: AppClient, settings: Settings
) -> None:
    admin = await login(client, await make_user(Role.admin))
    user = await make_user(Role.officer)
    phone, console = await login(client, user), await login(client, user)
    refreshed = (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    ).json()
    async with client_for(settings) as other_process:
        await _listening(other_process)
        off = await other_process.patch(
            f"/api/v1/users/{user['id']}", headers=bearer(admin), json={"is_active": False}
        )
        assert off.status_code == 200, off.text
        assert (await other_process.get("/api/v1/me", headers=bearer(phone))).status_code == 401
        for api in (client, other_process):
            for tokens in (phone, refreshed, console):
                refused = await _me_when_refused(api, tokens)
                assert refused.json()["code"] == "session_ended"


async def test_a_process_without_its_listener_asks_the_database(client: AppClient) -> None:
    tokens = await login(client, await make_user(Role.officer))
    listening = client.app.state.ended_sessions
    # As while the LISTEN connection is being re-established: it has heard nothing.
    client.app.state.ended_sessions = EndedSessions(keep_s=960)
    try:
        assert (await client.get("/api/v1/me", headers=bearer(tokens))).status_code == 200
        await client.post("/api/v1/auth/logout", headers=bearer(tokens), json={})
        refused = await client.get("/api/v1/me", headers=bearer(tokens))
        assert refused.json()["code"] == "session_ended"
    finally:
        client.app.state.ended_sessions = listening


async def _listening(api: AppClient) -> None:
    """Wait until the process's session listener is connected (start-up, reconnect)."""
    ended = api.app.state.ended_sessions
    for _ in range(500):
        if ended.connected:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the session listener did not connect")


async def _me_when_refused(api: AppClient, tokens: dict) -> httpx.Response:
    """GET /me until it is refused: the notice reaches another process a moment after the
    commit (sub-millisecond here); the request before it may still pass."""
    for _ in range(200):
        response = await api.get("/api/v1/me", headers=bearer(tokens))
        if response.status_code == 401:
            return response
        await asyncio.sleep(0.005)
    raise AssertionError("the access token still works")


async def test_unknown_refresh_token(client: AppClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "rt_nothing"})
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_token_invalid"


def _forge(claims: dict, alg: str, key: str) -> str:
    return jwt.encode(claims, key, algorithm=alg)


async def test_tampered_tokens_are_refused(client: AppClient, settings: Settings) -> None:
    tokens = await login(client, await make_user(Role.officer))
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    header, _payload, signature = tokens["access_token"].split(".")

    escalated = dict(claims, role="admin")
    fake_payload = base64.urlsafe_b64encode(json.dumps(escalated).encode()).decode().rstrip("=")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    now = datetime.now(UTC)
    cases = {
        "payload edited": f"{header}.{fake_payload}.{signature}",
        "alg none": f"{unsigned}.{fake_payload}.",
        "wrong key": _forge(escalated, "HS256", "another-secret-" + "y" * 40),
        "other algorithm": _forge(escalated, "HS512", settings.auth.jwt_secret),
        "expired": _forge(
            dict(claims, exp=int((now - timedelta(minutes=5)).timestamp())),
            "HS256",
            settings.auth.jwt_secret,
        ),
        "from the future": _forge(
            dict(claims, iat=int((now + timedelta(hours=1)).timestamp())),
            "HS256",
            settings.auth.jwt_secret,
        ),
        "wrong issuer": _forge(dict(claims, iss="elsewhere"), "HS256", settings.auth.jwt_secret),
    }
    for name, token in cases.items():
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["code"] in {"token_invalid", "token_expired"}, name


async def test_within_clock_skew_is_accepted(client: AppClient, settings: Settings) -> None:
    tokens = await login(client, await make_user(Role.officer))
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    now = int(datetime.now(UTC).timestamp())
    token = _forge(dict(claims, exp=now - 10, iat=now - 900), "HS256", settings.auth.jwt_secret)
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_no_token_is_refused_with_a_code(client: AppClient) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "auth_required"


def _behind_proxy(settings: Settings, **auth: Any) -> AbstractAsyncContextManager[AppClient]:
    """An app behind a load balancer (the test client's address), with these auth
    settings; each test speaks for clients of its own addresses (X-Forwarded-For)."""
    # Two tiers: the edge proxies (10/8) and the test client's address in front of us.
    http = msgspec.structs.replace(
        settings.http, trusted_proxies=f"{CLIENT_ADDRESS}/32, 10.0.0.0/8"
    )
    changed = msgspec.structs.replace(settings.auth, **auth)
    return app_client(msgspec.structs.replace(settings, http=http, auth=changed))


def _address() -> str:
    return f"2001:db8::{secrets.randbelow(1 << 16):x}:{secrets.randbelow(1 << 16):x}"


async def _sign_in(api: AppClient, user: dict, address: str, password: str | None = None) -> Any:
    return await api.post(
        "/api/v1/auth/login",
        headers={"X-Forwarded-For": f"{address}, 10.1.2.3"},
        json={"username": user["username"], "password": password or user["password"]},
    )


async def test_wrong_passwords_slow_that_address_down_and_never_lock_the_owner_out(
    settings: Settings,
) -> None:
    user = await make_user(Role.officer)
    attacker, owner = _address(), _address()
    async with _behind_proxy(settings, login_free_failures=3, login_delay_base_s=0.5) as api:
        wrong = [(await _sign_in(api, user, attacker, "wrong")).status_code for _ in range(3)]
        assert wrong == [401] * 3
        throttled = await _sign_in(api, user, attacker)  # even the right password waits
        assert (throttled.status_code, throttled.json()["code"]) == (429, "login_throttled")
        assert int(throttled.headers["Retry-After"]) >= 1
        # The owner, at their own address, signs in as ever: no lock on the account.
        assert (await _sign_in(api, user, owner)).status_code == 200
        await asyncio.sleep(0.6)  # the first wait past the free failures is over
        assert (await _sign_in(api, user, attacker)).status_code == 200


async def test_the_wait_doubles_with_each_further_failure(settings: Settings) -> None:
    user = await make_user(Role.officer)
    address = _address()
    async with _behind_proxy(
        settings, login_free_failures=1, login_delay_base_s=0.2, login_delay_max_s=60
    ) as api:
        assert (await _sign_in(api, user, address, "wrong")).status_code == 401
        await asyncio.sleep(0.25)
        assert (await _sign_in(api, user, address, "wrong")).status_code == 401
        await asyncio.sleep(0.25)  # the second wait is 0.4 s
        assert (await _sign_in(api, user, address)).status_code == 429
        await asyncio.sleep(0.2)
        assert (await _sign_in(api, user, address)).status_code == 200


async def test_parallel_guesses_are_heard_one_at_a_time(settings: Settings) -> None:
    user = await make_user(Role.officer)
    address = _address()
    async with _behind_proxy(settings, login_free_failures=3, login_delay_base_s=30) as api:
        answers = await asyncio.gather(
            *(_sign_in(api, user, address, f"guess-{n}") for n in range(10))
        )
    statuses = [r.status_code for r in answers]
    # At most the three free guesses are checked (a busy machine may turn one away as a
    # collision to retry); the rest wait, however many arrive at once.
    assert 1 <= statuses.count(401) <= 3, statuses
    assert statuses.count(429) == 10 - statuses.count(401), statuses


async def test_an_address_failing_across_accounts_is_slowed_down(settings: Settings) -> None:
    users = [await make_user(Role.officer) for _ in range(4)]
    sprayer, colleague = _address(), _address()
    async with _behind_proxy(settings, login_address_free_failures=3, login_delay_base_s=30) as api:
        statuses = [(await _sign_in(api, u, sprayer, "Passw0rd!")).status_code for u in users]
        assert statuses == [401, 401, 401, 429]
        assert (await _sign_in(api, users[3], colleague)).status_code == 200


async def test_a_busy_address_forgets_its_failures_though_sign_ins_go_on(
    settings: Settings,
) -> None:
    """An office behind one address always has someone signing in: its window runs from
    its first failure, or its people's typos would add up for ever."""
    a, b, c, d = [await make_user(Role.officer) for _ in range(4)]
    office = _address()
    async with _behind_proxy(
        settings, login_address_free_failures=2, login_delay_base_s=30, login_failure_memory_s=1
    ) as api:
        assert (await _sign_in(api, a, office, "typo")).status_code == 401
        await asyncio.sleep(0.5)
        assert (await _sign_in(api, b, office)).status_code == 200
        await asyncio.sleep(0.6)  # a second since the first failure: the window is over
        assert (await _sign_in(api, c, office, "typo")).status_code == 401
        assert (await _sign_in(api, d, office)).status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_is_not_believed(settings: Settings) -> None:
    user = await make_user(Role.officer)
    async with client_for(settings, login_free_failures=2, login_delay_base_s=30) as api:
        # Each attempt claims another address; the peer is what counts.
        statuses = [(await _sign_in(api, user, _address(), "wrong")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
