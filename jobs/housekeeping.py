"""Nightly clean-up of what expires."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from offsite.runtime import Runtime
from storage import idempotency, outbox, sessions

log = logging.getLogger("offsite.jobs")

# Keep expired refresh tokens a while so a late reuse is still recognised as reuse.
EXPIRED_TOKEN_KEEP = timedelta(days=7)


async def purge_expired_refresh_tokens(ctx: dict[str, Any]) -> int:
    """Delete refresh tokens that expired more than a week ago."""
    purged = await sessions.purge_expired(datetime.now(UTC) - EXPIRED_TOKEN_KEEP)
    log.info("purged expired refresh tokens", extra={"count": purged})
    return purged


# Phones retry within minutes; a week covers any offline queue a phone may replay.
IDEMPOTENCY_KEEP = timedelta(days=7)


async def purge_old_idempotency_records(ctx: dict[str, Any]) -> int:
    """Forget first answers older than a week."""
    purged = await idempotency.purge(datetime.now(UTC) - IDEMPOTENCY_KEEP)
    log.info("purged idempotency records", extra={"count": purged})
    return purged


async def purge_settled_outbox(ctx: dict[str, Any]) -> int:
    """Delete outbox rows that are done with: delivered or skipped ones after
    ``OFFSITE_OUTBOX_KEEP_DAYS``, dead ones after ``OFFSITE_OUTBOX_DEAD_KEEP_DAYS``. What
    happened stays in the case timeline and the integrator feed; the rows only held the
    delivery (and an SMS row the party's number)."""
    runtime: Runtime = ctx["runtime"]
    settings = runtime.settings.outbox
    now = datetime.now(UTC)
    purged = await outbox.purge(
        now - timedelta(days=settings.keep_days), now - timedelta(days=settings.dead_keep_days)
    )
    log.info("purged settled outbox rows", extra={"count": purged})
    return purged
