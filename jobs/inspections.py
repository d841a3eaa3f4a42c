"""Every morning: plan the day's routine inspections (日常检查) from the subjects' grades."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from offsite.runtime import Runtime
from storage.inspections import plan_day

log = logging.getLogger("offsite.jobs")
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def plan_inspections(ctx: dict[str, Any]) -> str:
    runtime: Runtime = ctx["runtime"]
    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    planned = await plan_day(runtime.cases, runtime.grading_policy, today, now)
    log.info(
        "planned inspections", extra={k: getattr(planned, k) for k in planned.__struct_fields__}
    )
    return f"{planned.created} inspections"
