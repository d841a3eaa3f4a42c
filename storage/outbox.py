"""Outbox rows on their way out: which are due, who is delivering one, how it ended.

A delivery first *claims* its row: a lease (``lease_until``) and ``attempts + 1``,
committed before anything is sent. A worker that dies mid-delivery leaves the lease to
run out; the row is then due again under a new attempt number, so the job that retries
it has a new job id. Receivers get the row id as the idempotency key of every attempt,
so a delivery retried after a crash is not applied twice where they honour it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec

from domain.integration.feed import backoff_s
from storage.tables import Outbox


class Status(StrEnum):
    pending = "pending"
    delivered = "delivered"
    skipped = "skipped"  # nothing to do (no recipient, no subscription left, …)
    dead = "dead"  # the last attempt failed


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    topic: str
    recipient: int | None
    recipient_role: str | None
    case: int | None
    target: int | None
    payload: dict[str, Any]
    attempts: int


class Due(msgspec.Struct, frozen=True):
    id: int
    attempts: int
    kind: str


async def due(
    now: datetime, kinds: Collection[str], *, other_kinds: bool = False, limit: int = 1000
) -> list[Due]:
    """Pending rows of ``kinds`` (or, with ``other_kinds``, of every kind but those) whose
    time has come and that nobody holds, oldest first. Scanned apart per queue, so a
    backlog of one kind's rows beyond ``limit`` never hides another kind's."""
    rows = await Outbox.raw(
        """SELECT id, attempts, kind FROM outbox
            WHERE status = 'pending' AND next_attempt_at <= {}
              AND (lease_until IS NULL OR lease_until < {})
              AND (kind = ANY({}::text[])) <> {}
            ORDER BY next_attempt_at, id
            LIMIT {}""",
        now,
        now,
        sorted(kinds),
        other_kinds,
        limit,
    )
    return [Due(r["id"], r["attempts"], r["kind"]) for r in rows]


async def claim(outbox_id: int, now: datetime, lease_s: float) -> Claimed | None:
    """Take a due row for one attempt; None when it is not due, done, or held."""
    rows = await Outbox.raw(
        """UPDATE outbox SET attempts = attempts + 1, lease_until = {}
            WHERE id = {} AND status = 'pending' AND next_attempt_at <= {}
              AND (lease_until IS NULL OR lease_until < {})
        RETURNING id, kind, topic, recipient, recipient_role, "case", target, payload,
                  attempts""",
        now + timedelta(seconds=lease_s),
        outbox_id,
        now,
        now,
    )
    if not rows:
        return None
    row = rows[0]
    payload = row["payload"]
    return Claimed(
        id=row["id"],
        kind=row["kind"],
        topic=row["topic"],
        recipient=row["recipient"],
        recipient_role=row["recipient_role"],
        case=row["case"],
        target=row["target"],
        payload=msgspec.json.decode(payload) if isinstance(payload, str) else payload,
        attempts=row["attempts"],
    )


async def settle(
    outbox_id: int, attempt: int, status: Status, now: datetime, note: str | None = None
) -> bool:
    """Attempt ``attempt`` ended for good: delivered or skipped. False when that attempt
    no longer holds the row (its lease ran out and another attempt took it)."""
    rows = await Outbox.raw(
        """UPDATE outbox SET status = {}, delivered_at = {}, lease_until = NULL,
                  last_error = coalesce({}, last_error)
            WHERE id = {} AND attempts = {} AND status = 'pending'
        RETURNING id""",
        status.value,
        now,
        note,
        outbox_id,
        attempt,
    )
    return bool(rows)


async def failed(
    outbox_id: int, attempts: int, error: str, now: datetime, max_attempts: int
) -> tuple[str, datetime | None]:
    """The attempt failed: try again after the back-off, or give up (``dead``) after the
    last attempt. ("retry", when), ("dead", None), or ("superseded", None) when this
    attempt no longer holds the row."""
    dead = attempts >= max_attempts
    next_at = now + timedelta(seconds=backoff_s(attempts))
    rows = await Outbox.raw(
        """UPDATE outbox SET status = {}, lease_until = NULL, next_attempt_at = {},
                  last_error = {}
            WHERE id = {} AND attempts = {} AND status = 'pending'
        RETURNING id""",
        (Status.dead if dead else Status.pending).value,
        next_at,
        error[:1000],
        outbox_id,
        attempts,
    )
    if not rows:
        return "superseded", None
    return ("dead", None) if dead else ("retry", next_at)


class OutboxRow(msgspec.Struct, frozen=True, kw_only=True):
    """An outbox row as operators see it (payloads stay inside: they may hold numbers)."""

    id: int
    kind: str
    topic: str
    case_id: int | None
    status: Status
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None


async def listing(status: Status, kind: str | None, after_id: int, limit: int) -> list[OutboxRow]:
    """Rows of a status (dead ones, to look into), oldest first."""
    rows = await Outbox.raw(
        """SELECT id, kind, topic, "case" AS case_id, status, attempts, next_attempt_at,
                  created_at, delivered_at, last_error
             FROM outbox WHERE status = {} AND ({}::text IS NULL OR kind = {}) AND id > {}
            ORDER BY id LIMIT {}""",
        status.value,
        kind,
        kind,
        after_id,
        limit,
    )
    return [msgspec.convert(r, OutboxRow) for r in rows]


async def retry(outbox_id: int, now: datetime) -> OutboxRow | None:
    """Give a dead row a fresh set of attempts (after the receiver was fixed)."""
    rows = await Outbox.raw(
        """UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = {},
                  lease_until = NULL
            WHERE id = {} AND status = 'dead'
        RETURNING id, kind, topic, "case" AS case_id, status, attempts, next_attempt_at,
                  created_at, delivered_at, last_error""",
        now,
        outbox_id,
    )
    return msgspec.convert(rows[0], OutboxRow) if rows else None


async def purge(settled_before: datetime, dead_before: datetime, batch: int = 5000) -> int:
    """Delete delivered and skipped rows written before ``settled_before`` and dead rows
    written before ``dead_before`` (their payloads may hold phone numbers); pending rows
    stay whatever their age. Walks the table once in id order, a batch per statement, so
    no long transaction holds back the feed relay's horizon. Returns how many went."""
    oldest_kept = max(settled_before, dead_before)
    purged, after = 0, 0
    while True:
        rows = await Outbox.raw(
            """WITH batch AS (
                   SELECT id, status, created_at FROM outbox
                    WHERE id > {} AND created_at < {}
                    ORDER BY id LIMIT {}
               ), gone AS (
                   DELETE FROM outbox o USING batch b
                    WHERE o.id = b.id
                      AND ((b.status IN ('delivered', 'skipped') AND b.created_at < {})
                           OR (b.status = 'dead' AND b.created_at < {}))
                   RETURNING o.id
               )
               SELECT (SELECT max(id) FROM batch) AS last,
                      (SELECT count(*) FROM gone) AS gone""",
            after,
            oldest_kept,
            batch,
            settled_before,
            dead_before,
        )
        if rows[0]["last"] is None:
            return purged
        after, purged = rows[0]["last"], purged + rows[0]["gone"]
