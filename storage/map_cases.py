"""Open cases on the console map, built for a district with 100,000 of them open: the
database counts them on a grid sized by the zoom (per state and overdue), and sends
single cases only when the box holds few enough. Served by the partial index
``enforcement_case_open_position`` (open cases by position)."""

from __future__ import annotations

import math
from typing import Any

import msgspec

from domain.cases.model import State
from domain.geo.mapview import BBox, cluster_cell_deg
from domain.org import Scope
from storage.map import box_filter, fetch, numbered
from storage.scoping import squad_filter

CLOSED_STATES = sorted(s.value for s in State if not s.is_open)
# Literal, as in the partial index's predicate, so that the planner may use it.
_OPEN = "state NOT IN ({})".format(", ".join(f"'{s}'" for s in CLOSED_STATES))
# A box holding at most this many open cases comes back as single cases; zoomed in this
# far (a street), always (at most POINT_CAP of them).
POINT_LIMIT = 500
POINTS_FROM_ZOOM = 17
POINT_CAP = 5000


class Cluster(msgspec.Struct, frozen=True, kw_only=True):
    """The open cases of one grid cell: where they are on average, how many, by state."""

    gx: int
    gy: int
    lng: float
    lat: float
    count: int
    overdue: int
    by_state: dict[str, int]


def _filters(scope: Scope, box: BBox, args: list[object]) -> str:
    where = f" WHERE {_OPEN} AND lng IS NOT NULL"
    where += box_filter("lng", "lat", box, args)
    return where + squad_filter(scope, "squad", args)


def cluster_sql(scope: Scope, box: BBox, zoom: int) -> tuple[str, list[object]]:
    """The grid aggregation (also what the benchmark times bare)."""
    cell = cluster_cell_deg(zoom)
    args: list[object] = [cell, cell]
    where = _filters(scope, box, args)
    sql = (
        "SELECT floor(lng / {})::bigint AS gx, floor(lat / {})::bigint AS gy, state,"
        " count(*) AS n, count(*) FILTER (WHERE overdue) AS late,"
        " sum(lng) AS sum_lng, sum(lat) AS sum_lat"
        f" FROM enforcement_case{where} GROUP BY 1, 2, 3"
    )
    return numbered(sql), args


async def clusters(scope: Scope, box: BBox, zoom: int) -> list[Cluster]:
    """Open cases in ``box`` (WGS-84) counted per cluster cell of ``zoom``."""
    sql, args = cluster_sql(scope, box, zoom)
    cells: dict[tuple[int, int], list[Any]] = {}
    for r in await fetch(sql, args):
        cells.setdefault((r["gx"], r["gy"]), []).append(r)
    out = []
    for (gx, gy), rows in cells.items():
        count = sum(r["n"] for r in rows)
        out.append(
            Cluster(
                gx=gx,
                gy=gy,
                lng=math.fsum(r["sum_lng"] for r in rows) / count,
                lat=math.fsum(r["sum_lat"] for r in rows) / count,
                count=count,
                overdue=sum(r["late"] for r in rows),
                by_state={r["state"]: r["n"] for r in rows},
            )
        )
    return out


class OpenCases(msgspec.Struct, frozen=True):
    """What the map shows of the open cases in a box: clusters, or the single cases."""

    total: int
    clusters: list[Cluster] | None
    points: list[Any] | None


async def in_box(scope: Scope, box: BBox, zoom: int) -> OpenCases:
    """Clusters of ``zoom`` when the box holds many open cases; the cases themselves when
    it holds at most ``POINT_LIMIT`` or the map is zoomed in to a street."""
    cells = await clusters(scope, box, zoom)
    total = sum(c.count for c in cells)
    if total <= POINT_LIMIT or zoom >= POINTS_FROM_ZOOM:
        return OpenCases(total, None, await points(scope, box))
    return OpenCases(total, cells, None)


async def points(scope: Scope, box: BBox) -> list[Any]:
    """Single open cases in ``box`` (WGS-84), at most ``POINT_CAP``, newest first."""
    args: list[object] = []
    where = _filters(scope, box, args)
    args.append(POINT_CAP)
    return await fetch(
        numbered(
            "SELECT id, number, state, violation_type, squad AS squad_id, assignee, overdue,"
            " urgent, next_due_at, created_at, lng, lat"
            f" FROM enforcement_case{where} ORDER BY id DESC LIMIT {{}}"
        ),
        args,
    )
