"""``/api/v1/stats``: the assessment indicators per squad, type and period."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.openapi.spec import Example
from litestar.params import FromQuery, QueryParameter

from api.deps import Caller
from api.schemas import SquadQuery
from domain.errors import InvalidInput
from storage.cases.aggregates import refreshed_at
from storage.cases.dashboard import (
    DayCount,
    RankedSquad,
    RepeatOffender,
    SourceCount,
    SquadCount,
    TrendItem,
    TypeCount,
    breakdown,
    ranking,
    repeat_offenders,
)
from storage.cases.figures import (
    GroupBy,
    Indicators,
    Precision,
    indicators,
    indicators_by_month,
    precision,
)
from storage.programmes import ProgrammeFigures, programme_figures

SHANGHAI = ZoneInfo("Asia/Shanghai")


Period = Annotated[
    str,
    QueryParameter(
        description="YYYY, YYYY-MM or YYYY-MM-DD (Shanghai).",
        pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
        examples=[Example(value="2026-11")],
    ),
]


class IndicatorReport(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    group_by: GroupBy
    items: list[Indicators]
    refreshed_at: datetime | None = None  # the day tables' last refresh


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """``2026`` (a year), ``2026-11`` (a month) or ``2026-11-24`` (a day), Shanghai time."""
    try:
        if re.fullmatch(r"\d{4}", period):
            start = datetime(int(period), 1, 1, tzinfo=SHANGHAI)
            return start, start.replace(year=start.year + 1)
        if re.fullmatch(r"\d{4}-\d{2}", period):
            year, month = map(int, period.split("-"))
            start = datetime(year, month, 1, tzinfo=SHANGHAI)
            return start, (start + timedelta(days=32)).replace(day=1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
            start = datetime.fromisoformat(period).replace(tzinfo=SHANGHAI)
            return start, start + timedelta(days=1)
    except ValueError as exc:  # 2026-13, 2026-02-30
        raise InvalidInput("period_invalid", f"no such period: {period}") from exc
    raise InvalidInput("period_invalid", "period is YYYY, YYYY-MM or YYYY-MM-DD")


Month = Annotated[
    str,
    QueryParameter(
        description="YYYY-MM (Shanghai).",
        pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
        examples=[Example(value="2026-11")],
    ),
]


def month_start(month: str) -> datetime:
    year, mon = map(int, month.split("-"))
    if not 1 <= mon <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput("period_invalid", f"no such month: {month}")
    return datetime(year, mon, 1, tzinfo=SHANGHAI)


def next_month(start: datetime) -> datetime:
    return (start + timedelta(days=32)).replace(day=1)


def previous_month(start: datetime) -> datetime:
    return (start - timedelta(days=1)).replace(day=1)


class RankingReport(msgspec.Struct, frozen=True):
    month: str
    refreshed_at: datetime | None
    items: list[RankedSquad]


class TrendReport(msgspec.Struct, frozen=True):
    months: list[str]
    items: list[TrendItem]


class CaseBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime
    end: datetime
    refreshed_at: datetime | None
    total: int
    by_source: list[SourceCount]
    by_type: list[TypeCount]
    by_squad: list[SquadCount]
    by_day: list[DayCount]


class RepeatOffenderReport(msgspec.Struct, frozen=True):
    month: str
    items: list[RepeatOffender]


class PrecisionReport(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    items: list[Precision]
    refreshed_at: datetime | None = None  # the day tables' last refresh


class ProgrammeReport(msgspec.Struct, frozen=True):
    month: str
    items: list[ProgrammeFigures]
    refreshed_at: datetime | None = None  # when the figures were computed (every 5 min)


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["figures"]

    @get("/indicators", operation_id="get_indicators")
    async def get_indicators(
        self,
        principal: Caller,
        period: Period,
        group_by: FromQuery[GroupBy] = GroupBy.squad,
        squad_id: SquadQuery = None,
        type: FromQuery[str | None] = None,
    ) -> IndicatorReport:
        """结案率, 按期结案率, 延期率 and mean times over the cases created in the period;
        返工率 over the review decisions taken in it (cases returned or reopened / cases
        closed, returned or reopened), so rework counts the month it happens. Squad roles
        see their own squad only."""
        start, end = period_bounds(period)
        squad = principal.scope.narrowed(squad_id).squad_id
        rows = await indicators(start, end, group_by, squad_id=squad, violation_type=type)
        return IndicatorReport(start, end, group_by, rows, await refreshed_at())

    @get("/precision", operation_id="get_precision")
    async def get_precision(
        self,
        principal: Caller,
        period: Period,
    ) -> PrecisionReport:
        """Per camera, zone and rule: alerts and those dismissed as false positives, noisiest
        first, so operators can tune or disable a rule."""
        start, end = period_bounds(period)
        return PrecisionReport(
            start,
            end,
            await precision(start, end, squad_id=principal.scope.squad_id),
            await refreshed_at(),
        )

    @get("/programmes", operation_id="get_programme_figures")
    async def get_programmes(
        self,
        principal: Caller,
        month: Annotated[str, QueryParameter(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
    ) -> ProgrammeReport:
        """The three programmes for a month (美丽街区, 违法建筑治理, 经营性场所治理): for the
        district and each squad, violations by type, the share of cases whose subject
        repeated the same violation within 90 days, subjects by grade, illegal structures
        (the month, and the year against its target), routine inspections planned and done,
        and the blocks' scores. Squad roles get their own squad's figures only. Computed
        ahead by the worker every five minutes (``refreshed_at``)."""
        at, rows = await programme_figures(month)
        own = principal.scope.squad_id
        if own is not None:
            rows = [r for r in rows if r.squad_id == own]
        return ProgrammeReport(month, rows, at)

    @get("/ranking", operation_id="get_squad_ranking")
    async def get_ranking(self, principal: Caller, month: Month) -> RankingReport:
        """The squads by score (考评得分, ``domain.assessment.score``: 按期结案率 40,
        结案率 30, 1-返工率 20, 1-延期率 10; a rate with nothing to measure scores half its
        weight), best first, with last month's rank. A squad role sees its own row only,
        with its district rank."""
        start = month_start(month)
        rows = await ranking(
            start, next_month(start), previous_month(start), squad_id=principal.scope.squad_id
        )
        return RankingReport(month, await refreshed_at(), rows)

    @get("/trend", operation_id="get_indicator_trend")
    async def get_trend(
        self,
        principal: Caller,
        end: Month,
        months: Annotated[int, QueryParameter(ge=1, le=24)] = 12,
        squad_id: SquadQuery = None,
    ) -> TrendReport:
        """The indicators month by month, the ``months`` months up to ``end``: for the
        district (``squad_id`` null) or one squad. Squad roles get their own squad."""
        squad = principal.scope.narrowed(squad_id).squad_id
        starts = [month_start(end)]
        for _ in range(months - 1):
            starts.insert(0, previous_month(starts[0]))
        group_by = GroupBy.district if squad is None else GroupBy.squad
        rows = await indicators_by_month(
            starts[0], next_month(starts[-1]), group_by, squad_id=squad
        )
        items = [
            TrendItem(month=f"{r.month:%Y-%m}", squad_id=squad, indicators=r.indicators)
            for r in rows
        ]
        return TrendReport([f"{s.year:04d}-{s.month:02d}" for s in starts], items)

    @get("/cases", operation_id="get_case_breakdown")
    async def get_cases(
        self, principal: Caller, period: Period, squad_id: SquadQuery = None
    ) -> CaseBreakdown:
        """The cases created in the period by source, violation type, squad and day
        (Shanghai). Squad roles see their own squad only."""
        start, end = period_bounds(period)
        squad = principal.scope.narrowed(squad_id).squad_id
        b = await breakdown(start, end, squad_id=squad)
        return CaseBreakdown(
            start=start,
            end=end,
            refreshed_at=await refreshed_at(),
            total=b.total,
            by_source=b.by_source,
            by_type=b.by_type,
            by_squad=b.by_squad,
            by_day=b.by_day,
        )

    @get("/repeat-offenders", operation_id="get_repeat_offenders")
    async def get_repeat_offenders(
        self,
        principal: Caller,
        month: Month,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        squad_id: SquadQuery = None,
    ) -> RepeatOffenderReport:
        """Subjects with two or more cases of the same violation type in the 90 days up
        to the month's end, most cases first. Squad roles see their own squad only."""
        end = next_month(month_start(month))
        squad = principal.scope.narrowed(squad_id).squad_id
        rows = await repeat_offenders(end - timedelta(days=90), end, squad_id=squad, limit=limit)
        return RepeatOffenderReport(month, rows)
