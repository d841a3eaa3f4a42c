"""The case row as the use cases see it, and the reads the API shapes into responses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.cases.machine import CaseFacts
from domain.cases.model import Outcome, Source, State
from domain.catalogue import ViolationType, decode_type
from domain.org import Scope
from storage.tables import Case, CaseDeadline, StaffUser


class CaseRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    source: Source
    external_id: str | None
    violation_type: str
    type_snapshot: dict[str, Any]
    state: State
    outcome: Outcome | None
    squad_id: int | None
    grid_id: int | None
    assignee_id: int | None
    reporter_id: int | None
    subject_id: int | None
    camera_id: int | None
    lng: float | None
    lat: float | None
    address: str
    description: str
    flags: list[str]
    urgent: bool
    emergency: bool = False
    rectify_by: datetime | None
    external_ref: str | None
    rework_count: int
    extension_count: int
    next_due_at: datetime | None
    overdue: bool
    ever_overdue: bool
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    version: int
    chain_seq: int
    chain_hash: str

    @property
    def facts(self) -> CaseFacts:
        return CaseFacts(
            state=self.state,
            squad_id=self.squad_id,
            assignee_id=self.assignee_id,
            outcome=self.outcome,
            rectify_by=self.rectify_by,
            source=self.source,
            violation_type=self.violation_type,
        )

    @property
    def vtype(self) -> ViolationType:
        return decode_type(self.type_snapshot)


_RENAMES = {
    "squad": "squad_id",
    "grid": "grid_id",
    "assignee": "assignee_id",
    "reporter": "reporter_id",
    "subject": "subject_id",
    "camera": "camera_id",
}


def record_of(row: dict[str, Any]) -> CaseRecord:
    return msgspec.convert({_RENAMES.get(k, k): v for k, v in row.items()}, CaseRecord)


_SELECT = """SELECT c.*, v.definition AS type_snapshot
               FROM enforcement_case c
               JOIN violation_type_version v ON v.id = c.type_version
              WHERE c.id = {}"""


async def _one(sql: str, case_id: int) -> CaseRecord | None:
    rows = await Case.raw(sql, case_id)
    if not rows:
        return None
    row = dict(rows[0])
    del row["type_version"]
    for column in ("type_snapshot", "flags"):
        if isinstance(row[column], str):
            row[column] = msgspec.json.decode(row[column])
    return record_of(row)


async def lock(case_id: int) -> CaseRecord | None:
    """The case row, locked until the transaction ends (commands on a case serialise)."""
    return await _one(_SELECT + " FOR UPDATE OF c", case_id)


async def get(case_id: int) -> CaseRecord | None:
    return await _one(_SELECT, case_id)


async def get_visible(case_id: int, scope: Scope) -> CaseRecord | None:
    """The case if it exists and lies in ``scope`` (else None: not found for that caller)."""
    record = await get(case_id)
    if record is None or not scope.covers(record.squad_id):
        return None
    return record


class DeadlineRead(msgspec.Struct, frozen=True):
    kind: str
    due_at: datetime
    level: int
    missed: bool
    running: bool


async def deadlines(case_id: int) -> list[DeadlineRead]:
    rows = (
        await CaseDeadline.select(
            CaseDeadline.kind,
            CaseDeadline.due_at,
            CaseDeadline.level,
            CaseDeadline.missed,
            CaseDeadline.cleared_at,
        )
        .where(CaseDeadline.case == case_id)
        .order_by(CaseDeadline.id)
    )
    return [
        DeadlineRead(r["kind"], r["due_at"], r["level"], r["missed"], r["cleared_at"] is None)
        for r in rows
    ]


async def display_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = await StaffUser.select(StaffUser.id, StaffUser.display_name).where(
        StaffUser.id.is_in(list(user_ids))
    )
    return {r["id"]: r["display_name"] for r in rows}
