"""Integration fixtures: the real app against the real services, and a fake WeChat."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from api.app import create_app
from offsite.settings import Settings
from storage import db
from storage.cases import catalogue
from storage.objects import ObjectStore
from storage.seed import seed_squads
from tests import factories
from tests.fakes.sms import FakeSms
from tests.fakes.sms import serve as serve_sms
from tests.fakes.wechat import FakeWechat, serve


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[tuple[FakeWechat, str]]:
    fake = FakeWechat()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture(scope="session")
def fake_sms() -> Iterator[tuple[FakeSms, str]]:
    fake = FakeSms()
    with serve_sms(fake) as url:
        yield fake, url


@pytest.fixture(scope="session")
def settings(fake_wechat: tuple[FakeWechat, str], fake_sms: tuple[FakeSms, str]) -> Settings:
    fake, url = fake_wechat
    return Settings.from_env(
        {
            **os.environ,
            "OFFSITE_SMS_GATEWAY_URL": fake_sms[1],
            "OFFSITE_SMS_API_KEY": fake_sms[0].api_key,
            "OFFSITE_WECHAT_API_BASE": url,
            "OFFSITE_WECHAT_APPID": fake.app_id,
            "OFFSITE_WECHAT_SECRET": fake.app_secret,
            # Tests sign in (and fail) many times from one address; the throttle has its
            # own tests.
            "OFFSITE_LOGIN_ADDRESS_FREE_FAILURES": "100000",
        }
    )


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[None]:
    """Migrated schema with the reference squads; the pool stays open for the session."""
    opened = await db.open_pool(1, 8)
    await db.migrate()
    await seed_squads(datetime.now(UTC))
    await catalogue.seed(datetime.now(UTC))
    yield
    if opened:
        await db.close_pool()


CLIENT_ADDRESS = "198.51.100.7"


class AppClient(httpx.AsyncClient):
    """An HTTP client bound to one app instance, in the test's own event loop (so the
    app and the test share the database pool)."""

    app: Litestar


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[AppClient]:
    """The app's lifespan runs in a task of its own: its task group must be entered and
    left by one task, and pytest sets a session fixture up and tears it down in two."""
    app = create_app(settings)
    started, finish = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await finish.wait()

    holder = asyncio.create_task(hold_lifespan())
    await asyncio.wait(
        [holder, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    if holder.done():
        holder.result()  # start-up failed: raise its error here
    transport = httpx.ASGITransport(app=app, client=(CLIENT_ADDRESS, 50000))
    try:
        async with AppClient(transport=transport, base_url="http://testserver") as c:
            c.app = app
            yield c
    finally:
        finish.set()
        await holder


@pytest.fixture(scope="session")
async def client(settings: Settings, database: None) -> AsyncIterator[AppClient]:
    ObjectStore(settings.s3).ensure_bucket()
    async with app_client(settings) as c:
        yield c


def client_for(settings: Settings, **auth: Any) -> AbstractAsyncContextManager[AppClient]:
    """A client of an app whose auth settings differ (``async with`` it)."""
    changed = msgspec.structs.replace(settings.auth, **auth)
    return app_client(msgspec.structs.replace(settings, auth=changed))


async def login(client: httpx.AsyncClient, user: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": user["username"], "password": user["password"]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


__all__ = [
    "CLIENT_ADDRESS",
    "AppClient",
    "app_client",
    "bearer",
    "client_for",
    "factories",
    "login",
]
