"""WeChat subscribe messages to officers' phones, against a local server speaking
``cgi-bin/token`` and ``subscribeMessage.send``, with the access token shared through
the real Redis by several workers (each with its own HTTP and Redis clients, as separate
processes would have)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

from domain.errors import Unavailable
from integrations.wechat import (
    TOKEN_KEY,
    TOKEN_LOCK_KEY,
    AccessTokens,
    SendOutcome,
    WechatClient,
)
from offsite.settings import WechatSettings, get_settings
from tests.fakes.wechat import FakeWechat, serve

OPENID = "o-officer-1"
ASSIGNED = "tpl-case-assigned"
PAGE = "pages/case/detail?id=42"
Fake = tuple[FakeWechat, str]
Workers = Callable[..., WechatClient]
DATA = {"thing1": "占道经营", "time2": "2026-11-24 09:30", "phrase3": "待处理"}


@pytest.fixture
def fake() -> Iterator[Fake]:
    # A slow token endpoint, so concurrent callers really overlap the refresh.
    wechat = FakeWechat(token_delay_s=0.2)
    with serve(wechat) as url:
        yield wechat, url


@pytest.fixture
async def workers(fake: Fake) -> AsyncIterator[Workers]:
    """Make WeChat clients as separate worker processes would: own HTTP and Redis."""
    wechat, url = fake
    redis_url = os.environ.get("REDIS_URL") or get_settings().redis.url
    opened: list[tuple[httpx.AsyncClient, Redis]] = []

    def worker(**overrides: object) -> WechatClient:
        settings = msgspec.structs.replace(
            WechatSettings(api_base=url, app_id=wechat.app_id, app_secret=wechat.app_secret),
            **overrides,
        )
        http = httpx.AsyncClient()
        redis = Redis.from_url(redis_url, decode_responses=True)
        opened.append((http, redis))
        return WechatClient(settings, http, redis)

    admin = Redis.from_url(redis_url, decode_responses=True)
    await admin.delete(TOKEN_KEY, TOKEN_LOCK_KEY)
    yield worker
    await admin.delete(TOKEN_KEY, TOKEN_LOCK_KEY)
    await admin.aclose()
    for http, redis in opened:
        await http.aclose()
        await redis.aclose()


def tokens(client: WechatClient) -> AccessTokens:
    assert client.tokens is not None
    return client.tokens


async def test_two_workers_make_one_token_request(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    first, second = workers(), workers()
    got = await asyncio.gather(*(tokens(w).get() for w in [first, second] * 10))
    assert wechat.token_requests == 1
    assert len(set(got)) == 1

    wechat.subscribe(OPENID, ASSIGNED, times=20)
    outcomes = await asyncio.gather(
        *(w.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) for w in [first, second] * 5)
    )
    assert outcomes == [SendOutcome.sent] * 10
    assert len(wechat.messages) == 10
    assert wechat.token_requests == 1


async def test_sending_first_fetches_the_token_once_for_everyone(
    fake: Fake, workers: Workers
) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED, times=6)
    first, second = workers(), workers()
    outcomes = await asyncio.gather(
        *(w.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) for w in [first, second] * 3)
    )
    assert set(outcomes) == {SendOutcome.sent}
    assert wechat.token_requests == 1


@pytest.mark.parametrize("refuse", ["revoke", "expire"])  # 40001, 42001
async def test_a_refused_token_is_replaced_once_and_the_message_goes(
    fake: Fake, workers: Workers, refuse: str
) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED)
    worker = workers()
    old = await tokens(worker).get()
    getattr(wechat, refuse)(old)

    assert await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) is SendOutcome.sent
    assert wechat.token_requests == 2
    assert wechat.send_attempts == 2
    assert await tokens(worker).get() not in (old, None)


async def test_workers_refused_together_share_one_new_token(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED, times=10)
    first, second = workers(), workers()
    wechat.revoke(await tokens(first).get())

    outcomes = await asyncio.gather(
        *(w.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) for w in [first, second] * 5)
    )
    assert set(outcomes) == {SendOutcome.sent}
    assert wechat.token_requests == 2


async def test_a_token_near_expiry_is_renewed_while_others_keep_using_it(
    fake: Fake, workers: Workers
) -> None:
    wechat, _ = fake
    first, second = workers(), workers()
    old = await tokens(first).get()
    # One second left, well inside the refresh margin (300 s).
    await tokens(first).redis.pexpire(TOKEN_KEY, 1000)

    got = await asyncio.gather(tokens(first).get(), tokens(second).get())
    assert wechat.token_requests == 2
    assert old in got  # the worker that did not refresh kept the still-valid token
    assert len(set(got)) == 2
    assert await tokens(second).get() != old


async def test_a_lock_left_by_a_dead_worker_expires(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    worker = workers()
    await tokens(worker).redis.set(TOKEN_LOCK_KEY, "dead-worker", px=300)
    assert await tokens(worker).get()
    assert wechat.token_requests == 1


async def test_no_subscription_left_falls_back(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED, times=1)
    worker = workers()
    assert await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) is SendOutcome.sent
    again = await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA)
    assert again is SendOutcome.no_subscription  # 43101: the caller uses the in-app inbox
    assert len(wechat.messages) == 1


async def test_unknown_officer_and_template_are_told_apart(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED)
    worker = workers()
    unknown_user = await worker.send_subscribe_message("o-stranger", ASSIGNED, PAGE, DATA)
    unknown_template = await worker.send_subscribe_message(OPENID, "tpl-gone", PAGE, DATA)
    assert unknown_user is SendOutcome.user_invalid
    assert unknown_template is SendOutcome.template_invalid


async def test_long_values_are_cut_to_their_field_types(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED)
    worker = workers(miniprogram_state="trial")
    data = {
        "thing1": "闵行区七宝镇漕宝路某号门前占道经营及乱堆物料需要尽快处理",
        "phrase2": "等待中队长审核确认",
        "character_string3": "CASE-2026-11-24-000042-A-B-C-D-E-F",
        "time4": "2026年11月24日 09:30",
    }
    assert max(len(v) for v in data.values()) > 20

    assert await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, data) is SendOutcome.sent
    message = wechat.messages[-1]
    assert message["data"]["thing1"]["value"] == data["thing1"][:19] + "…"
    assert message["data"]["phrase2"]["value"] == "等待中队长"
    assert len(message["data"]["character_string3"]["value"]) == 32
    assert message["data"]["time4"]["value"] == data["time4"]
    assert message["touser"] == OPENID
    assert message["page"] == PAGE
    assert message["miniprogram_state"] == "trial"
    assert message["lang"] == "zh_CN"


async def test_a_value_wechat_refuses_is_a_template_problem(fake: Fake, workers: Workers) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED)
    outcome = await workers().send_subscribe_message(OPENID, ASSIGNED, PAGE, {"thing1": " "})
    assert outcome is SendOutcome.template_invalid  # 47003: value is empty
    assert wechat.messages == []


@pytest.mark.parametrize("errcode", [-1, 45009])
async def test_busy_wechat_is_retried_later(fake: Fake, workers: Workers, errcode: int) -> None:
    wechat, _ = fake
    wechat.subscribe(OPENID, ASSIGNED)
    wechat.fail_next.append(errcode)
    worker = workers()
    with pytest.raises(Unavailable) as refused:
        await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA)
    assert refused.value.code == "wechat_busy"
    # The retry, later, goes through; the subscription was not used up.
    assert await worker.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA) is SendOutcome.sent


async def test_wrong_secret_or_unreachable_wechat_is_unavailable(
    fake: Fake, workers: Workers
) -> None:
    wechat, _ = fake
    with pytest.raises(Unavailable) as refused:
        await tokens(workers(app_secret="not-the-secret")).get()
    assert refused.value.code == "wechat_token_refused"

    with pytest.raises(Unavailable) as unreachable:
        await tokens(workers(api_base="http://127.0.0.1:9")).get()
    assert unreachable.value.code == "wechat_unreachable"
    assert wechat.token_requests == 1


async def test_messages_need_redis() -> None:
    async with httpx.AsyncClient() as http:
        client = WechatClient(WechatSettings(app_id="wx", app_secret="s"), http)
        with pytest.raises(Unavailable) as refused:
            await client.send_subscribe_message(OPENID, ASSIGNED, PAGE, DATA)
    assert refused.value.code == "wechat_not_configured"
