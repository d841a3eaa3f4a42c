"""Notifications reach the inbox once, stream live, and a stream resumes without gaps."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from typing import Any

import jwt
import msgspec
import pytest

from api.notifications.controller import Cursor, _events
from api.security import Principal
from domain.org import Role
from jobs.outbox import deliver_outbox
from offsite.runtime import Runtime
from storage import inbox
from storage.tables import Outbox
from tests.factories import make_user, squad_id
from tests.fakes.wechat import FakeWechat
from tests.integration.conftest import AppClient, bearer, login

pytestmark = pytest.mark.usefixtures("database")


async def _notify(
    runtime: Runtime,
    *,
    user: int | None = None,
    role: str | None = None,
    squad: int | None = None,
    number: str = "MH-TEST",
) -> int:
    """An outbox notification as a command writes it, delivered as the worker does."""
    rows = await Outbox.insert(
        Outbox(
            kind="notification",
            topic="case.dispatched",
            recipient=user,
            recipient_role=role,
            payload=msgspec.json.encode({"number": number, "squad_id": squad}).decode(),
            dedup_key=f"test:{time.time_ns()}",
        )
    ).returning(Outbox.id)
    outbox_id: int = rows[0]["id"]
    assert await deliver_outbox({"runtime": runtime}, outbox_id) == "delivered"
    return outbox_id


async def test_a_notification_reaches_each_recipient_once(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    squad = await squad_id("310112001")
    leaders = [await make_user(Role.squad_leader) for _ in range(2)]
    other_squad = await make_user(Role.squad_leader, squad_code="310112101")
    outbox_id = await _notify(runtime, role="squad_leader", squad=squad, number="MH-A")

    # Delivered again (a retry after a crash): still one inbox entry each.
    await Outbox.update({Outbox.status: "pending"}).where(Outbox.id == outbox_id)
    assert await deliver_outbox({"runtime": runtime}, outbox_id) == "delivered"

    for leader in leaders:
        tokens = await login(client, leader)
        page = (await client.get("/api/v1/notifications", headers=bearer(tokens))).json()
        mine = [n for n in page["items"] if n["payload"].get("number") == "MH-A"]
        assert len(mine) == 1 and mine[0]["title"] == "新派遣案件 MH-A"
        read = await client.post(
            f"/api/v1/notifications/{mine[0]['id']}/read", headers=bearer(tokens)
        )
        assert read.status_code == 200 and read.json()["read_at"] is not None
    outsider = await login(client, other_squad)
    theirs = (await client.get("/api/v1/notifications", headers=bearer(outsider))).json()
    assert all(n["payload"].get("number") != "MH-A" for n in theirs["items"])
    stranger = await client.post("/api/v1/notifications/1/read", headers=bearer(outsider))
    assert stranger.status_code == 404


async def _next(stream: Any, timeout: float = 5.0) -> Any:
    while True:
        message = await asyncio.wait_for(anext(stream), timeout)
        if getattr(message, "comment", None) is None:
            return message


async def test_the_stream_is_live_and_resumes_after_a_reconnect(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    hub = client.app.state.live
    officer = await make_user(Role.officer)
    me = Principal(officer["id"], Role.officer, await squad_id("310112001"))
    stream = _events(me, hub, Cursor(await inbox.last_id(officer["id"]), 0))

    waiting = asyncio.ensure_future(_next(stream))
    await asyncio.sleep(0.05)  # the stream has read the database and waits for the bell
    await _notify(runtime, user=officer["id"], number="MH-1")
    first = await waiting
    assert first.event == "notification" and "MH-1" in first.data

    await stream.aclose()  # the phone loses its connection ...
    await _notify(runtime, user=officer["id"], number="MH-2")
    await _notify(runtime, user=officer["id"], number="MH-3")
    resumed = _events(me, hub, Cursor.decode(first.id))  # ... and comes back with its id
    got = [await _next(resumed), await _next(resumed)]
    assert ["MH-2" in got[0].data, "MH-3" in got[1].data] == [True, True]
    await resumed.aclose()


async def test_a_stream_stops_when_its_sign_in_ends(client: AppClient) -> None:
    runtime: Runtime = client.app.state.runtime
    user = await make_user(Role.officer)
    tokens = await login(client, user)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    me = Principal(user["id"], Role.officer, await squad_id("310112001"), uuid.UUID(claims["sid"]))
    start = Cursor(await inbox.last_id(user["id"]), 0)
    stream = _events(me, client.app.state.live, start, runtime.ended_sessions)
    waiting = asyncio.ensure_future(_next(stream))
    await asyncio.sleep(0.05)
    await _notify(runtime, user=user["id"], number="MH-BEFORE")
    assert "MH-BEFORE" in (await waiting).data

    out = await client.post("/api/v1/auth/logout", headers=bearer(tokens), json={})
    assert out.status_code == 204
    await _notify(runtime, user=user["id"], number="MH-AFTER")
    with pytest.raises(StopAsyncIteration):
        await _next(stream)


async def test_the_stream_endpoint_refuses_a_foreign_cursor(client: AppClient) -> None:
    officer = await login(client, await make_user(Role.officer))
    response = await client.get(
        "/api/v1/stream", headers={**bearer(officer), "Last-Event-ID": "not-ours"}
    )
    assert (response.status_code, response.json()["code"]) == (400, "stream_cursor_invalid")


async def test_wechat_messages_fall_back_to_the_inbox_when_no_subscription_is_left(
    client: AppClient, fake_wechat: tuple[FakeWechat, str]
) -> None:
    fake, _ = fake_wechat
    base: Runtime = client.app.state.runtime
    wechat = msgspec.structs.replace(base.settings.wechat, template_case_assigned="tmpl-assign")
    runtime = dataclasses.replace(
        base, settings=msgspec.structs.replace(base.settings, wechat=wechat)
    )
    openid = f"o-{time.time_ns()}"
    officer = await make_user(Role.officer, wechat_openid=openid)
    fake.subscribe(openid, "tmpl-assign", times=1)

    async def notify_and_send(number: str) -> str:
        outbox_id = await _notify(runtime, user=officer["id"], number=number)
        row = (
            await Outbox.select(Outbox.id)
            .where((Outbox.kind == "wechat") & (Outbox.dedup_key.like(f"wechat:{outbox_id}:%")))
            .first()
        )
        assert row is not None, "a WeChat row for a bound user with a template"
        assert await deliver_outbox({"runtime": runtime}, row["id"]) in ("delivered", "skipped")
        status = (
            await Outbox.select(Outbox.status, Outbox.last_error)
            .where(Outbox.id == row["id"])
            .first()
        )
        return f"{status['status']}:{status['last_error'] or ''}"

    assert await notify_and_send("MH-W1") == "delivered:"
    sent = [m for m in fake.messages if m["touser"] == openid]
    assert sent[0]["template_id"] == "tmpl-assign"
    assert sent[0]["data"]["character_string1"]["value"] == "MH-W1"
    assert await notify_and_send("MH-W2") == "skipped:no_subscription"  # 43101
    attempts = fake.send_attempts
    assert await notify_and_send("MH-W3") == "skipped:no subscription left (remembered)"
    assert fake.send_attempts == attempts, "not tried again while none is left"

    tokens = await login(client, officer)
    again = await client.post(
        "/api/v1/me/wechat-subscriptions",
        headers=bearer(tokens),
        json={"template_ids": ["tmpl-assign"]},
    )
    assert again.status_code == 204, again.text
    fake.subscribe(openid, "tmpl-assign", times=1)
    assert await notify_and_send("MH-W4") == "delivered:"
    # Every one of them is in the inbox, sent to WeChat or not.
    page = (await client.get("/api/v1/notifications", headers=bearer(tokens))).json()
    assert {n["payload"]["number"] for n in page["items"]} >= {"MH-W1", "MH-W2", "MH-W3", "MH-W4"}
