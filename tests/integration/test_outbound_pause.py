"""The SSRF check's DNS lookup belongs to the delivery's time: a lookup that hangs fails
the attempt within the receiver's timeout and pauses the origin, and a paused origin is
not even looked up again (a backlog for it must not queue on the resolver's threads)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import msgspec
import pytest

import jobs.outbox
from jobs.outbox import deliver_outbox
from offsite.runtime import Runtime
from storage.tables import Outbox
from tests.integration.conftest import AppClient
from tests.integration.test_integration_api import _key

pytestmark = pytest.mark.usefixtures("database")


async def test_a_hanging_dns_lookup_is_inside_the_timeout_and_pauses_the_origin(
    client: AppClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = f"hook-{time.time_ns()}.example.com"  # nothing is ever sent there
    lookups: list[str] = []

    async def hanging_lookup(url: str, allow_private: bool) -> None:
        lookups.append(url)  # a resolver that never answers (the DNS server is down)
        await asyncio.Event().wait()

    monkeypatch.setattr(jobs.outbox, "ensure_public", hanging_lookup)
    base: Runtime = client.app.state.runtime
    outbox_settings = msgspec.structs.replace(base.settings.outbox, webhook_timeout_s=0.5)
    runtime = dataclasses.replace(
        base, settings=msgspec.structs.replace(base.settings, outbox=outbox_settings)
    )
    key, _ = await _key(client, ["webhooks:manage", "events:read"])
    hook = await client.post(
        "/integrator/v1/webhooks",
        headers=key,
        json={"url": f"https://{origin}/hook", "topics": ["case.created"]},
    )
    assert hook.status_code == 201, hook.text
    rows = await Outbox.insert(
        *(
            Outbox(
                kind="webhook",
                topic="case.created",
                target=hook.json()["webhook"]["id"],
                payload="{}",
                dedup_key=f"{origin}:{i}",
            )
            for i in range(2)
        )
    ).returning(Outbox.id)
    try:
        first = await asyncio.wait_for(deliver_outbox({"runtime": runtime}, rows[0]["id"]), 10)
        assert first == "retry"
        assert await runtime.redis.exists(f"offsite:receiver-down:https://{origin}")
        failed = await Outbox.select(Outbox.last_error).where(Outbox.id == rows[0]["id"])
        assert "no answer within 0.5 s" in failed[0]["last_error"]

        second = await asyncio.wait_for(deliver_outbox({"runtime": runtime}, rows[1]["id"]), 10)
        assert second == "retry"
        assert len(lookups) == 1, "a paused origin is not looked up again"
    finally:
        await runtime.redis.delete(f"offsite:receiver-down:https://{origin}")
        await Outbox.delete().where(Outbox.dedup_key.like(f"{origin}:%"))
