"""The dashboard's figures beyond the indicators: the squad ranking, the monthly trend,
the case breakdown and repeat offenders. Indicators come from ``figures.indicators`` (one
definition); this module only groups them. The breakdown sums ``case_figures_day``
(``storage.cases.aggregates``); repeat offenders are counted over the cases (a 90-day
window on the ``(subject, created_at)`` index, a few thousand rows)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from domain.assessment import Rates, ranks, score
from storage.cases.figures import (
    GroupBy,
    Indicators,
    days_of,
    empty_indicators,
    indicators,
    tables_of,
)
from storage.tables import Case


class RankedSquad(msgspec.Struct, frozen=True, kw_only=True):
    rank: int | None  # None: not assessed this month (不参评, nothing to measure)
    squad_id: int
    squad_name: str
    score: float | None
    previous_rank: int | None
    indicators: Indicators


async def _squad_names() -> dict[int, str]:
    rows = await Case.raw("SELECT id, name_zh FROM squad")
    return {r["id"]: r["name_zh"] for r in rows}


async def _scores(
    start: datetime, end: datetime, squads: list[int]
) -> tuple[dict[int, float | None], dict[int, Indicators]]:
    """Every squad's score and indicators (with nothing in the period too)."""
    got = {i.squad_id: i for i in await indicators(start, end, GroupBy.squad)}
    of = {s: got.get(s) or empty_indicators(s) for s in squads}
    return {s: score(msgspec.convert(msgspec.structs.asdict(i), Rates)) for s, i in of.items()}, of


async def ranking(
    start: datetime, end: datetime, prev_start: datetime, *, squad_id: int | None = None
) -> list[RankedSquad]:
    """Every squad by score, best first (``domain.assessment.ranks``: ties by id, the
    squads not assessed last, unranked); ``previous_rank`` from the month before.
    ``squad_id`` keeps that squad's row only, with its district rank."""
    names = await _squad_names()
    squads = sorted(names)
    scores, of = await _scores(start, end, squads)
    before = dict(ranks((await _scores(prev_start, start, squads))[0]))
    return [
        RankedSquad(
            rank=n,
            squad_id=s,
            squad_name=names[s],
            score=scores[s],
            previous_rank=before[s],
            indicators=of[s],
        )
        for s, n in ranks(scores)
        if squad_id is None or s == squad_id
    ]


class TrendItem(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    squad_id: int | None
    indicators: Indicators


class SourceCount(msgspec.Struct, frozen=True):
    source: str
    cases: int


class TypeCount(msgspec.Struct, frozen=True):
    violation_type: str
    name_zh: str
    cases: int


class SquadCount(msgspec.Struct, frozen=True):
    squad_id: int | None
    squad_name: str | None
    cases: int


class DayCount(msgspec.Struct, frozen=True):
    day: str
    cases: int


class Breakdown(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    by_source: list[SourceCount]
    by_type: list[TypeCount]
    by_squad: list[SquadCount]
    by_day: list[DayCount]


async def breakdown(start: datetime, end: datetime, *, squad_id: int | None) -> Breakdown:
    """The cases created in [start, end) (whole Shanghai days) by source, type, squad
    and day, summed from ``case_figures_day`` (``case_figures_month`` for whole months,
    but for the days)."""
    first, stop = days_of(start, end)
    where = "day >= {} AND day < {}"
    args: list[object] = [first, stop]
    if squad_id is not None:
        where += " AND squad = {}"
        args.append(squad_id)
    # By day from the days; the rest from the months when the period is whole months.
    rows = await Case.raw(
        f"""SELECT source, violation_type, squad AS squad_id, NULL AS day,
                   sum(created)::int AS cases
              FROM {tables_of(first, stop)[0]} WHERE {where}
             GROUP BY GROUPING SETS ((1), (2), (3))
            UNION ALL
            SELECT NULL, NULL, NULL, to_char(day, 'YYYY-MM-DD'), sum(created)::int
              FROM case_figures_day WHERE {where}
             GROUP BY day""",
        *args,
        *args,
    )
    names = await _squad_names()
    types = {
        r["code"]: r["name"]
        for r in await Case.raw("SELECT code, definition->>'name_zh' AS name FROM violation_type")
    }
    by_source, by_type, by_squad, by_day = [], [], [], []
    for r in rows:
        if r["source"] is not None:
            by_source.append(SourceCount(r["source"], r["cases"]))
        elif r["violation_type"] is not None:
            code = r["violation_type"]
            by_type.append(TypeCount(code, types.get(code) or code, r["cases"]))
        elif r["day"] is not None:
            by_day.append(DayCount(r["day"], r["cases"]))
        else:
            s = r["squad_id"]
            by_squad.append(SquadCount(s, names.get(s) if s is not None else None, r["cases"]))
    by_source.sort(key=lambda x: -x.cases)
    by_type.sort(key=lambda x: -x.cases)
    by_squad.sort(key=lambda x: -x.cases)
    by_day.sort(key=lambda x: x.day)
    return Breakdown(
        total=sum(x.cases for x in by_source),
        by_source=by_source,
        by_type=by_type,
        by_squad=by_squad,
        by_day=by_day,
    )


class RepeatOffender(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: int
    name: str
    grade: str | None
    squad_id: int | None
    cases: int
    violation_types: list[str]
    last_at: datetime


async def repeat_offenders(
    start: datetime, end: datetime, *, squad_id: int | None, limit: int
) -> list[RepeatOffender]:
    """Subjects with at least two cases of one violation type created in [start, end),
    most cases first; ``violation_types`` are the repeated types."""
    where = "c.subject IS NOT NULL AND c.created_at >= {} AND c.created_at < {}"
    args: list[object] = [start, end]
    if squad_id is not None:
        where += " AND c.squad = {}"
        args.append(squad_id)
    args.append(limit)
    rows = await Case.raw(
        f"""WITH t AS (
            SELECT c.subject, c.violation_type, count(*) AS n, max(c.created_at) AS last_at
              FROM enforcement_case c WHERE {where}
             GROUP BY 1, 2 HAVING count(*) >= 2)
        SELECT s.id AS subject_id, s.name, s.grade, s.squad AS squad_id,
               sum(t.n)::int AS cases,
               array_agg(t.violation_type ORDER BY t.n DESC, t.violation_type)
                   AS violation_types,
               max(t.last_at) AS last_at
          FROM t JOIN subject s ON s.id = t.subject
         GROUP BY s.id ORDER BY cases DESC, last_at DESC, s.id LIMIT {{}}""",
        *args,
    )
    return [msgspec.convert(r, RepeatOffender) for r in rows]
