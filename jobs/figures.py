"""Every minute: recompute the days of the dashboard's figures that changed since the last
refresh (``storage.cases.aggregates``); the dashboard reads them with this watermark."""

from __future__ import annotations

from typing import Any

from storage.cases.aggregates import refresh


async def refresh_figures(ctx: dict[str, Any]) -> str:
    done = await refresh()
    return f"{done.days} day(s) as of {done.refreshed_at.isoformat()}"
