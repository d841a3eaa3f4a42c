"""Hotspot statistics: the refresh that counts a week's cases per H3 cell and runs Gi*
over them (``domain.hotspots.grouped``) into ``hotspot``, and the reads behind
``/api/v1/hotspots``.

Population: cases created in the ISO week (Monday 00:00 to Monday 00:00, Shanghai) that
have a location (H3 cells), except those dismissed (不予受理, which includes camera alerts
dismissed as false positives). ``violation_type = ''`` in ``hotspot`` means all types
together.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
import numpy.typing as npt

from domain.hotspots import classify
from domain.hotspots.cells import anchor_of, cell_ints, local_ijs
from domain.hotspots.grouped import hot_cells_by_group
from domain.org.roles import Scope
from storage.db import engine
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


# One GROUP BY of the week's cases, returned as one row of arrays (a row per cell would
# cost more to decode than the query costs to run).
_COUNTS = """
SELECT array_agg(squad) AS squad, array_agg(violation_type) AS violation_type,
       array_agg(h3_r9) AS r9, array_agg(h3_r10) AS r10, array_agg(n) AS n
  FROM (SELECT c.squad, c.violation_type, c.h3_r9, c.h3_r10, count(*) AS n
          FROM enforcement_case c
         WHERE c.created_at >= {} AND c.created_at < {}
           AND c.squad IS NOT NULL AND c.h3_r10 IS NOT NULL AND c.state <> 'dismissed'
         GROUP BY 1, 2, 3, 4) t"""


_COLUMNS = (
    "week",
    "squad",
    "violation_type",
    "resolution",
    "cell",
    "cases",
    "z",
    "p",
    "q",
    "hot",
    "trend",
    "weeks_hot",
    "rank",
    "refreshed_at",
)


@dataclass(frozen=True)
class _Counts:
    """The week's cases per (group, cell); ``groups[g]`` = (squad, violation type or
    ALL_TYPES, resolution) of group id g; cells by their local IJ coordinates too."""

    groups: list[tuple[int, str, int]]
    per_resolution: int  # group ids k * per_resolution ... are those of RESOLUTIONS[k]
    group: npt.NDArray[np.int64]
    cell: npt.NDArray[np.int64]
    i: npt.NDArray[np.int64]
    j: npt.NDArray[np.int64]
    cases: npt.NDArray[np.int64]


def _summed(keys: npt.NDArray[np.int64], n: npt.NDArray[np.int64]) -> tuple[Any, Any]:
    """Distinct keys and the sum of ``n`` per key."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    return distinct, np.bincount(inverse, weights=n).astype(np.int64)


async def _counts(week: date) -> _Counts:
    """The week's counts at both resolutions, per type and for all types together."""
    start = week_start(week)
    row = (await Case.raw(_COUNTS, start, start + timedelta(days=7)))[0]
    if not row["n"]:
        empty = np.zeros(0, dtype=np.int64)
        return _Counts([], 1, empty, empty, empty, empty, empty)
    squads, squad = np.unique(np.asarray(row["squad"], dtype=np.int64), return_inverse=True)
    types = sorted(set(row["violation_type"]))
    index_of = {t: k for k, t in enumerate(types)}
    vtype = np.fromiter((index_of[t] for t in row["violation_type"]), np.int64, len(squad))
    kinds = len(types) + 1  # the types, then all of them together
    per_res = len(squads) * kinds
    groups = [
        (int(s), t, res)
        for res in RESOLUTIONS
        for s in squads.tolist()
        for t in [*types, ALL_TYPES]
    ]
    n = np.asarray(row["n"], dtype=np.int64)
    by_type = squad * kinds + vtype
    by_squad = squad * kinds + kinds - 1
    parts: list[tuple[Any, ...]] = []
    for k, res in enumerate(RESOLUTIONS):
        distinct, index = np.unique(cell_ints(row[f"r{res}"]), return_inverse=True)
        ij = _LOCAL_IJ.of(anchor_of(int(distinct[0])), distinct)
        for g in (by_type, by_squad):
            keys, cases = _summed(g * distinct.size + index, n)
            cell = keys % distinct.size
            parts.append(
                (
                    k * per_res + keys // distinct.size,
                    distinct[cell],
                    ij[cell, 0],
                    ij[cell, 1],
                    cases,
                )
            )
    group, cell, i, j, cases = (np.concatenate(column) for column in zip(*parts, strict=True))
    return _Counts(groups, per_res, group, cell, i, j, cases)


class _LocalIJ:
    """Local IJ coordinates computed before, per anchor (cells sorted, rows i, j): a
    district has a few tens of thousands of cells, so a worker computes each once."""

    LIMIT = 500_000

    def __init__(self) -> None:
        self._known: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}

    def of(self, anchor: int, cells: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The (i, j) rows of the distinct, sorted ``cells``."""
        known, ij = self._known.get(anchor, (np.zeros(0, np.int64), np.zeros((0, 2), np.int64)))
        at = np.minimum(np.searchsorted(known, cells), max(known.size - 1, 0))
        there = known[at] == cells if known.size else np.zeros(cells.size, np.bool_)
        if not there.all():
            missing = cells[~there]
            known = np.concatenate([known, missing])
            ij = np.concatenate([ij, local_ijs(anchor, missing.tolist())])
            order = np.argsort(known)
            known, ij = known[order], ij[order]
            if known.size <= self.LIMIT:
                self._known[anchor] = (known, ij)
            at = np.searchsorted(known, cells)
        return ij[at]


_LOCAL_IJ = _LocalIJ()


async def _hot(counts: _Counts) -> tuple[npt.NDArray[np.int64], dict[str, Any]]:
    """The hot entries of ``counts`` and their z, p, q and rank. One thread per
    resolution: numpy lets go of the GIL, so the two run side by side, and the worker's
    event loop is not held for the computation."""
    parts = [
        np.flatnonzero(counts.group // counts.per_resolution == k) for k in range(len(RESOLUTIONS))
    ]
    results = await asyncio.gather(
        *(
            asyncio.to_thread(
                hot_cells_by_group,
                counts.group[part] % counts.per_resolution,
                counts.i[part],
                counts.j[part],
                counts.cases[part],
                Q,
            )
            for part in parts
        )
    )
    hot = np.concatenate([part[r.hot] for part, r in zip(parts, results, strict=True)])
    found = {
        name: np.concatenate([getattr(r, name)[r.hot] for r in results])
        for name in ("z", "p", "q", "rank")
    }
    return hot, found


async def refresh_week(week: date) -> int:
    """Recompute the week's hotspots from its cases; the number of hot cells written.

    Only hot cells are written: they are what every reader asks for, and the week's
    other cells would be most of the refresh's cost (tens of thousands of rows)."""
    week = monday_of(week)
    counts = await _counts(week)
    hot, found = await _hot(counts)
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
    columns = zip(
        counts.group[hot].tolist(),
        counts.cell[hot].tolist(),
        counts.cases[hot].tolist(),
        *(found[name].tolist() for name in ("z", "p", "q", "rank")),
        strict=True,
    )
    first = classify([False] * len(earlier) + [True])  # hot now, never before
    out: list[tuple[Any, ...]] = []
    for group, cell_int, cases, z, p, q, rank in columns:
        squad, vtype, res = counts.groups[group]
        cell = format(cell_int, "x")  # H3's string form
        seen = history.get((squad, vtype, res, cell))
        flags = [w in seen for w in earlier] + [True] if seen else [True]
        trend = classify(flags) if seen else first
        out.append(
            (week, squad, vtype, res, cell, cases, z, p, q, True, trend and trend.value,
             sum(flags), rank, now)
        )  # fmt: skip
    async with engine().transaction() as tx:
        await Case.raw("DELETE FROM hotspot WHERE week = {}", week)
        await tx.connection.copy_records_to_table("hotspot", records=out, columns=_COLUMNS)
        await Case.raw(
            """INSERT INTO hotspot_refresh (week, refreshed_at, hot_cells) VALUES ({}, {}, {})
               ON CONFLICT (week) DO UPDATE
                  SET refreshed_at = EXCLUDED.refreshed_at, hot_cells = EXCLUDED.hot_cells""",
            week,
            now,
            len(out),
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
    refreshed = await Case.raw(
        "SELECT refreshed_at AS at FROM hotspot_refresh WHERE week = {}", week
    )
    at = refreshed[0]["at"] if refreshed else None
    return at, [HotspotRow(**{k: v for k, v in r.items() if k != "refreshed_at"}) for r in rows]
