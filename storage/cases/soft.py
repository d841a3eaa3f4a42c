"""Soft enforcement at the party's deadline (柔性执法): corrected, or an officer goes.

A case whose party was notified waits in ``awaiting_rectification`` with no outcome
until ``rectify_by``. Then, once:

- the camera that raised it recorded "cleared" since the notice → closed as
  self-corrected (自行整改), no visit needed;
- the camera still sees it → dispatched for enforcement (the party did not correct it);
- no camera → the recheck goes to an on-duty officer of the squad, who confirms the
  correction on site (``recheck``: self-corrected) or finds it not corrected and handles
  it. With nobody on duty the case waits on the squad's board and is tried again.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import msgspec

from domain.cases.dispatch import choose_officer
from domain.cases.machine import SYSTEM, Assign, ConfirmCorrection, Dispatch, decide
from domain.geo import LngLat
from storage.cases import records
from storage.cases.commands import Deps, apply_transition, candidates
from storage.cases.records import CaseRecord
from storage.db import engine
from storage.tables import Case


async def settle_due(deps: Deps, now: datetime, limit: int = 200) -> dict[str, int]:
    """Settle the party deadlines that have passed (each case in its own transaction;
    several workers may run this at once). Counts by verdict."""
    counts: Counter[str] = Counter()
    after = 0
    for _ in range(limit):
        async with engine().transaction():
            rows = await Case.raw(
                """SELECT id FROM enforcement_case
                    WHERE state = 'awaiting_rectification' AND outcome IS NULL
                      AND assignee IS NULL AND rectify_by <= {} AND id > {}
                    ORDER BY id LIMIT 1
                    FOR UPDATE SKIP LOCKED""",
                now,
                after,
            )
            if not rows:
                break
            after = rows[0]["id"]
            record = await records.lock(after)
            assert record is not None
            counts[await _settle(deps, record, now)] += 1
    return dict(counts)


async def party_unreachable(deps: Deps, case_id: int, now: datetime) -> bool:
    """The notice could not reach the party (number refused by the gateway): an officer
    goes now instead of waiting out a deadline nobody was told of. False when the case
    has moved on already."""
    async with engine().transaction():
        record = await records.lock(case_id)
        if record is None or not _waiting_for_party(record):
            return False
        assert record.squad_id is not None  # NotifyParty needs a squad
        command = Dispatch(
            squad_id=record.squad_id,
            officer_id=await _officer(record, now),
            note="the party could not be notified",
        )
        transition = decide(record.facts, SYSTEM, command, now)
        await apply_transition(deps, record, SYSTEM, command, transition, now, None)
    return True


async def waits_for_party(case_id: int) -> bool:
    """Whether the case still waits for its party (a notice sent now still means something)."""
    record = await records.get(case_id)
    return record is not None and _waiting_for_party(record)


def _waiting_for_party(record: CaseRecord) -> bool:
    return (
        record.state.value == "awaiting_rectification"
        and record.outcome is None
        and record.assignee_id is None
    )


async def _settle(deps: Deps, record: CaseRecord, now: datetime) -> str:
    command: msgspec.Struct
    if record.camera_id is not None:
        if await _cleared_since_notice(record.id):
            command, verdict = ConfirmCorrection(note="the camera saw it corrected"), "corrected"
        else:
            officer = await _officer(record, now)
            assert record.squad_id is not None  # NotifyParty needs a squad
            command = Dispatch(
                squad_id=record.squad_id,
                officer_id=officer,
                note="not corrected by the party's deadline",
            )
            verdict = "dispatched"
    else:
        officer = await _officer(record, now)
        if officer is None:
            return "waiting"
        command, verdict = (
            Assign(officer_id=officer, note="recheck at the party's deadline"),
            ("recheck"),
        )
    transition = decide(record.facts, SYSTEM, command, now)
    await apply_transition(deps, record, SYSTEM, command, transition, now, None)
    return verdict


async def _officer(record: CaseRecord, now: datetime) -> int | None:
    if record.squad_id is None:
        return None
    position = (
        LngLat(record.lng, record.lat)
        if record.lng is not None and record.lat is not None
        else None
    )
    return choose_officer(await candidates(record.squad_id, now), position)


async def _cleared_since_notice(case_id: int) -> bool:
    """The camera's latest word since the notice is "cleared" (a "still present" after a
    "cleared" means it came back)."""
    rows = await Case.raw(
        """SELECT e.data->>'observation' AS last FROM case_event e
            WHERE e."case" = {} AND e.action = 'observation'
              AND e.seq > (SELECT max(seq) FROM case_event n
                            WHERE n."case" = {} AND n.action = 'notify_party')
            ORDER BY e.seq DESC LIMIT 1""",
        case_id,
        case_id,
    )
    return bool(rows) and rows[0]["last"] == "cleared"
