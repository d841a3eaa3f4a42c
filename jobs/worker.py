"""The workers: ``offsite worker`` runs ``WorkerSettings`` (staff work: notifications,
evidence checks, escalations, the outbox pump, nightly jobs), ``offsite worker
--integrations`` runs ``IntegrationWorkerSettings`` (deliveries to integrator-given URLs:
webhooks, status callbacks, pictures), ``offsite worker --vision`` runs
``VisionWorkerSettings`` (camera samples only: the model is loaded once per process, and
vision workers scale apart, e.g. on GPU nodes).

Integrator deliveries have a queue and a worker of their own rather than a limit inside
the default worker: arq counts a job waiting on a semaphore as a running job, so a
limit inside one worker still lets a hung receiver's backlog fill the job slots staff
work needs; a queue of their own gives them slots that nothing else uses, and they
scale (and fail) apart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from arq import Worker, cron, func
from arq.connections import RedisSettings
from arq.worker import get_kwargs
from redis.exceptions import RedisError

from jobs.blocks import score_blocks
from jobs.duty import expire_roll_call, purge_old_positions, settle_roll_calls
from jobs.escalation import escalate_deadlines
from jobs.evidence import CHECK_TRIES, check_evidence, check_stuck_evidence, clean_up_uploads
from jobs.figures import refresh_figures, refresh_programme_figures
from jobs.grading import grade_subjects
from jobs.hotspots import refresh_hotspots, refresh_repeat_places
from jobs.housekeeping import (
    purge_expired_refresh_tokens,
    purge_old_idempotency_records,
    purge_settled_outbox,
)
from jobs.inspections import plan_inspections
from jobs.outbox import deliver_outbox, pump
from jobs.parties import settle_party_deadlines
from jobs.reports import generate_monthly_reports
from jobs.vision import model_path, poll_cameras, sample_camera, state_of
from offsite import logs
from offsite.runtime import open_runtime
from offsite.settings import get_settings

log = logging.getLogger("offsite.jobs")


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_json)
    ctx["runtime"] = await open_runtime(settings)


async def main_startup(ctx: dict[str, Any]) -> None:
    await startup(ctx)
    ctx["pump"] = asyncio.create_task(pump(ctx["runtime"]))


async def shutdown(ctx: dict[str, Any]) -> None:
    if task := ctx.get("pump"):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if runtime := ctx.get("runtime"):
        await runtime.close()


async def vision_startup(ctx: dict[str, Any]) -> None:
    await startup(ctx)
    model = model_path(ctx["runtime"].settings)
    if not model.exists():
        # The rest of the system runs without cameras; say why samples will fail.
        log.error("no detector at %s: set OFFSITE_MODEL_PATH; camera samples will fail", model)
        return
    state_of(ctx)  # load and warm the model before the first sample, not during it


class SteadyWorker(Worker):
    """An arq worker that outlives a Redis outage. arq's poll loop lets a connection
    error end the process (and with it every running job), so a Redis restart would stop
    every worker; this one logs, waits and polls again (redis-py reconnects by itself).
    Jobs lost with Redis's contents are recreated from the database by the pump and the
    stuck-upload scan."""

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            log.warning("redis unreachable (%s); polling again in %.0f s", exc, REDIS_RETRY_S)
            await asyncio.sleep(REDIS_RETRY_S)


REDIS_RETRY_S = 1.0


def run(settings_cls: type, **overrides: Any) -> None:
    """Run the worker that ``settings_cls`` describes until it is told to stop."""
    SteadyWorker(**{**get_kwargs(settings_cls), **overrides}).run()


def redis_settings() -> RedisSettings:
    return RedisSettings.from_dsn(get_settings().redis.url)


class WorkerSettings:
    """arq reads these attributes; the Redis DSN comes from the settings at start-up."""

    functions: ClassVar[list[Any]] = [
        purge_expired_refresh_tokens,
        purge_old_idempotency_records,
        purge_settled_outbox,
        escalate_deadlines,
        func(check_evidence, max_tries=CHECK_TRIES),
        check_stuck_evidence,
        clean_up_uploads,
        poll_cameras,
        settle_party_deadlines,
        grade_subjects,
        plan_inspections,
        score_blocks,
        generate_monthly_reports,
        refresh_hotspots,
        refresh_repeat_places,
        refresh_figures,
        refresh_programme_figures,
        expire_roll_call,
        settle_roll_calls,
        purge_old_positions,
        # Retries are the outbox's own (attempts, back-off, dead); a result kept in Redis
        # would only block the next attempt's job id.
        func(deliver_outbox, keep_result=0, timeout=120),
    ]
    cron_jobs: ClassVar[list[Any]] = [
        cron(purge_expired_refresh_tokens, hour={3}, minute={17}, unique=True, timeout=300),
        cron(purge_old_idempotency_records, hour={3}, minute={27}, unique=True, timeout=600),
        cron(purge_settled_outbox, hour={3}, minute={37}, unique=True, timeout=1800),
        # Every minute (second 0); several workers may run it, the scan skips locked cases.
        cron(escalate_deadlines, second={0}, unique=True, timeout=120, run_at_startup=True),
        cron(check_stuck_evidence, second={30}, unique=True, timeout=300),
        cron(settle_party_deadlines, second={15}, unique=True, timeout=120),
        cron(grade_subjects, hour={2}, minute={30}, unique=True, timeout=3600),
        cron(plan_inspections, hour={6}, minute={0}, unique=True, timeout=3600),
        cron(score_blocks, hour={1}, minute={10}, unique=True, timeout=3600),
        cron(generate_monthly_reports, day={1}, hour={1}, minute={30}, unique=True, timeout=3600),
        cron(refresh_hotspots, minute={30}, unique=True, timeout=1800),
        cron(refresh_repeat_places, minute={35}, unique=True, timeout=1800),
        # The dashboard's day tables: only the days changed since the last run.
        cron(refresh_figures, second={50}, unique=True, timeout=55, run_at_startup=True),
        cron(refresh_programme_figures, minute=set(range(2, 60, 5)), unique=True, timeout=240),
        cron(clean_up_uploads, minute={41}, unique=True, timeout=1800),
        cron(poll_cameras, second=set(range(0, 60, 5)), unique=True, timeout=30),
        # Roll calls past their deadline, whatever happened to their deadline jobs.
        cron(settle_roll_calls, second={45}, unique=True, timeout=60),
        cron(purge_old_positions, hour={3}, minute={47}, unique=True, timeout=1800),
    ]
    on_startup = main_startup
    on_shutdown = shutdown
    # Cron hours are Shanghai's, wherever the worker runs (nightly means the bureau's night).
    timezone = ZoneInfo("Asia/Shanghai")
    queue_name = "offsite:queue"
    # How long an idle worker waits before looking at the queue again: a webhook waits
    # that long at most before it goes out (arq's default is 0.5 s).
    poll_delay = 0.05
    max_jobs = 20
    health_check_interval = 30


class IntegrationWorkerSettings:
    """Deliveries to integrators. Many at a time: each mostly waits on someone else's
    server (at most ``OFFSITE_WEBHOOK_TIMEOUT_S``), and a receiver that hangs holds only
    these slots. The default worker's pump enqueues them (and re-enqueues lost ones)."""

    functions: ClassVar[list[Any]] = [func(deliver_outbox, keep_result=0, timeout=120)]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = "offsite:integrations"
    poll_delay = 0.05
    max_jobs = 50
    health_check_interval = 30


class VisionWorkerSettings:
    """Camera samples only. Few at a time: inference is CPU/GPU-bound, and a backlog is
    better skipped (stale samples) than queued."""

    functions: ClassVar[list[Any]] = [sample_camera]
    on_startup = vision_startup
    on_shutdown = shutdown
    queue_name = "offsite:vision"
    max_jobs = 2
    health_check_interval = 30
