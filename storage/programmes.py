"""The three programmes' figures for a month (美丽街区, 违法建筑治理, 经营性场所治理), per
squad and for the district, computed in SQL: violations by type, the repeat-offender
share, the grade distribution, illegal structures against the year's targets, routine
inspection coverage, and the blocks' scores.

Computing them reads a month of cases and, for each case with a subject, that subject's
90 days before (0.7 s at a million cases a year), so they are computed ahead: ``refresh``
stores a month's figures in ``programme_figures_month`` (the worker, every five minutes,
for the current and the previous month) and ``programme_figures`` reads them; a month
never computed is computed on its first read and stored."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import msgspec

from domain.org import DISTRICT
from domain.subjects.inspections import INSPECTION_TYPE
from storage.blocks import month_bounds
from storage.structures import figures as structure_figures
from storage.tables import Case

REPEAT_DAYS = 90


class TypeCount(msgspec.Struct, frozen=True):
    violation_type: str
    cases: int


class Inspections(msgspec.Struct, frozen=True):
    planned: int
    done: int
    failed: int  # found a violation
    coverage: float | None  # done / planned


class Structures(msgspec.Struct, frozen=True):
    new_found: int
    new_demolished: int
    stock_demolished: int
    stock_demolished_m2: float
    year_stock_demolished_m2: float
    year_stock_target_m2: float | None


class Blocks(msgspec.Struct, frozen=True):
    blocks: int
    mean_score: float | None
    lowest_score: float | None


class ProgrammeFigures(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int | None  # None: the district
    violations: int
    by_type: list[TypeCount]
    with_subject: int
    repeat_offender_share: float | None  # of the cases with a subject
    grades: dict[str, int]
    inspections: Inspections
    structures: Structures
    blocks: Blocks


async def programme_figures(month: str) -> tuple[datetime, list[ProgrammeFigures]]:
    """The month's stored figures and when they were computed (computed now when the
    month never was): the district first, then every squad that has anything to show."""
    rows = await Case.raw(
        "SELECT figures, refreshed_at FROM programme_figures_month WHERE month = {}", month
    )
    if not rows:
        return await refresh(month)
    figures = rows[0]["figures"]
    if isinstance(figures, str):
        figures = msgspec.json.decode(figures)
    return rows[0]["refreshed_at"], msgspec.convert(figures, list[ProgrammeFigures])


async def refresh(month: str) -> tuple[datetime, list[ProgrammeFigures]]:
    """Compute the month's figures and store them (replacing the month's earlier ones)."""
    now = datetime.now(UTC)
    figures = await compute(month)
    await Case.raw(
        """INSERT INTO programme_figures_month (month, figures, refreshed_at)
           VALUES ({}, {}::jsonb, {})
           ON CONFLICT (month) DO UPDATE
              SET figures = excluded.figures, refreshed_at = excluded.refreshed_at""",
        month,
        msgspec.json.encode(figures).decode(),
        now,
    )
    return now, figures


async def compute(month: str) -> list[ProgrammeFigures]:
    """The district first, then every squad that has anything to show (from the cases)."""
    start, end = month_bounds(month)
    types = await Case.raw(
        """SELECT squad, violation_type, count(*) AS n,
                  count(*) FILTER (WHERE subject IS NOT NULL) AS with_subject,
                  count(*) FILTER (WHERE subject IS NOT NULL AND EXISTS (
                      SELECT 1 FROM enforcement_case p
                       WHERE p.subject = c.subject AND p.violation_type = c.violation_type
                         AND p.id <> c.id AND p.state <> 'dismissed'
                         AND p.created_at < c.created_at
                         AND p.created_at >= c.created_at - make_interval(days => {})
                  )) AS repeats
             FROM enforcement_case c
            WHERE created_at >= {} AND created_at < {} AND state <> 'dismissed'
              AND violation_type <> {}
            GROUP BY squad, violation_type""",
        REPEAT_DAYS,
        start,
        end,
        INSPECTION_TYPE,
    )
    grades = await Case.raw("SELECT squad, grade, count(*) AS n FROM subject GROUP BY squad, grade")
    inspections = await Case.raw(
        """SELECT squad, count(*) AS planned,
                  count(*) FILTER (WHERE state = 'closed' OR violation_type <> {}) AS done,
                  count(*) FILTER (WHERE violation_type <> {}) AS failed
             FROM enforcement_case
            WHERE source = 'inspection' AND created_at >= {} AND created_at < {}
            GROUP BY squad""",
        INSPECTION_TYPE,
        INSPECTION_TYPE,
        start,
        end,
    )
    block_rows = await Case.raw(
        """SELECT b.squad, count(*) AS blocks, avg(s.score) AS mean, min(s.score) AS lowest
             FROM block_score s JOIN street_block b ON b.id = s.block
            WHERE s.month = {} GROUP BY b.squad""",
        month,
    )
    months, years = await structure_figures(start.year, DISTRICT)
    structure_months = [m for m in months if m.month == month]

    squads = sorted(
        {r["squad"] for r in (*types, *grades, *inspections, *block_rows) if r["squad"]}
        | {m.squad_id for m in structure_months if m.squad_id}
    )
    result = [_assemble(None, types, grades, inspections, block_rows, structure_months, years)]
    for squad in squads:
        result.append(
            _assemble(
                squad,
                [r for r in types if r["squad"] == squad],
                [r for r in grades if r["squad"] == squad],
                [r for r in inspections if r["squad"] == squad],
                [r for r in block_rows if r["squad"] == squad],
                [m for m in structure_months if m.squad_id == squad],
                years,
            )
        )
    return result


def _assemble(
    squad: int | None,
    types: list[dict[str, Any]],
    grades: list[dict[str, Any]],
    inspections: list[dict[str, Any]],
    blocks: list[dict[str, Any]],
    structure_months: list[Any],
    years: list[Any],
) -> ProgrammeFigures:
    by_type: dict[str, int] = defaultdict(int)
    for r in types:
        by_type[r["violation_type"]] += int(r["n"])
    with_subject = sum(int(r["with_subject"]) for r in types)
    repeats = sum(int(r["repeats"]) for r in types)
    grade_counts = {g: 0 for g in "ABCD"}
    for r in grades:
        grade_counts[r["grade"]] = grade_counts.get(r["grade"], 0) + int(r["n"])
    planned = sum(int(r["planned"]) for r in inspections)
    done = sum(int(r["done"]) for r in inspections)
    block_count = sum(int(r["blocks"]) for r in blocks)
    mean = (
        sum(float(r["mean"]) * int(r["blocks"]) for r in blocks) / block_count
        if block_count
        else None
    )
    year = next((y for y in years if y.squad_id == squad), None)
    return ProgrammeFigures(
        squad_id=squad,
        violations=sum(by_type.values()),
        by_type=[TypeCount(t, n) for t, n in sorted(by_type.items(), key=lambda kv: -kv[1])],
        with_subject=with_subject,
        repeat_offender_share=round(repeats / with_subject, 4) if with_subject else None,
        grades=grade_counts,
        inspections=Inspections(
            planned,
            done,
            sum(int(r["failed"]) for r in inspections),
            round(done / planned, 4) if planned else None,
        ),
        structures=Structures(
            new_found=sum(m.new_found for m in structure_months),
            new_demolished=sum(m.new_demolished for m in structure_months),
            stock_demolished=sum(m.stock_demolished for m in structure_months),
            stock_demolished_m2=round(sum(m.stock_demolished_m2 for m in structure_months), 2),
            year_stock_demolished_m2=year.stock_demolished_m2 if year else 0.0,
            year_stock_target_m2=year.stock_target_m2 if year else None,
        ),
        blocks=Blocks(
            block_count,
            round(mean, 2) if mean is not None else None,
            min((float(r["lowest"]) for r in blocks), default=None),
        ),
    )
