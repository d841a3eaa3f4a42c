"""Use cases of the duty model that do more than one storage call."""

from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError

from domain.duty.roster import PlannedShift, Span, parse_week, week_span
from domain.org import Scope
from jobs.duty import enqueue_roll_call_deadline
from offsite.runtime import Runtime
from storage.duty import roll_calls
from storage.duty.roll_calls import RollCallRead

log = logging.getLogger("offsite.api")


def week_of_path(week: str) -> Span:
    return week_span(parse_week(week))


def planned(
    officer_id: int, starts_at: datetime, ends_at: datetime, grids: list[int], note: str | None
) -> PlannedShift:
    return PlannedShift(officer_id, Span(starts_at, ends_at), tuple(grids), note)


async def ask_roll_call(
    rt: Runtime, officer_id: int, scope: Scope, asked_by: int, within_minutes: int, now: datetime
) -> RollCallRead:
    """Ask (one transaction: the roll call and the officer's notification), then queue
    the deadline job. A job that cannot be queued now is queued by the minute's
    reconciler, which also marks the roll call missed on time without it."""
    made = await roll_calls.ask(officer_id, scope, asked_by, within_minutes, now)
    try:
        await enqueue_roll_call_deadline(rt.queue, made.id, made.deadline_at)
    except (RedisError, OSError) as exc:
        log.warning("roll call %d: deadline job not queued (%s); the reconciler will", made.id, exc)
    return made
