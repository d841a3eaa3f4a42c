"""Every minute: recompute the days of the dashboard's figures that changed since the last
refresh (``storage.cases.aggregates``); the dashboard reads them with this watermark.
Every five minutes: the programmes' figures of this month and the last
(``storage.programmes``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage import programmes
from storage.cases.aggregates import refresh

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def refresh_figures(ctx: dict[str, Any]) -> str:
    done = await refresh()
    return f"{done.days} day(s) as of {done.refreshed_at.isoformat()}"


async def refresh_programme_figures(ctx: dict[str, Any]) -> str:
    first = datetime.now(UTC).astimezone(SHANGHAI).replace(day=1)
    months = [f"{first - timedelta(days=1):%Y-%m}", f"{first:%Y-%m}"]
    for month in months:
        await programmes.refresh(month)
    return ", ".join(months)
