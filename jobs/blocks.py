"""Every night: the 美丽街区 scores of the month so far (and, on the 1st, last month's
final ones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from offsite.runtime import Runtime
from storage.blocks import compute_month

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def score_blocks(ctx: dict[str, Any]) -> str:
    runtime: Runtime = ctx["runtime"]
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI)
    months = [f"{today:%Y-%m}"]
    if today.day == 1:
        months.insert(0, f"{today - timedelta(days=1):%Y-%m}")
    for month in months:
        await compute_month(runtime.block_policy, month, now)
    return ", ".join(months)
