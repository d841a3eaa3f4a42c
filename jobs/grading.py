"""The nightly grading of every subject (分类分级), and its figures in the log."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from offsite.runtime import Runtime
from storage.cases import catalogue
from storage.grading import GradingRun, grade_all

log = logging.getLogger("offsite.jobs")


async def grade_subjects(ctx: dict[str, Any]) -> str:
    """Recompute every subject's grade from its violations in the policy's window."""
    runtime: Runtime = ctx["runtime"]
    started = time.perf_counter()
    run: GradingRun = await grade_all(
        runtime.grading_policy, await catalogue.severities(), datetime.now(UTC)
    )
    log.info(
        "graded subjects",
        extra={
            **{k: getattr(run, k) for k in run.__struct_fields__},
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    return f"{run.subjects} subjects, {run.violations} violations, {run.changed} changed"
