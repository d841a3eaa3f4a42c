"""Checking uploads: one job per completed upload, and a reconciler for lost jobs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import ArqRedis

from offsite.runtime import Runtime
from storage import evidence

log = logging.getLogger("offsite.jobs")


async def enqueue_check(queue: ArqRedis, evidence_id: uuid.UUID) -> None:
    """Queue the check once (a deterministic job id: a second enqueue is a no-op)."""
    await queue.enqueue_job("check_evidence", str(evidence_id), _job_id=f"evidence:{evidence_id}")


async def check_evidence(ctx: dict[str, Any], evidence_id: str) -> str | None:
    """Hash, decode and flag one upload (see storage/evidence.check)."""
    runtime: Runtime = ctx["runtime"]
    done = await evidence.check(
        runtime.objects, runtime.settings.evidence, uuid.UUID(evidence_id), datetime.now(UTC)
    )
    return done.status.value if done else None


async def check_stuck_evidence(ctx: dict[str, Any]) -> int:
    """Check uploads whose job was lost (Redis flushed, worker killed): the database is
    the source of truth."""
    runtime: Runtime = ctx["runtime"]
    now = datetime.now(UTC)
    ids = await evidence.stuck(now - timedelta(minutes=2))
    for evidence_id in ids:
        await evidence.check(runtime.objects, runtime.settings.evidence, evidence_id, now)
    if ids:
        log.info("checked stuck uploads", extra={"count": len(ids)})
    return len(ids)


async def clean_up_uploads(ctx: dict[str, Any]) -> dict[str, int]:
    """Hourly: expired grants, abandoned uploads, files past their retention, and files no
    evidence row records (their transaction rolled back)."""
    runtime: Runtime = ctx["runtime"]
    done = await evidence.clean_up(runtime.objects, runtime.settings.evidence, datetime.now(UTC))
    log.info(
        "cleaned up uploads",
        extra={
            "expired": done.expired_grants,
            "orphans": done.orphans_removed,
            "purged": done.purged,
            "unrecorded": done.unrecorded_removed,
        },
    )
    return {
        "expired": done.expired_grants,
        "orphans": done.orphans_removed,
        "purged": done.purged,
        "unrecorded": done.unrecorded_removed,
    }
