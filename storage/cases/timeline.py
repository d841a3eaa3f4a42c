"""Appending to and verifying a case's hash-chained timeline (``case_event``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec

from domain.cases.chain import ChainEntry, ChainReport, entry_hash, verify
from domain.cases.machine import SYSTEM, Actor
from storage.db import engine
from storage.tables import Case, CaseEvent


class ChainHead(msgspec.Struct):
    """The last entry of a case's chain, as kept on the (locked) case row."""

    case_id: int
    seq: int
    hash: str


async def append(
    head: ChainHead,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    from_state: str | None,
    to_state: str,
    data: dict[str, Any],
    lng: float | None = None,
    lat: float | None = None,
) -> ChainHead:
    """Write the next entry after ``head``; the caller holds the case row's lock and
    stores the returned head on the case in the same transaction."""
    entry = ChainEntry(
        case_id=head.case_id,
        seq=head.seq + 1,
        at=at,
        actor_id=actor.user_id,
        actor_role=actor.role.value if actor.role else None,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=data,
        lng=lng,
        lat=lat,
        prev_hash=head.hash,
    )
    digest = entry_hash(entry)
    await CaseEvent.insert(
        CaseEvent(
            case=head.case_id,
            seq=entry.seq,
            at=at,
            actor=actor.user_id,
            actor_role=entry.actor_role,
            action=action,
            from_state=from_state,
            to_state=to_state,
            data=msgspec.json.encode(data).decode(),
            lng=lng,
            lat=lat,
            prev_hash=head.hash,
            hash=digest,
        )
    )
    return ChainHead(head.case_id, entry.seq, digest)


async def note(
    case_id: int, *, action: str, data: dict[str, Any], at: datetime, actor: Actor = SYSTEM
) -> ChainHead:
    """Append an entry that leaves the case's state as it is (evidence checked, a camera
    observation), locking the case row and moving its head; joins the caller's
    transaction, or runs in its own."""
    async with engine().transaction():
        row = (
            await Case.select(Case.state, Case.chain_seq, Case.chain_hash)
            .where(Case.id == case_id)
            .lock_rows("UPDATE")
            .first()
        )
        assert row is not None, f"no case {case_id}"
        head = await append(
            ChainHead(case_id, row["chain_seq"], row["chain_hash"]),
            at=at,
            actor=actor,
            action=action,
            from_state=row["state"],
            to_state=row["state"],
            data=data,
        )
        await Case.update({Case.chain_seq: head.seq, Case.chain_hash: head.hash}).where(
            Case.id == case_id
        )
    return head


def entry_of(row: dict[str, Any]) -> ChainEntry:
    """The chain entry a stored timeline row stands for."""
    return ChainEntry(
        case_id=row["case"],
        seq=row["seq"],
        at=row["at"],
        actor_id=row["actor"],
        actor_role=row["actor_role"],
        action=row["action"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        data=row["data"],
        lng=row["lng"],
        lat=row["lat"],
        prev_hash=row["prev_hash"],
    )


async def entries(case_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await (
        CaseEvent.select()
        .output(load_json=True)
        .where(CaseEvent.case == case_id)
        .order_by(CaseEvent.seq)
    )
    return rows


async def verify_case(case_id: int) -> ChainReport:
    """Recompute the chain of one case from the stored entries; the head kept on the case
    row also catches entries removed from the end."""
    rows = await entries(case_id)
    report = verify(case_id, ((entry_of(r), r["hash"]) for r in rows))
    if not report.ok:
        return report
    head = await Case.select(Case.chain_seq, Case.chain_hash).where(Case.id == case_id).first()
    if head is None or (head["chain_seq"], head["chain_hash"]) != (len(rows), rows[-1]["hash"]):
        return ChainReport(case_id, False, len(rows), None, "entries were removed")
    return report


async def verify_all(batch: int = 500) -> AsyncIterator[ChainReport]:
    """Every case's report, in id order."""
    after = 0
    while True:
        ids = [
            r["id"]
            for r in await Case.select(Case.id)
            .where(Case.id > after)
            .order_by(Case.id)
            .limit(batch)
        ]
        if not ids:
            return
        for case_id in ids:
            yield await verify_case(case_id)
        after = ids[-1]
