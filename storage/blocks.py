"""Street blocks (美丽街区): the registry, supervisors' spot checks, monthly scores from the
month's cases inside each block, rankings of blocks and squads, and score history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from shapely import Point, Polygon, prepare

from domain.blocks.scoring import BlockPolicy, CaseInBlock, SpotCheck, check_item, score
from domain.errors import InvalidInput, NotFound
from domain.geo import LngLat
from domain.org import DISTRICT, Scope
from domain.subjects.inspections import INSPECTION_TYPE
from storage.db import engine
from storage.geography import GeoIndex
from storage.scoping import squad_filter
from storage.tables import BlockScore, BlockSpotCheck, StreetBlock

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BlockRecord(msgspec.Struct, frozen=True):
    id: int
    name: str
    squad_id: int | None
    polygon: list[tuple[float, float]]


class MonthScore(msgspec.Struct, frozen=True, kw_only=True):
    block_id: int
    month: str
    score: float
    cases: int
    case_deduction: float
    spot_check_deduction: float
    by_type: dict[str, float]
    computed_at: datetime


class Ranked(msgspec.Struct, frozen=True):
    rank: int
    id: int
    name: str
    score: float


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The Shanghai month ``YYYY-MM`` as [start, end)."""
    try:
        start = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    except ValueError as exc:
        raise InvalidInput("month_invalid", "a month is YYYY-MM") from exc
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


async def create(geo: GeoIndex, name: str, polygon: list[LngLat], squad: int | None) -> BlockRecord:
    shape = Polygon([(p.lng, p.lat) for p in polygon])
    if not shape.is_valid or shape.area == 0:
        raise InvalidInput("block_polygon_invalid", "the block's polygon is not a simple area")
    if squad is None:
        centre = shape.representative_point()
        placed = await geo.place(LngLat(centre.x, centre.y))
        squad = placed.squad.id if placed.squad else None
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    rows = await StreetBlock.insert(
        StreetBlock(
            name=name,
            squad=squad,
            polygon=msgspec.json.encode([(p.lng, p.lat) for p in polygon]).decode(),
            min_lng=min_lng,
            min_lat=min_lat,
            max_lng=max_lng,
            max_lat=max_lat,
        )
    ).returning(StreetBlock.id)
    block = await get(rows[0]["id"])
    assert block is not None
    return block


async def get(block_id: int) -> BlockRecord | None:
    rows = await StreetBlock.raw(
        "SELECT id, name, squad AS squad_id, polygon FROM street_block WHERE id = {}", block_id
    )
    return _record(rows[0]) if rows else None


def _record(row: dict[str, Any]) -> BlockRecord:
    polygon = row["polygon"]
    return msgspec.convert(
        {**row, "polygon": msgspec.json.decode(polygon) if isinstance(polygon, str) else polygon},
        BlockRecord,
    )


async def listing(scope: Scope) -> list[BlockRecord]:
    args: list[object] = []
    where = squad_filter(scope, "squad", args)
    rows = await StreetBlock.raw(
        f"SELECT id, name, squad AS squad_id, polygon FROM street_block WHERE TRUE{where}"
        " ORDER BY id",
        *args,
    )
    return [_record(r) for r in rows]


async def spot_check(
    policy: BlockPolicy,
    block_id: int,
    item: str,
    deduction: float,
    note: str,
    supervisor: int,
    at: datetime,
) -> None:
    """Record what a supervisor's spot check found wrong (an item of the policy's list)."""
    check_item(policy, item)
    if await get(block_id) is None:
        raise NotFound("block_not_found", f"no street block {block_id}")
    await BlockSpotCheck.insert(
        BlockSpotCheck(
            block=block_id, at=at, supervisor=supervisor, item=item, deduction=deduction, note=note
        )
    )


async def compute_month(
    policy: BlockPolicy, month: str, now: datetime, block_id: int | None = None
) -> list[MonthScore]:
    """Score every block (or one) for ``month`` from its cases and spot checks, and keep
    the scores (a month is recomputed until it is over; its last computation stands)."""
    start, end = month_bounds(month)
    blocks = [await get(block_id)] if block_id is not None else await listing(DISTRICT)
    results = []
    async with engine().transaction():
        for block in blocks:
            if block is None:
                raise NotFound("block_not_found", f"no street block {block_id}")
            cases = await _cases_in(block, start, end)
            checks = await BlockSpotCheck.select(
                BlockSpotCheck.item, BlockSpotCheck.deduction
            ).where(
                (BlockSpotCheck.block == block.id)
                & (BlockSpotCheck.at >= start)
                & (BlockSpotCheck.at < end)
            )
            s = score(cases, [SpotCheck(c["item"], c["deduction"]) for c in checks], policy)
            await BlockScore.raw(
                """INSERT INTO block_score (block, month, score, cases, case_deduction,
                                            spot_check_deduction, by_type, computed_at)
                   VALUES ({}, {}, {}, {}, {}, {}, {}::jsonb, {})
                   ON CONFLICT (block, month) DO UPDATE SET score = excluded.score,
                          cases = excluded.cases, case_deduction = excluded.case_deduction,
                          spot_check_deduction = excluded.spot_check_deduction,
                          by_type = excluded.by_type, computed_at = excluded.computed_at""",
                block.id,
                month,
                s.score,
                s.cases,
                s.case_deduction,
                s.spot_check_deduction,
                msgspec.json.encode(s.by_type).decode(),
                now,
            )
            results.append(
                MonthScore(
                    block_id=block.id,
                    month=month,
                    score=s.score,
                    cases=s.cases,
                    case_deduction=s.case_deduction,
                    spot_check_deduction=s.spot_check_deduction,
                    by_type=s.by_type,
                    computed_at=now,
                )
            )
    return results


async def _cases_in(block: BlockRecord, start: datetime, end: datetime) -> list[CaseInBlock]:
    """The month's cases (not dismissed) whose point lies inside the block."""
    shape = Polygon(block.polygon)
    prepare(shape)
    min_lng, min_lat, max_lng, max_lat = shape.bounds
    rows = await StreetBlock.raw(
        """SELECT c.lng, c.lat, c.violation_type, c.ever_overdue,
                  coalesce((v.definition->>'severity')::int, 2) AS severity
             FROM enforcement_case c
             LEFT JOIN violation_type v ON v.code = c.violation_type
            WHERE c.created_at >= {} AND c.created_at < {} AND c.state <> 'dismissed'
              AND c.violation_type <> {}
              AND c.lng BETWEEN {} AND {} AND c.lat BETWEEN {} AND {}""",
        start,
        end,
        INSPECTION_TYPE,  # a routine inspection that found nothing is not a problem
        min_lng,
        max_lng,
        min_lat,
        max_lat,
    )
    return [
        CaseInBlock(r["violation_type"], int(r["severity"]), bool(r["ever_overdue"]))
        for r in rows
        if r["lng"] is not None and shape.contains(Point(r["lng"], r["lat"]))
    ]


async def history(block_id: int) -> list[MonthScore]:
    rows = await BlockScore.raw(
        """SELECT block AS block_id, month, score, cases, case_deduction, spot_check_deduction,
                  by_type, computed_at FROM block_score WHERE block = {} ORDER BY month DESC""",
        block_id,
    )
    return [_score(r) for r in rows]


def _score(row: dict[str, Any]) -> MonthScore:
    by_type = row["by_type"]
    return msgspec.convert(
        {**row, "by_type": msgspec.json.decode(by_type) if isinstance(by_type, str) else by_type},
        MonthScore,
    )


async def ranking(month: str, scope: Scope) -> tuple[list[Ranked], list[Ranked]]:
    """Blocks by their score for the month, and squads by the mean score of their blocks.
    Ranks are the district's; a squad's scope sees only its own rows of the two tables."""
    block_args: list[object] = [month]
    own_blocks = squad_filter(scope, "squad", block_args)
    blocks = await BlockScore.raw(
        f"""SELECT rank, id, name, score FROM (
                SELECT rank() OVER (ORDER BY s.score DESC) AS rank, b.id, b.name, s.score,
                       b.squad
                  FROM block_score s JOIN street_block b ON b.id = s.block
                 WHERE s.month = {{}}) AS ranked
             WHERE TRUE{own_blocks} ORDER BY score DESC, id""",
        *block_args,
    )
    squad_args: list[object] = [month]
    own_squad = squad_filter(scope, "id", squad_args)
    squads = await BlockScore.raw(
        f"""SELECT rank, id, name, score FROM (
                SELECT rank() OVER (ORDER BY avg(s.score) DESC) AS rank, q.id,
                       q.name_zh AS name, round(avg(s.score)::numeric, 2)::float8 AS score
                  FROM block_score s JOIN street_block b ON b.id = s.block
                  JOIN squad q ON q.id = b.squad
                 WHERE s.month = {{}} GROUP BY q.id, q.name_zh) AS ranked
             WHERE TRUE{own_squad} ORDER BY score DESC, id""",
        *squad_args,
    )
    return [msgspec.convert(r, Ranked) for r in blocks], [
        msgspec.convert(r, Ranked) for r in squads
    ]
