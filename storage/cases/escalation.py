"""Escalation of missed deadlines: one level at a time, each level once.

Any number of workers may run this at once. Each batch locks the cases it takes with
``FOR UPDATE SKIP LOCKED`` (others take other cases, or wait for the next pass), locks
the case before its deadlines as the commands do (so they never deadlock), and the
unique (deadline, level) index makes a repeated level impossible even if two passes
ever met on one deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.cases.machine import SYSTEM
from domain.cases.model import Action, DeadlineKind
from domain.catalogue import Urgency
from domain.org import Role
from domain.sla.calendar import WorkCalendar
from storage.cases import records, timeline
from storage.cases.deadlines import TOP_LEVEL, period
from storage.cases.records import CaseRecord
from storage.db import engine
from storage.tables import Case, CaseDeadline, CaseEscalation, Outbox

# Who hears of each level (DESIGN.md: officer + squad leader -> command centre -> supervisor).
AUDIENCE = {1: Role.squad_leader, 2: Role.commander, 3: Role.supervisor}


async def escalate_due(calendar: WorkCalendar, now: datetime, batch: int = 200) -> int:
    """Escalate every deadline due by ``now`` by one level; the number of escalations."""
    total = 0
    while True:
        async with engine().transaction():
            rows = await Case.raw(
                """SELECT c.id FROM enforcement_case c
                    WHERE c.id IN (SELECT d."case" FROM case_deadline d
                                    WHERE d.next_escalation_at <= {}
                                    ORDER BY d.next_escalation_at LIMIT {})
                    ORDER BY c.id
                    FOR UPDATE OF c SKIP LOCKED""",
                now,
                batch,
            )
            done = 0
            for row in rows:
                done += await _escalate_case(row["id"], calendar, now)
        total += done
        if not rows or done == 0:
            return total


async def _escalate_case(case_id: int, calendar: WorkCalendar, now: datetime) -> int:
    record = await records.get(case_id)
    assert record is not None
    due = (
        await CaseDeadline.select()
        .where((CaseDeadline.case == case_id) & (CaseDeadline.next_escalation_at <= now))
        .order_by(CaseDeadline.id)
        .lock_rows("UPDATE")
    )
    head = timeline.ChainHead(record.id, record.chain_seq, record.chain_hash)
    done = 0
    for deadline in due:
        level = deadline["level"] + 1
        claimed = await CaseEscalation.raw(
            """INSERT INTO case_escalation ("case", deadline, level, at) VALUES ({}, {}, {}, {})
               ON CONFLICT (deadline, level) DO NOTHING RETURNING id""",
            case_id,
            deadline["id"],
            level,
            now,
        )
        await CaseDeadline.update(
            {
                CaseDeadline.level: level,
                CaseDeadline.missed: True,
                CaseDeadline.next_escalation_at: _next_step(record, deadline, level, calendar),
            }
        ).where(CaseDeadline.id == deadline["id"])
        if not claimed:
            continue
        head = await timeline.append(
            head,
            at=now,
            actor=SYSTEM,
            action=Action.escalate.value,
            from_state=record.state.value,
            to_state=record.state.value,
            data={
                "deadline": deadline["kind"],
                "level": level,
                "due_at": deadline["due_at"].isoformat(),
            },
        )
        await _notify(record, deadline, level, now)
        done += 1
    await Case.update(
        {
            Case.overdue: True,
            Case.ever_overdue: True,
            Case.chain_seq: head.seq,
            Case.chain_hash: head.hash,
        }
    ).where(Case.id == case_id)
    return done


def _next_step(
    record: CaseRecord, deadline: dict[str, Any], level: int, calendar: WorkCalendar
) -> datetime | None:
    """The next level comes one more period of the same deadline later; none after the top."""
    if level >= TOP_LEVEL:
        return None
    vt = record.vtype
    step = period(vt.sla, DeadlineKind(deadline["kind"]))
    moment: datetime = deadline["next_escalation_at"]
    return calendar.add(moment, step, urgent=vt.urgency is Urgency.urgent)


async def _notify(record: CaseRecord, deadline: dict[str, Any], level: int, now: datetime) -> None:
    payload = {
        "case_id": record.id,
        "number": record.number,
        "squad_id": record.squad_id,
        "deadline": deadline["kind"],
        "due_at": deadline["due_at"].isoformat(),
        "level": level,
        "assignee_id": record.assignee_id,
    }
    await Outbox.insert(
        Outbox(
            kind="notification",
            topic="case.escalated",
            recipient=record.assignee_id if level == 1 else None,
            recipient_role=AUDIENCE[level].value,
            case=record.id,
            payload=msgspec.json.encode(payload).decode(),
            created_at=now,
            next_attempt_at=now,
            dedup_key=f"escalation:{deadline['id']}:{level}",
        )
    )
