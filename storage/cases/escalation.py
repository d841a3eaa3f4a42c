"""Escalation of missed deadlines: one level at a time, each level once.

Any number of workers may run this at once. Each batch locks the cases it takes with
``FOR UPDATE SKIP LOCKED`` (other workers take other cases, or find them on the next
pass), locks a case before its deadlines as the commands do (so the two never deadlock),
and claims each (deadline, level) in a unique index, so a level can never be repeated.
A batch is a handful of set-based statements, whatever its size.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.cases.chain import ChainEntry, entry_hash
from domain.cases.model import Action, DeadlineKind
from domain.catalogue import Urgency, decode_type
from domain.org import Role
from domain.sla.calendar import WorkCalendar
from storage.cases import changes
from storage.cases.deadlines import TOP_LEVEL, period
from storage.db import engine
from storage.tables import Case

# Who hears of each level (DESIGN.md: officer + squad leader -> command centre -> supervisor).
AUDIENCE = {1: Role.squad_leader, 2: Role.commander, 3: Role.supervisor}


async def escalate_due(calendar: WorkCalendar, now: datetime, batch: int = 500) -> int:
    """Escalate every deadline due by ``now`` by one level; the number of escalations."""
    total = 0
    while True:
        async with engine().transaction():
            done, taken = await _batch(calendar, now, batch)
        total += done
        if taken == 0 or done == 0:
            return total


async def _batch(calendar: WorkCalendar, now: datetime, batch: int) -> tuple[int, int]:
    # Deadlines first, skipping those another worker holds, so each worker takes a
    # different slice; then their cases, skipping those a command holds. Neither step
    # ever waits, so this cannot deadlock with commands (which lock case, then deadlines).
    due = await Case.raw(
        """SELECT id, "case", kind, due_at, level, next_escalation_at FROM case_deadline
            WHERE next_escalation_at <= {}
            ORDER BY next_escalation_at LIMIT {}
              FOR UPDATE SKIP LOCKED""",
        now,
        batch,
    )
    if not due:
        return 0, 0
    cases = await Case.raw(
        """SELECT c.id, c.number, c.state, c.squad, c.assignee, c.chain_seq, c.chain_hash,
                  v.definition
             FROM enforcement_case c JOIN violation_type_version v ON v.id = c.type_version
            WHERE c.id = ANY({})
            ORDER BY c.id
              FOR UPDATE OF c SKIP LOCKED""",
        sorted({d["case"] for d in due}),
    )
    by_id = {c["id"]: c for c in cases}
    due = sorted((d for d in due if d["case"] in by_id), key=lambda d: (d["case"], d["id"]))
    if not due:
        return 0, len(cases)
    claimed = await _claim(due, now)
    steps = [_next_step(by_id[d["case"]], d, calendar) for d in due]
    await Case.raw(
        """UPDATE case_deadline d SET level = u.level, missed = true,
                  next_escalation_at = u.next_at
             FROM unnest({}::bigint[], {}::int[], {}::timestamptz[]) AS u(id, level, next_at)
            WHERE d.id = u.id""",
        [d["id"] for d in due],
        [d["level"] + 1 for d in due],
        steps,
    )
    escalated = [d for d in due if d["id"] in claimed]
    touched = {d["case"]: by_id[d["case"]] for d in escalated}
    events, notices, heads = _records(touched, escalated, now)
    await _write(events, notices, heads, touched, now)
    return len(claimed), len(due)


async def _claim(due: list[dict[str, Any]], now: datetime) -> set[int]:
    """Insert (deadline, level) once; the deadlines this pass really escalates."""
    rows = await Case.raw(
        """INSERT INTO case_escalation ("case", deadline, level, at)
           SELECT * FROM unnest({}::bigint[], {}::bigint[], {}::int[], {}::timestamptz[])
           ON CONFLICT (deadline, level) DO NOTHING RETURNING deadline""",
        [d["case"] for d in due],
        [d["id"] for d in due],
        [d["level"] + 1 for d in due],
        [now] * len(due),
    )
    return {r["deadline"] for r in rows}


def _next_step(
    case: dict[str, Any], deadline: dict[str, Any], calendar: WorkCalendar
) -> datetime | None:
    """The next level comes one more period of the same deadline later; none after the top."""
    if deadline["level"] + 1 >= TOP_LEVEL:
        return None
    vt = decode_type(_json(case["definition"]))
    step = period(vt.sla, DeadlineKind(deadline["kind"]))
    moment: datetime = deadline["next_escalation_at"]
    return calendar.add(moment, step, urgent=vt.urgency is Urgency.urgent)


def _records(
    by_id: dict[int, dict[str, Any]], claimed: list[dict[str, Any]], now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], dict[int, tuple[int, str]]]:
    """Timeline entries (hash-chained per case), outbox rows, and each case's new head."""
    heads = {i: (c["chain_seq"], c["chain_hash"]) for i, c in by_id.items()}
    events, notices = [], []
    for d in claimed:
        case, level = by_id[d["case"]], d["level"] + 1
        seq, prev = heads[case["id"]]
        data = {"deadline": d["kind"], "level": level, "due_at": d["due_at"].isoformat()}
        entry = ChainEntry(
            case_id=case["id"],
            seq=seq + 1,
            at=now,
            actor_id=None,
            actor_role=None,
            action=Action.escalate.value,
            from_state=case["state"],
            to_state=case["state"],
            data=data,
            prev_hash=prev,
        )
        digest = entry_hash(entry)
        heads[case["id"]] = (seq + 1, digest)
        events.append(
            (case["id"], seq + 1, msgspec.json.encode(data).decode(), prev, digest, case["state"])
        )
        payload = {
            "case_id": case["id"],
            "number": case["number"],
            "squad_id": case["squad"],
            "assignee_id": case["assignee"],
            **data,
        }
        notices.append(
            (
                case["assignee"] if level == 1 else None,
                AUDIENCE[level].value,
                case["id"],
                msgspec.json.encode(payload).decode(),
                f"escalation:{d['id']}:{level}",
            )
        )
    return events, notices, heads


async def _write(
    events: list[tuple[Any, ...]],
    notices: list[tuple[Any, ...]],
    heads: dict[int, tuple[int, str]],
    by_id: dict[int, dict[str, Any]],
    now: datetime,
) -> None:
    if not events:
        return
    if events:
        cols = list(zip(*events, strict=True))
        await Case.raw(
            """INSERT INTO case_event ("case", seq, at, actor, actor_role, action, from_state,
                                       to_state, data, prev_hash, hash, lng, lat)
               SELECT e.case_id, e.seq, {}::timestamptz, NULL, NULL, 'escalate', e.state,
                      e.state,
                      e.data::jsonb, e.prev, e.hash, NULL, NULL
                 FROM unnest({}::bigint[], {}::int[], {}::text[], {}::text[], {}::text[],
                             {}::text[]) AS e(case_id, seq, data, prev, hash, state)""",
            now,
            *[list(c) for c in cols],
        )
    if notices:
        cols = list(zip(*notices, strict=True))
        await Case.raw(
            """INSERT INTO outbox (kind, topic, recipient, recipient_role, "case", payload,
                                   dedup_key, status, attempts, next_attempt_at, created_at)
               SELECT 'notification', 'case.escalated', n.recipient, n.role, n.case_id,
                      n.payload::jsonb, n.dedup, 'pending', 0, {}::timestamptz,
                      {}::timestamptz
                 FROM unnest({}::int[], {}::text[], {}::bigint[], {}::text[], {}::text[])
                      AS n(recipient, role, case_id, payload, dedup)""",
            now,
            now,
            *[list(c) for c in cols],
        )
    ids = list(heads)
    await changes.announce(
        squads=(by_id[i]["squad"] for i in ids), users=(by_id[i]["assignee"] for i in ids)
    )
    await Case.raw(
        """UPDATE enforcement_case c SET overdue = true, ever_overdue = true,
                  chain_seq = h.seq, chain_hash = h.hash
             FROM unnest({}::bigint[], {}::int[], {}::text[]) AS h(id, seq, hash)
            WHERE c.id = h.id""",
        ids,
        [heads[i][0] for i in ids],
        [heads[i][1] for i in ids],
    )


def _json(value: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(value) if isinstance(value, str) else value
    return decoded
