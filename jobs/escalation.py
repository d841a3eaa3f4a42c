"""The deadline scan: every minute, escalate what is due (see storage/cases/escalation)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from offsite.runtime import Runtime
from storage.cases.escalation import escalate_due

log = logging.getLogger("offsite.jobs")


async def escalate_deadlines(ctx: dict[str, Any]) -> int:
    """Escalate missed deadlines one level each; safe to run in several workers at once."""
    runtime: Runtime = ctx["runtime"]
    count = await escalate_due(runtime.calendar, datetime.now(UTC))
    if count:
        log.info("escalated deadlines", extra={"count": count})
    return count
