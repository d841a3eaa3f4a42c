"""A case's running deadlines: opened and cleared as it moves, escalated when missed.

The rectification deadline is the recheck's: one verify period after the party's
``rectify_by``. Escalation levels: 1 = the officer and the squad leader, 2 = the command centre,
3 = supervisors. Level 1 fires at the deadline; each further level one more period of
the same deadline later (a 2-hour verify deadline missed by 2 more hours reaches the
command centre).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import msgspec

from domain.cases.machine import deadlines_in
from domain.cases.model import DeadlineKind, State
from domain.catalogue import Sla
from domain.sla.calendar import WorkCalendar
from domain.sla.duration import Duration
from storage.tables import CaseDeadline

TOP_LEVEL = 3


class DeadlineState(msgspec.Struct, frozen=True):
    """What the case row keeps of its deadlines, for the board's sorting and filters.
    ``missed_now``: a deadline that had already passed was cleared by this move (late,
    even if the scan had not escalated it yet)."""

    next_due_at: datetime | None
    overdue: bool
    missed_now: bool = False


def period(sla: Sla, kind: DeadlineKind) -> Duration:
    duration: Duration = getattr(sla, kind.value)
    return duration


async def sync(
    case_id: int,
    state: State,
    *,
    sla: Sla,
    urgent: bool,
    calendar: WorkCalendar,
    now: datetime,
    restart: Collection[DeadlineKind] = (),
    rectify_by: datetime | None = None,
) -> DeadlineState:
    """Clear the deadlines ``state`` does not run (and those restarted), open the ones it
    runs that are not running yet; the case row's summary of what is left."""
    wanted = deadlines_in(state)
    running = await CaseDeadline.select(
        CaseDeadline.id, CaseDeadline.kind, CaseDeadline.due_at
    ).where((CaseDeadline.case == case_id) & CaseDeadline.cleared_at.is_null())
    kept: dict[DeadlineKind, datetime] = {}
    stale: list[int] = []
    late: list[int] = []
    for row in running:
        kind = DeadlineKind(row["kind"])
        if kind in wanted and kind not in restart:
            kept[kind] = row["due_at"]
        else:
            (late if row["due_at"] <= now else stale).append(row["id"])
    for ids, missed in ((stale, False), (late, True)):
        if ids:
            values: dict[Any, Any] = {
                CaseDeadline.cleared_at: now,
                CaseDeadline.next_escalation_at: None,
                CaseDeadline.missed: missed,
            }
            await CaseDeadline.update(values).where(CaseDeadline.id.is_in(ids))
    for kind in wanted - kept.keys():
        if kind is DeadlineKind.rectification and rectify_by:
            # The party has until rectify_by; the recheck is due one verify period later.
            due = calendar.add(rectify_by, sla.verify, urgent=urgent)
        else:
            due = calendar.add(now, period(sla, kind), urgent=urgent)
        await CaseDeadline.insert(
            CaseDeadline(
                case=case_id, kind=kind.value, due_at=due, next_escalation_at=due, started_at=now
            )
        )
        kept[kind] = due
    if not kept:
        return DeadlineState(None, False, bool(late))
    overdue = any(due <= now for due in kept.values())
    return DeadlineState(min(kept.values()), overdue, bool(late))
