"""Planning routine inspections (日常检查): each day, every subject whose visit is due gets
an inspection case (source ``inspection``) with its kind's checklist, dispatched to the
officer of its squad with the fewest open inspections — so the visits spread over the
officers, and a subject whose last inspection is still open gets no second one. Subjects
inside last week's hot cells of their squad (the ``hotspot`` table, resolution 9, all types)
are visited more often (``domain.subjects.inspections.every``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import h3
import msgspec

from domain.cases.machine import SYSTEM, Dispatch, decide
from domain.cases.model import Source
from domain.geo import LngLat
from domain.subjects.grading import Grade, GradingPolicy
from domain.subjects.inspections import (
    CHECKLISTS,
    INSPECTION_TYPE,
    brought_forward,
    every,
    first_due,
    next_due,
)
from domain.subjects.model import SubjectKind
from storage.cases import records
from storage.cases.commands import Deps, NewCase, apply_transition, create_case
from storage.db import engine
from storage.hotspots import ALL_TYPES, last_complete_week
from storage.tables import Subject


class DueSubject(msgspec.Struct, frozen=True):
    id: int
    kind: SubjectKind
    grade: Grade
    squad: int
    lng: float
    lat: float
    name: str
    next_inspection_at: datetime
    open: bool


class Planned(msgspec.Struct, frozen=True):
    created: int
    still_open: int  # due, but the last inspection is not done yet
    no_officer: int  # due, but its squad has no active officer (left on the squad's board)
    in_hotspot: int = 0  # of the created, subjects inside a hot cell


async def plan_day(
    deps: Deps, policy: GradingPolicy, day_start: datetime, now: datetime
) -> Planned:
    """Plan the inspections due before ``day_start`` + 1 day (run once a day, early)."""
    day_end = day_start + timedelta(days=1)
    await _first_visits(policy, day_start)
    hot = await _in_hot_cells(day_start)
    await _bring_forward(policy, hot, day_start)
    due = await Subject.raw(
        """SELECT s.id, s.kind, s.grade, s.squad, s.lng, s.lat, s.name, s.next_inspection_at,
                  EXISTS (SELECT 1 FROM enforcement_case c
                           WHERE c.subject = s.id AND c.source = 'inspection'
                             AND c.state NOT IN ('closed', 'dismissed')) AS open
             FROM subject s
            WHERE s.next_inspection_at < {} AND s.squad IS NOT NULL
            ORDER BY s.next_inspection_at, s.id""",
        day_end,
    )
    subjects = [msgspec.convert(r, DueSubject) for r in due]
    load = await _officer_load([s.squad for s in subjects], day_start - timedelta(days=30))
    created = still_open = no_officer = in_hotspot = 0
    for subject in subjects:
        interval = every(subject.grade, policy, in_hotspot=subject.id in hot)
        following = next_due(subject.next_inspection_at, interval, day_start)
        async with engine().transaction():
            await Subject.update({Subject.next_inspection_at: following}).where(
                Subject.id == subject.id
            )
            if subject.open:
                still_open += 1
                continue
            officer = _least_loaded(load.get(subject.squad, {}))
            await _inspection(deps, subject, officer, now, hot=subject.id in hot)
        created += 1
        no_officer += officer is None
        in_hotspot += subject.id in hot
    return Planned(created, still_open, no_officer, in_hotspot)


async def _in_hot_cells(day_start: datetime) -> set[int]:
    """The subjects inside a hot cell of their own squad in the last complete week."""
    rows = await Subject.raw(
        """SELECT h.squad, h.cell FROM hotspot h
            WHERE h.week = {} AND h.resolution = 9 AND h.violation_type = {} AND h.hot""",
        last_complete_week(day_start),
        ALL_TYPES,
    )
    cells: dict[int, set[str]] = {}
    for r in rows:
        cells.setdefault(r["squad"], set()).add(r["cell"])
    if not cells:
        return set()
    subjects = await Subject.raw(
        """SELECT id, squad, lng, lat FROM subject
            WHERE squad = ANY({}::int[]) AND lng IS NOT NULL AND lat IS NOT NULL""",
        sorted(cells),
    )
    return {
        s["id"] for s in subjects if h3.latlng_to_cell(s["lat"], s["lng"], 9) in cells[s["squad"]]
    }


async def _bring_forward(policy: GradingPolicy, hot: set[int], day_start: datetime) -> None:
    """A subject now inside a hot cell gets its next visit within one hot interval."""
    if not hot:
        return
    rows = await Subject.raw(
        "SELECT id, grade, next_inspection_at FROM subject WHERE id = ANY({}::int[])",
        sorted(hot),
    )
    moved = {
        r["id"]: due
        for r in rows
        if (
            due := brought_forward(
                r["next_inspection_at"],
                every(Grade(r["grade"]), policy, in_hotspot=True),
                day_start,
            )
        )
        != r["next_inspection_at"]
    }
    if moved:
        await Subject.raw(
            """UPDATE subject s SET next_inspection_at = u.due
                 FROM unnest({}::int[], {}::timestamptz[]) AS u(id, due) WHERE s.id = u.id""",
            list(moved),
            list(moved.values()),
        )


async def _first_visits(policy: GradingPolicy, start: datetime) -> None:
    """Subjects never scheduled get their first visit within their first interval."""
    rows = await Subject.raw("SELECT id, grade FROM subject WHERE next_inspection_at IS NULL")
    if not rows:
        return
    ids = [r["id"] for r in rows]
    dues = [first_due(r["id"], every(Grade(r["grade"]), policy), start) for r in rows]
    await Subject.raw(
        """UPDATE subject s SET next_inspection_at = u.due
             FROM unnest({}::int[], {}::timestamptz[]) AS u(id, due) WHERE s.id = u.id""",
        ids,
        dues,
    )


Load = dict[int, list[int]]  # officer → [open inspections, inspections in 30 days]


async def _officer_load(squads: list[int], since: datetime) -> dict[int, Load]:
    """Active officers of these squads: their open inspections, and how many they were
    given lately (so that over the weeks the visits even out, not only each day)."""
    rows = await Subject.raw(
        """SELECT u.id, u.squad,
                  count(c.id) FILTER (WHERE c.state NOT IN ('closed', 'dismissed')) AS open,
                  count(c.id) AS recent
             FROM staff_user u
             LEFT JOIN enforcement_case c
                    ON c.assignee = u.id AND c.source = 'inspection' AND c.created_at >= {}
            WHERE u.role = 'officer' AND u.is_active AND u.squad = ANY({}::int[])
            GROUP BY u.id, u.squad""",
        since,
        sorted(set(squads)),
    )
    load: dict[int, Load] = {}
    for r in rows:
        load.setdefault(r["squad"], {})[r["id"]] = [int(r["open"]), int(r["recent"])]
    return load


def _least_loaded(load: Load) -> int | None:
    if not load:
        return None
    officer = min(load, key=lambda o: (load[o][0], load[o][1], o))
    load[officer][0] += 1
    load[officer][1] += 1
    return officer


async def _inspection(
    deps: Deps, subject: DueSubject, officer: int | None, now: datetime, *, hot: bool
) -> None:
    checklist = "、".join(CHECKLISTS[subject.kind])
    why = "（位于高发区域，加密检查）" if hot else ""
    case = await create_case(
        deps,
        NewCase(
            source=Source.inspection,
            violation_type=INSPECTION_TYPE,
            position=LngLat(subject.lng, subject.lat),
            description=f"日常检查{why}：{subject.name}。检查项：{checklist}",
            subject_id=subject.id,
        ),
        SYSTEM,
        now,
    )
    record = await records.lock(case.id)
    assert record is not None
    command = Dispatch(squad_id=subject.squad, officer_id=officer, note="routine inspection")
    transition = decide(record.facts, SYSTEM, command, now)
    await apply_transition(deps, record, SYSTEM, command, transition, now, None)
