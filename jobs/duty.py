"""Duty jobs: roll-call deadlines (a deferred job per roll call, and a reconciler every
minute for one Redis lost) and the position track's retention."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import ArqRedis

from offsite.runtime import Runtime
from storage.duty import photos, roll_calls, track

log = logging.getLogger("offsite.jobs")


def roll_call_job_id(roll_call_id: int) -> str:
    return f"roll-call:{roll_call_id}"


async def enqueue_roll_call_deadline(
    queue: ArqRedis, roll_call_id: int, deadline_at: datetime
) -> None:
    """Queue the deadline check once, to run just after the deadline (a deterministic job
    id: enqueueing it again is a no-op)."""
    await queue.enqueue_job(
        "expire_roll_call",
        roll_call_id,
        _job_id=roll_call_job_id(roll_call_id),
        _defer_until=deadline_at + timedelta(seconds=1),
    )


async def expire_roll_call(
    ctx: dict[str, Any], roll_call_id: int, now: datetime | None = None
) -> bool:
    """Mark the roll call missed if it is still unanswered past its deadline."""
    missed = await roll_calls.expire(roll_call_id, now or datetime.now(UTC))
    if missed:
        log.info("roll call missed", extra={"roll_call": roll_call_id})
    return missed


async def settle_roll_calls(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Every minute: mark what is past its deadline missed (whatever happened to its job)
    and queue again the deadline jobs of those still running (a no-op where queued)."""
    runtime: Runtime = ctx["runtime"]
    at = now or datetime.now(UTC)
    missed = await roll_calls.expire_all(at)
    for roll_call_id, deadline_at in await roll_calls.pending():
        await enqueue_roll_call_deadline(runtime.queue, roll_call_id, deadline_at)
    if missed:
        log.info("roll calls missed", extra={"count": missed})
    return missed


async def purge_old_positions(ctx: dict[str, Any], now: datetime | None = None) -> int:
    """Nightly: delete positions (and roll-call photos) older than
    ``OFFSITE_POSITION_RETENTION_DAYS``; how many positions."""
    runtime: Runtime = ctx["runtime"]
    days = runtime.settings.duty.position_retention_days
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    purged = await track.purge_positions(before)
    removed = await photos.purge(runtime.objects, before)
    log.info("purged old positions", extra={"count": purged, "photos": removed})
    return purged
