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
from storage.cases.figures import GroupBy, Indicators, Precision, indicators, precision
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


class PrecisionReport(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime
    items: list[Precision]


class ProgrammeReport(msgspec.Struct, frozen=True):
    month: str
    items: list[ProgrammeFigures]


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
        return IndicatorReport(start, end, group_by, rows)

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
            start, end, await precision(start, end, squad_id=principal.scope.squad_id)
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
        and the blocks' scores. Squad roles get their own squad's figures only."""
        rows = await programme_figures(month)
        own = principal.scope.squad_id
        if own is not None:
            rows = [r for r in rows if r.squad_id == own]
        return ProgrammeReport(month, rows)
