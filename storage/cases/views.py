"""What clients see of a case: the detail, the board's rows and the phone's task list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.cases.model import Outcome, Source, State
from domain.geo import CoordType, Location
from storage.cases import records
from storage.cases.records import CaseRecord, DeadlineRead
from storage.tables import Evidence


class TypeRef(msgspec.Struct, frozen=True):
    code: str
    name_zh: str
    name_en: str


class PersonRef(msgspec.Struct, frozen=True):
    id: int
    display_name: str


class EvidenceSummary(msgspec.Struct, frozen=True):
    """A file of the case as the reviewer's list shows it (flags included)."""

    id: str
    kind: str
    purpose: str
    status: str
    flags: list[str]
    sha256: str | None
    created_at: datetime


class CaseDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A case with its deadlines and flags. ``version`` goes back with the next command."""

    id: int
    number: str
    version: int
    source: Source
    external_id: str | None
    violation_type: TypeRef
    urgent: bool
    emergency: bool = False  # the desk runs it live (突发事件)
    state: State
    state_label_zh: str
    outcome: Outcome | None
    squad_id: int | None
    grid_id: int | None
    assignee: PersonRef | None
    reporter: PersonRef | None
    subject_id: int | None
    camera_id: int | None
    location: Location | None
    address: str
    description: str
    flags: list[str]
    rectify_by: datetime | None
    external_ref: str | None
    rework_count: int
    extension_count: int
    overdue: bool
    next_due_at: datetime | None
    deadlines: list[DeadlineRead]
    evidence: list[EvidenceSummary]
    flagged_evidence: int
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None


async def _evidence(case_id: int) -> list[EvidenceSummary]:
    rows = (
        await Evidence.select(
            Evidence.id,
            Evidence.kind,
            Evidence.purpose,
            Evidence.status,
            Evidence.flags,
            Evidence.sha256,
            Evidence.created_at,
        )
        .output(load_json=True)
        .where((Evidence.case == case_id) & (Evidence.status != "granted"))
        .order_by(Evidence.created_at)
    )
    return [
        EvidenceSummary(
            str(r["id"]),
            r["kind"],
            r["purpose"],
            r["status"],
            r["flags"],
            r["sha256"],
            r["created_at"],
        )
        for r in rows
    ]


def _type_ref(snapshot: dict[str, Any]) -> TypeRef:
    return TypeRef(snapshot["code"], snapshot["name_zh"], snapshot["name_en"])


def _location(r: CaseRecord, coord_type: CoordType) -> Location | None:
    if r.lng is None or r.lat is None:
        return None
    return Location.from_wgs84(r.lng, r.lat, coord_type)


async def detail(r: CaseRecord, coord_type: CoordType = CoordType.wgs84) -> CaseDetail:
    """The case as its detail page shows it, its location expressed in ``coord_type``."""
    names = await records.display_names({i for i in (r.assignee_id, r.reporter_id) if i})
    files = await _evidence(r.id)

    def person(user_id: int | None) -> PersonRef | None:
        return PersonRef(user_id, names.get(user_id, "")) if user_id else None

    return CaseDetail(
        id=r.id,
        number=r.number,
        version=r.version,
        source=r.source,
        external_id=r.external_id,
        violation_type=_type_ref(r.type_snapshot),
        urgent=r.urgent,
        emergency=r.emergency,
        state=r.state,
        state_label_zh=r.state.label_zh,
        outcome=r.outcome,
        squad_id=r.squad_id,
        grid_id=r.grid_id,
        assignee=person(r.assignee_id),
        reporter=person(r.reporter_id),
        subject_id=r.subject_id,
        camera_id=r.camera_id,
        location=_location(r, coord_type),
        address=r.address,
        description=r.description,
        flags=r.flags,
        rectify_by=r.rectify_by,
        external_ref=r.external_ref,
        rework_count=r.rework_count,
        extension_count=r.extension_count,
        overdue=r.overdue,
        next_due_at=r.next_due_at,
        deadlines=await records.deadlines(r.id),
        evidence=files,
        flagged_evidence=sum(1 for f in files if f.flags),
        created_at=r.created_at,
        updated_at=r.updated_at,
        dispatched_at=r.dispatched_at,
        accepted_at=r.accepted_at,
        closed_at=r.closed_at,
    )
