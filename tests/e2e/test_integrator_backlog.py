"""An integrator whose receiver hangs, with a backlog owed to it, does not hold up staff
work: its deliveries have their own queue and worker, so a staff notification and an
evidence check go through while the backlog is still pending."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import msgspec
import pytest

from domain.org import Role
from storage.tables import Outbox
from tests.e2e.conftest import Workers
from tests.factories import make_user, squad_id
from tests.fakes.hanging import hanging_receiver
from tests.integration.cases_helpers import (
    JIANGCHUAN_POINT,
    command,
    go_on_duty,
    photo,
    quiet_squad,
    report,
)
from tests.integration.conftest import AppClient, bearer, login
from tests.integration.test_integration_api import _key

pytestmark = pytest.mark.usefixtures("database")
BACKLOG = 1322  # as in the incident: more than one pump scan (1,000 rows) holds


async def _until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _status(outbox_id: int) -> str:
    rows = await Outbox.select(Outbox.status).where(Outbox.id == outbox_id)
    return str(rows[0]["status"])


async def test_a_hanging_integrator_does_not_hold_up_staff_work(
    client: AppClient, workers: Workers
) -> None:
    tag = f"backlog:{time.time_ns()}"
    squad = await squad_id("310112001")
    await quiet_squad(squad)
    officer = await login(client, await make_user(Role.officer, squad_code="310112001"))
    await go_on_duty(client, officer, JIANGCHUAN_POINT)
    case = await report(client, officer, "05-05", address="江川路 88 号")
    case = await command(client, officer, case, "accept", location=JIANGCHUAN_POINT)
    with hanging_receiver() as hung:
        key, _ = await _key(client, ["webhooks:manage", "events:read"])
        hook = await client.post(
            "/integrator/v1/webhooks",
            headers=key,
            json={"url": hung.url, "topics": ["case.created"]},
        )
        assert hook.status_code == 201, hook.text
        await Outbox.raw(
            """INSERT INTO outbox (kind, topic, target, payload, dedup_key)
               SELECT 'webhook', 'case.created', {}, {}::jsonb, {} || ':' || g
                 FROM generate_series(1, {}) g""",
            hook.json()["webhook"]["id"],
            "{}",
            tag,
            BACKLOG,
        )
        backlog = Outbox.dedup_key.like(f"{tag}:%")
        try:
            # Receivers that take their whole (long) timeout to fail: the hung
            # connections hold their job slots for the rest of the test.
            workers.start({"OFFSITE_WEBHOOK_TIMEOUT_S": "120", "OFFSITE_OUTBOX_RECONCILE_S": "0.5"})
            await _until(lambda: hung.connections >= 1, 60, "the backlog to reach the receiver")

            # Staff work, queued behind the whole backlog.
            evidence_id = await photo(client, officer, case)
            made = await Outbox.insert(
                Outbox(
                    kind="notification",
                    topic="case.dispatched",
                    recipient=officer["user"]["id"],
                    payload=msgspec.json.encode({"number": "MH-BL", "squad_id": squad}).decode(),
                    dedup_key=f"{tag}-staff",
                )
            ).returning(Outbox.id)
            notice = made[0]["id"]

            async def staff_done() -> bool:
                checked = await client.get(
                    f"/api/v1/evidence/{evidence_id}", headers=bearer(officer)
                )
                return (
                    await _status(notice) == "delivered"
                    and checked.json()["status"] != "processing"
                )

            for _ in range(600):  # generous: the default worker is idle but for this
                if await staff_done():
                    break
                await asyncio.sleep(0.1)
            assert await _status(notice) == "delivered"
            checked = await client.get(f"/api/v1/evidence/{evidence_id}", headers=bearer(officer))
            assert checked.json()["status"] == "verified"

            # ... while the integrator's backlog is still owed: none of it went through.
            states = await Outbox.select(Outbox.status).where(backlog)
            assert len(states) == BACKLOG
            assert all(s["status"] == "pending" for s in states)
            assert 1 <= hung.connections <= 50  # the integrations worker's slots, no more
        finally:
            await Outbox.delete().where(backlog)  # owed to nobody once this test ends
