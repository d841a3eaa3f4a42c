"""Hourly: the hotspots of the current ISO week so far (on Monday, the 00:xx run, also the
week just completed, so its final figures include Sunday's late cases); and the repeat
places of the last 7, 30 and 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage import repeat_places
from storage.hotspots import SHANGHAI, monday_of, refresh_week


async def refresh_hotspots(ctx: dict[str, Any]) -> str:
    now = datetime.now(UTC).astimezone(SHANGHAI)
    current = monday_of(now.date())
    weeks = [current]
    if now.weekday() == 0 and now.hour == 0:
        weeks.insert(0, current - timedelta(days=7))
    written = [await refresh_week(w) for w in weeks]
    return ", ".join(f"{w}: {n}" for w, n in zip(weeks, written, strict=True))


async def refresh_repeat_places(ctx: dict[str, Any]) -> str:
    """Find the repeat places (高发点位) of the last 7, 30 and 90 days again."""
    return f"{await repeat_places.refresh()} repeat places"
