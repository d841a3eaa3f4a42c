"""Illegal structures: registered from the case that found them, moved through their
lifecycle one step per transaction (each backed by photos of that case), and counted
against the year's targets (new-construction control and stock removal apart)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.errors import Conflict, InvalidInput, NotFound
from domain.geo import Location
from domain.org import Scope
from domain.subjects.model import StructureDetails, SubjectInput, SubjectKind
from domain.subjects.structures import (
    STEP_NAMES,
    Demolish,
    Facts,
    File,
    OrderDemolition,
    Retain,
    Step,
    StructureKind,
    StructureState,
    Verify,
    next_state,
)
from storage import photos, subjects
from storage.db import engine
from storage.geography import GeoIndex
from storage.scoping import squad_filter
from storage.tables import Case, IllegalStructure, StructureEvent, StructureTarget


class StructureRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    subject_id: int
    case_id: int
    kind: StructureKind
    state: StructureState
    squad_id: int | None
    discovered_at: datetime
    verified_area_m2: float | None
    demolished_area_m2: float | None
    demolished_at: datetime | None
    deadline: datetime | None
    external_ref: str | None
    approval_ref: str | None
    updated_at: datetime


class StructureStep(msgspec.Struct, frozen=True):
    at: datetime
    actor: int | None
    step: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]


_SELECT = """SELECT id, subject AS subject_id, "case" AS case_id, kind, state, squad AS squad_id,
                    discovered_at, verified_area_m2, demolished_area_m2, demolished_at,
                    deadline, external_ref, approval_ref, updated_at
               FROM illegal_structure"""


async def get(structure_id: int, lock: bool = False) -> StructureRecord | None:
    rows = await IllegalStructure.raw(
        _SELECT + " WHERE id = {}" + (" FOR UPDATE" if lock else ""), structure_id
    )
    return msgspec.convert(rows[0], StructureRecord) if rows else None


async def register(
    geo: GeoIndex,
    *,
    case_id: int,
    kind: StructureKind,
    name: str,
    address: str,
    location: Location | None,
    actor: int,
    now: datetime,
) -> StructureRecord:
    """A structure found by a case (at the case's place unless ``location`` is given)."""
    async with engine().transaction():
        case = await Case.select(Case.lng, Case.lat, Case.address).where(Case.id == case_id).first()
        if case is None:
            raise NotFound("case_not_found", f"no case {case_id}")
        if location is None:
            if case["lng"] is None:
                raise InvalidInput("location_required", "the case has no location: send one")
            location = Location(case["lng"], case["lat"])
        subject = await subjects.create(
            geo,
            SubjectInput(
                kind=SubjectKind.illegal_structure,
                name=name,
                address=address or case["address"],
                location=location,
                details=StructureDetails(),
            ),
            now,
        )
        if await IllegalStructure.exists().where(IllegalStructure.case == case_id):
            raise Conflict("structure_exists", "this case has registered its structure already")
        rows = await IllegalStructure.insert(
            IllegalStructure(
                subject=subject.id,
                case=case_id,
                kind=kind.value,
                state=StructureState.discovered.value,
                squad=subject.squad_id,
                discovered_at=now,
                updated_at=now,
            )
        ).returning(IllegalStructure.id)
        structure_id = rows[0]["id"]
        await _event(structure_id, now, actor, "discover", None, StructureState.discovered, {})
    found = await get(structure_id)
    assert found is not None
    return found


async def advance(structure_id: int, step: Step, actor: int, now: datetime) -> StructureRecord:
    """One step of the lifecycle, with its photos checked, in one transaction."""
    async with engine().transaction():
        record = await get(structure_id, lock=True)
        if record is None:
            raise NotFound("structure_not_found", f"no illegal structure {structure_id}")
        to = next_state(Facts(record.state, record.verified_area_m2), step, now)
        await photos.require_accepted(record.case_id, step.evidence_ids)
        values: dict[Any, Any] = {
            IllegalStructure.state: to.value,
            IllegalStructure.updated_at: now,
        }
        match step:
            case Verify():
                values[IllegalStructure.verified_area_m2] = step.area_m2
                await _measured(record.subject_id, step)
            case File():
                values[IllegalStructure.external_ref] = step.external_ref
            case OrderDemolition():
                values[IllegalStructure.deadline] = step.deadline
            case Demolish():
                values[IllegalStructure.demolished_area_m2] = step.area_m2
                values[IllegalStructure.demolished_at] = now
            case Retain():
                values[IllegalStructure.approval_ref] = step.approval_ref
        await IllegalStructure.update(values).where(IllegalStructure.id == structure_id)
        await _event(
            structure_id,
            now,
            actor,
            STEP_NAMES[type(step)],
            record.state,
            to,
            msgspec.to_builtins(step),
        )
    found = await get(structure_id)
    assert found is not None
    return found


async def _measured(subject_id: int, step: Verify) -> None:
    details = StructureDetails(
        area_m2=step.area_m2,
        floors=step.floors,
        structure_type=step.structure_type,
        built_when=step.built_when,
        owner=step.owner,
    )
    await IllegalStructure.raw(
        "UPDATE subject SET details = {}::jsonb WHERE id = {}",
        msgspec.json.encode(details).decode(),
        subject_id,
    )


async def _event(
    structure_id: int,
    at: datetime,
    actor: int | None,
    step: str,
    from_state: StructureState | None,
    to_state: StructureState,
    data: dict[str, Any],
) -> None:
    await StructureEvent.insert(
        StructureEvent(
            structure=structure_id,
            at=at,
            actor=actor,
            step=step,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            data=msgspec.json.encode(data).decode(),
        )
    )


async def steps(structure_id: int) -> list[StructureStep]:
    rows = (
        await StructureEvent.select(
            StructureEvent.at,
            StructureEvent.actor,
            StructureEvent.step,
            StructureEvent.from_state,
            StructureEvent.to_state,
            StructureEvent.data,
        )
        .output(load_json=True)
        .where(StructureEvent.structure == structure_id)
        .order_by(StructureEvent.id)
    )
    return [msgspec.convert(r, StructureStep) for r in rows]


async def listing(
    scope: Scope, state: StructureState | None, after_id: int, limit: int
) -> list[StructureRecord]:
    args: list[object] = [after_id]
    where = "id > {}" + squad_filter(scope, "squad", args)
    if state is not None:
        where += " AND state = {}"
        args.append(state.value)
    rows = await IllegalStructure.raw(
        _SELECT + " WHERE " + where + " ORDER BY id LIMIT {}", *args, limit
    )
    return [msgspec.convert(r, StructureRecord) for r in rows]


# --- targets and figures --------------------------------------------------------------


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    squad_id: int | None  # None: the district
    stock_demolish_m2: float
    new_max: int = 0


async def set_targets(year: int, targets: list[Target]) -> None:
    """Replace the year's targets (one per squad, and the district's)."""
    async with engine().transaction():
        await StructureTarget.delete().where(StructureTarget.year == year)
        for t in targets:
            await StructureTarget.insert(
                StructureTarget(
                    year=year,
                    squad=t.squad_id,
                    stock_demolish_m2=t.stock_demolish_m2,
                    new_max=t.new_max,
                )
            )


class MonthFigures(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int | None
    month: str  # YYYY-MM
    new_found: int
    new_demolished: int
    new_demolished_m2: float
    stock_found: int
    stock_demolished: int
    stock_demolished_m2: float
    retained: int


class YearFigures(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int | None
    stock_demolished_m2: float
    stock_target_m2: float | None
    stock_progress: float | None  # demolished / target
    new_found: int
    new_max: int | None
    new_demolished: int
    new_control_rate: float | None  # new ones taken down / new ones found


async def figures(year: int, scope: Scope) -> tuple[list[MonthFigures], list[YearFigures]]:
    """Per squad and month, and per squad for the year against its targets (in SQL).
    Months are Shanghai months; a structure counts in the month it was found or came down."""
    squad = scope.squad_id
    args: list[object] = [year, year]
    in_scope = squad_filter(scope, "squad", args)
    months = await IllegalStructure.raw(
        f"""WITH found AS (
                SELECT squad,
                       to_char(discovered_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
                       kind, 1 AS found, 0 AS demolished, 0::float8 AS m2, 0 AS retained
                  FROM illegal_structure
                 WHERE extract(year FROM discovered_at AT TIME ZONE 'Asia/Shanghai') = {{}}
                UNION ALL
                SELECT squad,
                       to_char(coalesce(demolished_at, updated_at)
                               AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'),
                       kind, 0, CASE WHEN state LIKE 'demolished%' THEN 1 ELSE 0 END,
                       coalesce(demolished_area_m2, 0),
                       CASE WHEN state = 'retained' THEN 1 ELSE 0 END
                  FROM illegal_structure
                 WHERE state IN ('demolished_self', 'demolished_enforced', 'retained')
                   AND extract(year FROM coalesce(demolished_at, updated_at)
                               AT TIME ZONE 'Asia/Shanghai') = {{}}
            )
            SELECT squad AS squad_id, month,
                   sum(found) FILTER (WHERE kind = 'new') AS new_found,
                   sum(demolished) FILTER (WHERE kind = 'new') AS new_demolished,
                   sum(m2) FILTER (WHERE kind = 'new') AS new_demolished_m2,
                   sum(found) FILTER (WHERE kind = 'stock') AS stock_found,
                   sum(demolished) FILTER (WHERE kind = 'stock') AS stock_demolished,
                   sum(m2) FILTER (WHERE kind = 'stock') AS stock_demolished_m2,
                   sum(retained) AS retained
              FROM found WHERE TRUE{in_scope}
             GROUP BY squad, month ORDER BY squad NULLS FIRST, month""",
        *args,
    )
    month_rows = [
        MonthFigures(
            squad_id=r["squad_id"],
            month=r["month"],
            new_found=int(r["new_found"] or 0),
            new_demolished=int(r["new_demolished"] or 0),
            new_demolished_m2=float(r["new_demolished_m2"] or 0),
            stock_found=int(r["stock_found"] or 0),
            stock_demolished=int(r["stock_demolished"] or 0),
            stock_demolished_m2=float(r["stock_demolished_m2"] or 0),
            retained=int(r["retained"] or 0),
        )
        for r in months
    ]
    targets = {
        t["squad"]: t
        for t in await StructureTarget.select(
            StructureTarget.squad, StructureTarget.stock_demolish_m2, StructureTarget.new_max
        ).where(StructureTarget.year == year)
    }
    squads = sorted(
        {m.squad_id for m in month_rows if m.squad_id is not None}
        | {s for s in targets if s is not None and (squad is None or s == squad)}
    )
    years = [_year(None if squad is None else squad, month_rows, targets)] if squad is None else []
    years += [_year(s, [m for m in month_rows if m.squad_id == s], targets) for s in squads]
    return month_rows, years


def _year(
    squad: int | None, months: list[MonthFigures], targets: dict[int | None, dict[str, Any]]
) -> YearFigures:
    demolished = sum(m.stock_demolished_m2 for m in months)
    new_found = sum(m.new_found for m in months)
    new_down = sum(m.new_demolished for m in months)
    target = targets.get(squad)
    goal = float(target["stock_demolish_m2"]) if target else None
    return YearFigures(
        squad_id=squad,
        stock_demolished_m2=round(demolished, 2),
        stock_target_m2=goal,
        stock_progress=round(demolished / goal, 4) if goal else None,
        new_found=new_found,
        new_max=int(target["new_max"]) if target else None,
        new_demolished=new_down,
        new_control_rate=round(new_down / new_found, 4) if new_found else None,
    )
