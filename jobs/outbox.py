"""Getting outbox rows out: the pump that finds them, and the job that delivers one.

The pump (one task per worker process) listens for PostgreSQL's commit-time notices of
new timeline entries and outbox rows; on a notice, and every ``reconcile_every_s`` in
any case, it relays the timeline into the integrator feed (``storage.feed.relay``) and
enqueues a ``deliver_outbox`` job for every due row, with the job id
``outbox:<row>:<attempts>``: one job per attempt, however many pumps see the row. The
database is the only record of what is owed; flushing Redis loses queued jobs, and the
next scan enqueues them again.

Deliveries to integrators (webhooks, status callbacks, pictures fetched from their URLs)
go to a queue of their own, served by the integrations worker: a receiver that hangs
then holds only that worker's job slots, and staff notifications, evidence checks and
escalations on the default queue never wait behind an integrator's backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import msgspec
from redis.exceptions import RedisError

from domain.errors import Unavailable
from domain.evidence import Kind
from integrations.camera_http import FrameError, fetch_snapshot
from integrations.outbound import TargetRefused, ensure_public
from integrations.webhooks import DeliveryFailed, post_signed
from jobs import parties, wechat
from offsite.runtime import Runtime
from offsite.settings import Settings
from storage import alerts, feed, inbox, live, outbox, webhooks
from storage.db import engine
from storage.media import MediaFetch
from storage.outbox import Claimed, Status
from vision.annotate import annotate

log = logging.getLogger("offsite.outbox")
CHANNELS = ("offsite_case_event", "offsite_outbox")

Outcome = tuple[Status, str | None]


class Superseded(Exception):
    """This attempt's lease ran out and another attempt took the row over."""


Deliverer = Callable[[Runtime, Claimed, datetime], Awaitable[Outcome]]


async def deliver_outbox(ctx: dict[str, Any], outbox_id: int) -> str:
    """One delivery attempt of one outbox row (the job)."""
    runtime: Runtime = ctx["runtime"]
    settings = runtime.settings.outbox
    row = await outbox.claim(outbox_id, datetime.now(UTC), settings.lease_s)
    if row is None:
        return "not due"  # delivered, dead, held by another attempt, or not yet due
    deliverer = DELIVERERS.get(row.kind)
    try:
        if deliverer is None:
            raise DeliveryFailed(f"no deliverer for kind {row.kind!r}")
        status, note = await deliverer(runtime, row, datetime.now(UTC))
    except Superseded:
        return "superseded"
    except (DeliveryFailed, Unavailable) as exc:
        return await _failed(runtime, row, str(exc))
    except Exception as exc:  # a bug must not lose the row: it is retried, then dead
        log.exception("outbox %s (%s) failed unexpectedly", row.id, row.kind)
        return await _failed(runtime, row, f"{type(exc).__name__}: {exc}")
    if row.kind in SETTLED_BY_DELIVERER:
        return status.value
    if not await outbox.settle(row.id, row.attempts, status, datetime.now(UTC), note):
        return "superseded"  # this attempt outlived its lease; another one owns the row
    return status.value


async def _failed(runtime: Runtime, row: Claimed, error: str) -> str:
    settings = runtime.settings.outbox
    outcome, next_at = await outbox.failed(
        row.id, row.attempts, error, datetime.now(UTC), settings.max_attempts
    )
    if outcome == "dead":
        log.warning(
            "outbox %s (%s) is dead after %d attempts: %s", row.id, row.kind, row.attempts, error
        )
        given_up = ON_DEAD.get(row.kind)
        if given_up is not None:
            await given_up(runtime, row, datetime.now(UTC))
    if next_at is None:
        return outcome
    await runtime.queue.enqueue_job(
        "deliver_outbox",
        row.id,
        _job_id=f"outbox:{row.id}:{row.attempts}",
        _defer_until=next_at,
        _queue_name=queue_for(runtime.settings, row.kind),
    )
    return "retry"


# Kinds delivered to integrator-given URLs: their time is the integrator's, not staff's.
INTEGRATOR_KINDS = frozenset({"webhook", "callback", "fetch"})


def queue_for(settings: Settings, kind: str) -> str:
    """The arq queue that delivers rows of ``kind``."""
    if kind in INTEGRATOR_KINDS:
        return settings.redis.integrations_queue_name
    return settings.redis.queue_name


# --- the deliverers, by outbox kind ---------------------------------------------------


async def _notification(runtime: Runtime, row: Claimed, now: datetime) -> Outcome:
    """Into the recipients' inboxes, live to their open streams, and on to WeChat."""
    fanned = await inbox.fan_out(row, wechat.templates(runtime.settings.wechat), now)
    await live.publish_notifications(runtime.redis, fanned.items)
    if not fanned.recipients:
        return Status.skipped, "nobody to tell"
    return Status.delivered, None


async def _webhook(runtime: Runtime, row: Claimed, now: datetime) -> Outcome:
    target = await webhooks.webhook_target(row.target or 0)
    if target is None:
        return Status.skipped, "the subscription has ended"
    return await _post(runtime, row, target)


async def _callback(runtime: Runtime, row: Claimed, now: datetime) -> Outcome:
    target = await webhooks.callback_target(row.target or 0)
    if target is None:
        return Status.skipped, "the key has no callback URL"
    return await _post(runtime, row, target)


# A receiver that did not answer is not called again for this long (by any worker): the
# deliveries owed to it fail at once and back off, instead of each holding one of the
# integrations worker's job slots for a whole timeout.
UNREACHABLE_PAUSE_S = 30
# A picture URL that gave these did not answer (the others did, with something unusable).
UNREACHABLE_FRAME_REASONS = frozenset({"timeout", "unreachable"})


@contextlib.asynccontextmanager
async def _origin_guard(runtime: Runtime, url: str, timeout_s: float) -> AsyncIterator[None]:
    """One attempt at an integrator-given URL: refused at once while its origin is paused;
    otherwise the SSRF check (a DNS lookup, which can be as slow as the receiver: it runs
    in a small thread pool) and the request together get ``timeout_s``, and an origin
    that does not answer in time, or at all, is paused for everyone."""
    parts = urlsplit(url)
    paused = f"offsite:receiver-down:{parts.scheme}://{parts.netloc}"
    if await runtime.redis.exists(paused):
        raise DeliveryFailed(f"{parts.netloc} did not answer moments ago; not called again yet")
    try:
        async with asyncio.timeout(timeout_s):
            try:
                await ensure_public(url, runtime.settings.private_targets_allowed)
            except TargetRefused as exc:
                raise DeliveryFailed(str(exc)) from exc
            yield
    except TimeoutError as exc:
        await runtime.redis.set(paused, "1", ex=UNREACHABLE_PAUSE_S)
        raise DeliveryFailed(f"no answer within {timeout_s:g} s", unreachable=True) from exc
    except DeliveryFailed as exc:
        if exc.unreachable:
            await runtime.redis.set(paused, "1", ex=UNREACHABLE_PAUSE_S)
        raise


async def _post(runtime: Runtime, row: Claimed, target: webhooks.Target) -> Outcome:
    timeout_s = runtime.settings.outbox.webhook_timeout_s
    async with _origin_guard(runtime, target.url, timeout_s):
        await post_signed(
            runtime.outbound,
            target.url,
            target.secret,
            msgspec.json.encode(row.payload),
            delivery_id=f"offsite-{row.id}",
            topic=row.topic,
            timeout_s=timeout_s,
        )
    return Status.delivered, None


async def _fetch(runtime: Runtime, row: Claimed, now: datetime) -> Outcome:
    """An integrator's picture, from its URL into the case's evidence (settled in the
    same transaction, so a retry after a crash never attaches it twice)."""
    fetch = msgspec.convert(row.payload, MediaFetch)
    timeout_s = runtime.settings.outbox.webhook_timeout_s
    async with _origin_guard(runtime, fetch.url, timeout_s):
        try:
            data = await fetch_snapshot(
                runtime.outbound,
                fetch.url,
                max_bytes=runtime.settings.outbox.media_max_bytes,
                timeout_s=timeout_s,
            )
        except FrameError as exc:
            unreachable = exc.reason in UNREACHABLE_FRAME_REASONS
            raise DeliveryFailed(f"{fetch.url}: {exc.reason}", unreachable=unreachable) from exc
    if row.case is None:
        return Status.skipped, "no case"
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    flags = await alerts.camera_flags(fetch.camera_id) if fetch.kind is Kind.camera_frame else ()
    detail = {**fetch.detail, "url": fetch.url}
    drawn = (
        await asyncio.to_thread(annotate, data, fetch.boxes, [], fetch.caption)
        if fetch.boxes
        else None
    )
    async with engine().transaction():
        await alerts.attach_frame(
            runtime.objects, row.case, fetch.kind, data, content_type, detail, now, flags
        )
        if drawn is not None:
            await alerts.attach_frame(
                runtime.objects,
                row.case,
                Kind.annotated_frame,
                drawn,
                "image/jpeg",
                detail,
                now,
                flags,
            )
        if not await outbox.settle(row.id, row.attempts, Status.delivered, now):
            raise Superseded(row.id)  # roll the attachment back: another attempt owns it
    return Status.delivered, None


# Kinds whose deliverer settles the row in the transaction of its own writes.
SETTLED_BY_DELIVERER = frozenset({"fetch"})

DELIVERERS: dict[str, Deliverer] = {
    "notification": _notification,
    "webhook": _webhook,
    "callback": _callback,
    "fetch": _fetch,
    "wechat": wechat.deliver,
    "sms": parties.deliver_sms,
}

# What a kind's last failed attempt means for the case it serves. A dead SMS notice is a
# party nobody told: the case must not wait out a deadline the party never heard of.
ON_DEAD: dict[str, Callable[[Runtime, Claimed, datetime], Awaitable[None]]] = {
    "sms": parties.notice_not_delivered,
}


# --- the pump ---------------------------------------------------------------------------


async def relay_feed(runtime: Runtime) -> int:
    """Relay the timeline into the feed until it is caught up; publish to live boards."""
    total = 0
    while True:
        relayed = await feed.relay()
        if relayed.items:
            await live.publish_feed(runtime.redis, relayed.items)
        total += len(relayed.items)
        if not relayed.more:
            return total


async def enqueue_due(runtime: Runtime) -> int:
    """Enqueue one delivery job per due outbox row (existing job ids are left alone)."""
    queued = 0
    now = datetime.now(UTC)
    # Staff rows first and on a scan of their own: a thousand integrator rows waiting for
    # a receiver must not fill the scan's limit while a staff notification waits behind.
    staff = await outbox.due(now, INTEGRATOR_KINDS, other_kinds=True)
    for row in [*staff, *await outbox.due(now, INTEGRATOR_KINDS)]:
        job = await runtime.queue.enqueue_job(
            "deliver_outbox",
            row.id,
            _job_id=f"outbox:{row.id}:{row.attempts}",
            _queue_name=queue_for(runtime.settings, row.kind),
        )
        queued += job is not None
    return queued


async def pump(runtime: Runtime) -> None:
    """Relay and enqueue on every commit notice, and every ``reconcile_every_s`` anyway;
    runs for the life of the worker process."""
    wake = asyncio.Event()
    every = runtime.settings.outbox.reconcile_every_s
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(runtime.settings.database.url)
            for channel in CHANNELS:
                await conn.add_listener(channel, lambda *_: wake.set())
            while not conn.is_closed():
                wake.clear()
                await relay_feed(runtime)
                await enqueue_due(runtime)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), every)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, RedisError) as exc:
            log.warning("outbox pump interrupted: %s; retrying", exc)
        except Exception:  # the pump must outlive any one bad pass: log it and go on
            log.exception("outbox pump pass failed; retrying")
        finally:
            if conn is not None:
                conn.terminate()
        await asyncio.sleep(1.0)
