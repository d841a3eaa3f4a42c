"""Hourly: the hotspots of the current ISO week so far; on Monday (the 00:xx run) also the
week just completed, so its final figures include Sunday's late cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.hotspots import SHANGHAI, monday_of, refresh_week


async def refresh_hotspots(ctx: dict[str, Any]) -> str:
    now = datetime.now(UTC).astimezone(SHANGHAI)
    current = monday_of(now.date())
    weeks = [current]
    if now.weekday() == 0 and now.hour == 0:
        weeks.insert(0, current - timedelta(days=7))
    written = [await refresh_week(w) for w in weeks]
    return ", ".join(f"{w}: {n}" for w, n in zip(weeks, written, strict=True))
