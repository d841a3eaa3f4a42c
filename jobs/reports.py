"""The monthly report job: last month's workbooks on the 1st (01:30 Shanghai)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage import programmes, reports
from storage.cases import aggregates

SHANGHAI = ZoneInfo("Asia/Shanghai")


def last_month(now: datetime) -> str:
    first = now.astimezone(SHANGHAI).replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year:04d}-{prev.month:02d}"


async def generate_monthly_reports(ctx: dict[str, Any]) -> int:
    """Last month's workbooks, the district's and each squad's (cron: the 1st, 01:30;
    the worker's cron runs in Shanghai time)."""
    now = datetime.now(SHANGHAI)
    month = last_month(now)
    await aggregates.refresh()  # the month's figures as of now, not of the last minute
    await programmes.refresh(month)
    return len(await reports.generate_month(ctx["runtime"].objects, month))
