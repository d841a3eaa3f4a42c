"""Integrator deliveries go to their own queue, staff work to the default one, and the
pump's scan recreates both after Redis lost them."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from jobs.outbox import enqueue_due
from offsite.runtime import Runtime
from storage.tables import Outbox
from tests.integration.conftest import AppClient

pytestmark = pytest.mark.usefixtures("database")


async def _queued(runtime: Runtime, queue: str, job_id: str) -> bool:
    return await runtime.queue.zscore(queue, job_id) is not None


async def test_each_kind_is_queued_where_it_belongs_and_requeued_after_a_flush(
    client: AppClient,
) -> None:
    runtime: Runtime = client.app.state.runtime
    names = runtime.settings.redis
    tag = f"queues:{time.time_ns()}"
    rows = await Outbox.insert(
        *(
            Outbox(kind=kind, topic="case.created", payload="{}", dedup_key=f"{tag}:{kind}")
            for kind in ("notification", "webhook", "callback", "fetch")
        )
    ).returning(Outbox.id, Outbox.kind)
    # Oldest due of all, so that other tests' pending rows do not push them past the
    # scan's limit.
    await Outbox.update({Outbox.next_attempt_at: datetime(2000, 1, 1, tzinfo=UTC)}).where(
        Outbox.dedup_key.like(f"{tag}:%")
    )
    jobs = {r["kind"]: f"outbox:{r['id']}:0" for r in rows}
    expected = {
        "notification": names.queue_name,
        "webhook": names.integrations_queue_name,
        "callback": names.integrations_queue_name,
        "fetch": names.integrations_queue_name,
    }
    try:
        for _ in range(2):  # as enqueued, and again after Redis lost every trace of them
            await enqueue_due(runtime)
            for kind, queue in expected.items():
                assert await _queued(runtime, queue, jobs[kind]), kind
                other = (
                    names.queue_name if queue != names.queue_name else names.integrations_queue_name
                )
                assert not await _queued(runtime, other, jobs[kind]), kind
            for kind, queue in expected.items():
                await runtime.queue.zrem(queue, jobs[kind])
                await runtime.queue.delete(f"arq:job:{jobs[kind]}")
    finally:
        await Outbox.delete().where(Outbox.dedup_key.like(f"{tag}:%"))
