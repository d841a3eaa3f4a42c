"""Hotspot statistics: the weekly cell counts (``case_cell_week``), the refresh that runs
Gi* over them into ``hotspot``, and the reads behind ``/api/v1/hotspots``.

Population: cases created in the ISO week (Monday 00:00 to Monday 00:00, Shanghai) that
have a location (H3 cells), except those dismissed (不予受理, which includes camera alerts
dismissed as false positives). ``violation_type = ''`` in ``hotspot`` means all types
together.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import numpy as np

from domain.hotspots import benjamini_hochberg, classify, gi_star, neighbourhood_poisson_p
from domain.hotspots.cells import ring1
from domain.org.roles import Scope
from storage.tables import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESOLUTIONS = (9, 10)
ALL_TYPES = ""
Q = 0.05
WINDOW = 4


def week_start(week: date) -> datetime:
    return datetime.combine(week, time(), tzinfo=SHANGHAI)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_complete_week(now: datetime | None = None) -> date:
    today = (now or datetime.now(UTC)).astimezone(SHANGHAI).date()
    return monday_of(today) - timedelta(days=7)


async def aggregate_week(week: date) -> None:
    """Recount the week's cells from enforcement_case, in one INSERT ... SELECT."""
    start = week_start(week)
    end = start + timedelta(days=7)
    await Case.raw("DELETE FROM case_cell_week WHERE week = {}", week)
    await Case.raw(
        """INSERT INTO case_cell_week (week, squad, violation_type, resolution, cell, cases)
           SELECT {}::date, c.squad, c.violation_type, r.res, r.cell, count(*)
             FROM enforcement_case c
             CROSS JOIN LATERAL (VALUES (9::smallint, c.h3_r9), (10::smallint, c.h3_r10))
                  AS r(res, cell)
            WHERE c.created_at >= {} AND c.created_at < {}
              AND c.squad IS NOT NULL AND r.cell IS NOT NULL AND c.state <> 'dismissed'
            GROUP BY 2, 3, 4, 5""",
        week,
        start,
        end,
    )


@lru_cache(maxsize=200_000)
def _ring(cell: str) -> tuple[str, ...]:
    return tuple(ring1(cell))


def _gi(cells: dict[str, int]) -> list[tuple[str, int, float, float, float, bool]]:
    """Gi* over the cells with cases and their ring-1 neighbours (zeros)."""
    index: dict[str, int] = {}
    for cell in cells:
        index.setdefault(cell, len(index))
    for cell in list(cells):
        for n in _ring(cell):
            index.setdefault(n, len(index))
    names = list(index)
    neighbours = [[index[n] for n in _ring(c) if n in index] for c in names]
    counts = np.array([cells.get(c, 0) for c in names], dtype=np.int64)
    z = gi_star(counts, neighbours)
    p = neighbourhood_poisson_p(counts, neighbours)
    reject, q = benjamini_hochberg(p, Q)
    hot = reject & (z > 0)
    return [
        (names[i], int(counts[i]), float(z[i]), float(p[i]), float(q[i]), bool(hot[i]))
        for i in range(len(names))
        if counts[i] > 0
    ]


async def refresh_week(week: date) -> int:
    """Aggregate the week and recompute its hotspots; the number of result rows written."""
    week = monday_of(week)
    await aggregate_week(week)
    rows = await Case.raw(
        "SELECT squad, violation_type, resolution, cell, cases FROM case_cell_week WHERE week = {}",
        week,
    )
    groups: dict[tuple[int, str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        groups[(r["squad"], r["violation_type"], r["resolution"])][r["cell"]] += r["cases"]
        groups[(r["squad"], ALL_TYPES, r["resolution"])][r["cell"]] += r["cases"]
    previous = await Case.raw(
        "SELECT week, squad, violation_type, resolution, cell FROM hotspot"
        " WHERE hot AND week >= {} AND week < {}",
        week - timedelta(days=7 * (WINDOW - 1)),
        week,
    )
    history: dict[tuple[int, str, int, str], set[date]] = defaultdict(set)
    for r in previous:
        history[(r["squad"], r["violation_type"], r["resolution"], r["cell"])].add(r["week"])
    earlier = [week - timedelta(days=7 * k) for k in range(WINDOW - 1, 0, -1)]
    now = datetime.now(UTC)
    out: list[tuple[Any, ...]] = []
    for (squad, vtype, res), cells in groups.items():
        results = sorted(_gi(cells), key=lambda t: -t[2])
        for rank, (cell, cases, z, p, q, hot) in enumerate(results, start=1):
            seen = history.get((squad, vtype, res, cell), set())
            flags = [w in seen for w in earlier] + [hot]
            trend = classify(flags)
            out.append(
                (
                    week,
                    squad,
                    vtype,
                    res,
                    cell,
                    cases,
                    z,
                    p,
                    q,
                    hot,
                    trend.value if trend else None,
                    sum(flags),
                    rank,
                    now,
                )
            )
    await Case.raw("DELETE FROM hotspot WHERE week = {}", week)
    if out:
        cols = list(zip(*out, strict=True))
        await Case.raw(
            """INSERT INTO hotspot (week, squad, violation_type, resolution, cell, cases, z, p,
                                    q, hot, trend, weeks_hot, rank, refreshed_at)
               SELECT * FROM unnest({}::date[], {}::int[], {}::varchar[], {}::smallint[],
                    {}::varchar[], {}::int[], {}::float8[], {}::float8[], {}::float8[],
                    {}::bool[], {}::varchar[], {}::smallint[], {}::int[], {}::timestamptz[])""",
            *[list(c) for c in cols],
        )
    return len(out)


class HotspotRow(msgspec.Struct, frozen=True):
    cell: str
    resolution: int
    squad_id: int
    squad_name: str
    violation_type: str
    cases: int
    z: float
    p: float
    q: float
    trend: str | None
    weeks_hot: int


async def hotspots(
    scope: Scope,
    week: date,
    *,
    squad_id: int | None,
    violation_type: str | None,
    resolution: int,
    limit: int,
) -> tuple[datetime | None, list[HotspotRow]]:
    """The week's hot cells in the caller's jurisdiction, hottest first."""
    args: list[object] = [week, resolution, violation_type or ALL_TYPES]
    where = ["h.week = {}", "h.resolution = {}", "h.violation_type = {}", "h.hot"]
    own = scope.narrowed(squad_id).squad_id
    if own is not None:
        where.append("h.squad = {}")
        args.append(own)
    args.append(limit)
    rows = await Case.raw(
        f"""SELECT h.cell, h.resolution, h.squad AS squad_id, s.name_zh AS squad_name,
                   h.violation_type, h.cases, h.z, h.p, h.q, h.trend, h.weeks_hot,
                   h.refreshed_at
              FROM hotspot h JOIN squad s ON s.id = h.squad
             WHERE {" AND ".join(where)}
             ORDER BY h.z DESC, h.cell LIMIT {{}}""",
        *args,
    )
    refreshed = await Case.raw("SELECT max(refreshed_at) AS at FROM hotspot WHERE week = {}", week)
    at = refreshed[0]["at"] if refreshed else None
    return at, [HotspotRow(**{k: v for k, v in r.items() if k != "refreshed_at"}) for r in rows]
