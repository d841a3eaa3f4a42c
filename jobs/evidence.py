"""Checking uploads: one job per completed upload, and a reconciler for lost jobs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import ArqRedis, Retry

from offsite.runtime import Runtime
from storage import evidence
from storage.objects import UNREACHABLE

log = logging.getLogger("offsite.jobs")


async def enqueue_check(queue: ArqRedis, evidence_id: uuid.UUID) -> None:
    """Queue the check once (a deterministic job id: a second enqueue is a no-op)."""
    await queue.enqueue_job("check_evidence", str(evidence_id), _job_id=f"evidence:{evidence_id}")


# While the object store is down a check is tried again after 2, 4, 8 … up to 30 s,
# CHECK_TRIES times in all (about 10 minutes); after that the stuck-upload scan has it.
CHECK_TRIES = 25
CHECK_RETRY_MAX_S = 30


async def check_evidence(ctx: dict[str, Any], evidence_id: str) -> str | None:
    """Hash, decode and flag one upload (see storage/evidence.check)."""
    runtime: Runtime = ctx["runtime"]
    try:
        done = await evidence.check(
            runtime.objects, runtime.settings.evidence, uuid.UUID(evidence_id), datetime.now(UTC)
        )
    except UNREACHABLE as exc:
        # The row is still `processing` (its transaction rolled back): check it again
        # when the store is back, rather than leave it to the stuck-upload scan.
        tries = int(ctx.get("job_try", 1))
        log.warning("object store unreachable checking %s (try %d): %s", evidence_id, tries, exc)
        raise Retry(defer=min(2**tries, CHECK_RETRY_MAX_S)) from exc
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
