"""``/api/v1/reports/monthly``: the monthly assessment workbook (月度考评, .xlsx)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import Parameter, QueryParameter

from api.deps import Caller, Rt
from api.schemas import SquadQuery
from api.security import requires_role
from domain.errors import NotFound
from domain.org import Role
from storage import reports
from storage.reports import XLSX, ReportEntry

MonthPath = Annotated[str, Parameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class ReportList(msgspec.Struct, frozen=True):
    items: list[ReportEntry]


def _complete(month: str) -> bool:
    _, end, _ = reports.bounds(month)
    return end <= datetime.now(reports.SHANGHAI)


class ReportsController(Controller):
    path = "/api/v1/reports/monthly"
    tags = ["figures"]

    @get("", operation_id="list_monthly_reports")
    async def list_reports(
        self,
        principal: Caller,
        rt: Rt,
        year: Annotated[int, QueryParameter(ge=2000, le=2100)],
    ) -> ReportList:
        """The workbooks generated for the year; squad roles see their own squad's."""
        return ReportList(await reports.listing(rt.objects, year, principal.scope.squad_id))

    @get("/{month:str}", operation_id="download_monthly_report")
    async def download(
        self, principal: Caller, rt: Rt, month: MonthPath, squad_id: SquadQuery = None
    ) -> Response[bytes]:
        """The month's workbook: the district's (all squads, the ranking) for district
        roles, a squad's with ``squad_id`` or for squad roles. A complete past month not
        generated yet is generated now; the current or a future month is
        ``report_not_found``."""
        squad = principal.scope.narrowed(squad_id).squad_id
        data = await reports.fetch(rt.objects, month, squad)
        if data is None:
            if not 2000 <= int(month[:4]) <= 2100 or not _complete(month):
                raise NotFound("report_not_found", f"no report for {month}")
            await reports.generate(rt.objects, month, squad)
            data = await reports.fetch(rt.objects, month, squad)
            if data is None:
                raise NotFound("report_not_found", f"no report for {month}")
        name = f"{month}-{'district' if squad is None else f'squad-{squad}'}.xlsx"
        return Response(
            data,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @post(
        "/{month:str}",
        operation_id="generate_monthly_report",
        guards=[requires_role(Role.commander, Role.admin)],
    )
    async def regenerate(
        self, rt: Rt, month: MonthPath, squad_id: SquadQuery = None
    ) -> ReportEntry:
        """(Re)generate the month's workbook now (the district's, or one squad's)."""
        if int(month[:4]) < 2000 or int(month[:4]) > 2100:
            raise NotFound("report_not_found", f"no report for {month}")
        return await reports.generate(rt.objects, month, squad_id)
