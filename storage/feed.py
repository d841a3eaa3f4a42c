"""The integrators' feed of case changes, relayed from the timeline in commit order.

Timeline ids come from a sequence, so they are handed out in insert order, not commit
order: reading "entries after id N" could skip an entry whose transaction took id N-1
and committed after the reader passed it. The relay avoids that with transaction ids:
every entry records the ``txid`` that wrote it, and the relay takes only entries whose
transaction is below the snapshot horizon (``pg_snapshot_xmin``): every such transaction
has ended, so nothing below the horizon can still appear. It feeds them in timeline
order, one relay at a time (a row lock), and each feed row gets the next ``pos`` — so a
reader's ``after=pos`` cursor can never miss a committed change.

In the same transaction the relay writes the webhook and status-callback outbox rows of
the new entries; so a webhook is as durable as the timeline entry that caused it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.integration.feed import CALLBACK_TOPICS, topic_of
from storage.db import engine
from storage.tables import FeedEntry

RELAY_BATCH = 500


class FeedItem(msgspec.Struct, frozen=True, kw_only=True):
    """One case change as integrators see it (no personal data)."""

    pos: int
    topic: str
    event_id: int
    case_id: int
    number: str
    action: str
    from_state: str | None
    to_state: str
    at: datetime
    violation_type: str
    source: str
    external_id: str | None
    squad_id: int | None


class Relayed(msgspec.Struct, frozen=True):
    items: list[FeedItem]
    more: bool  # a full batch: call again


async def relay(limit: int = RELAY_BATCH) -> Relayed:
    """Feed the timeline entries whose transactions have all ended (one batch)."""
    async with engine().transaction():
        state = await FeedEntry.raw(
            """SELECT low_xid, high_xid, last_event FROM feed_relay WHERE id = 1
               FOR UPDATE SKIP LOCKED"""
        )
        if not state:
            return Relayed([], False)  # another process is relaying right now
        low, high, last = state[0]["low_xid"], state[0]["high_xid"], state[0]["last_event"]
        if high is None:
            horizon = await FeedEntry.raw(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin"
            )
            high = horizon[0]["xmin"]
        rows = await FeedEntry.raw(
            """SELECT e.id, e."case", e.at, e.action, e.from_state, e.to_state,
                      c.number, c.squad, c.source, c.external_id, c.violation_type,
                      c.origin_key
                 FROM case_event e JOIN enforcement_case c ON c.id = e."case"
                WHERE e.txid >= {}::xid8 AND e.txid < {}::xid8 AND e.id > {}
                ORDER BY e.id
                LIMIT {}""",
            int(low),
            int(high),
            last,
            limit,
        )
        more = len(rows) == limit
        items = await _append(rows) if rows else []
        if more:
            await FeedEntry.raw(
                "UPDATE feed_relay SET high_xid = {}, last_event = {} WHERE id = 1",
                high,
                rows[-1]["id"],
            )
        else:
            await FeedEntry.raw(
                "UPDATE feed_relay SET low_xid = {}, high_xid = NULL, last_event = 0 WHERE id = 1",
                high,
            )
    return Relayed(items, more)


async def _append(rows: list[dict[str, Any]]) -> list[FeedItem]:
    """Feed rows for timeline ``rows`` (in order), and their webhook and callback rows."""
    topics = [topic_of(r["action"], r["from_state"], r["to_state"]).value for r in rows]
    payloads = [
        msgspec.json.encode(
            {
                "event_id": r["id"],
                "case_id": r["case"],
                "number": r["number"],
                "action": r["action"],
                "from_state": r["from_state"],
                "to_state": r["to_state"],
                "at": r["at"],
                "violation_type": r["violation_type"],
                "source": r["source"],
                "external_id": r["external_id"],
                "squad_id": r["squad"],
            }
        ).decode()
        for r in rows
    ]
    fed = await FeedEntry.raw(
        """INSERT INTO feed_entry (event, "case", squad, topic, at, payload)
           SELECT * FROM unnest({}::bigint[], {}::bigint[], {}::int[], {}::text[],
                                {}::timestamptz[], {}::jsonb[])
           ORDER BY 1
        RETURNING pos, event, topic, payload""",
        [r["id"] for r in rows],
        [r["case"] for r in rows],
        [r["squad"] for r in rows],
        topics,
        [r["at"] for r in rows],
        payloads,
    )
    first, last = min(f["pos"] for f in fed), max(f["pos"] for f in fed)
    await FeedEntry.raw(
        """INSERT INTO outbox (kind, topic, "case", target, payload, dedup_key, status,
                               attempts, next_attempt_at, created_at)
           SELECT 'webhook', f.topic, f."case", s.id,
                  f.payload || jsonb_build_object('pos', f.pos, 'topic', f.topic),
                  'webhook:' || s.id || ':' || f.pos, 'pending', 0, now(), now()
             FROM feed_entry f
             JOIN webhook_subscription s ON s.active AND f.topic = ANY(s.topics)
             JOIN integrator_key k ON k.id = s.key AND k.revoked_at IS NULL
            WHERE f.pos BETWEEN {} AND {}
           ON CONFLICT (dedup_key) DO NOTHING""",
        first,
        last,
    )
    await FeedEntry.raw(
        """INSERT INTO outbox (kind, topic, "case", target, payload, dedup_key, status,
                               attempts, next_attempt_at, created_at)
           SELECT 'callback', f.topic, f."case", k.id,
                  f.payload || jsonb_build_object('pos', f.pos, 'topic', f.topic),
                  'callback:' || k.id || ':' || f.pos, 'pending', 0, now(), now()
             FROM feed_entry f
             JOIN enforcement_case c ON c.id = f."case"
             JOIN integrator_key k ON k.id = c.origin_key
            WHERE f.pos BETWEEN {} AND {} AND f.topic = ANY({}::text[])
              AND k.callback_url IS NOT NULL AND k.revoked_at IS NULL
           ON CONFLICT (dedup_key) DO NOTHING""",
        first,
        last,
        sorted(CALLBACK_TOPICS),
    )
    return [_item(f["pos"], f["topic"], f["payload"]) for f in fed]


def _item(pos: int, topic: str, payload: str | dict[str, Any]) -> FeedItem:
    data = msgspec.json.decode(payload) if isinstance(payload, str) else payload
    return msgspec.convert({**data, "pos": pos, "topic": topic}, FeedItem, strict=False)


async def read(after: int, limit: int, squad: int | None = None) -> list[FeedItem]:
    """Feed entries after ``pos`` (optionally of one squad), oldest first."""
    where = "pos > {}" + (" AND squad = {}" if squad is not None else "")
    args: list[object] = [after, *([squad] if squad is not None else [])]
    rows = await FeedEntry.raw(
        f"SELECT pos, topic, payload FROM feed_entry WHERE {where} ORDER BY pos LIMIT {{}}",
        *args,
        limit,
    )
    return [_item(r["pos"], r["topic"], r["payload"]) for r in rows]


async def head() -> int:
    """The newest ``pos`` (0 when the feed is empty)."""
    rows = await FeedEntry.raw("SELECT coalesce(max(pos), 0) AS pos FROM feed_entry")
    return int(rows[0]["pos"])
