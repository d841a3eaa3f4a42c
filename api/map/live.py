"""Officers' positions live on the console: the doorbell rung after a duty update
commits, and the stream that re-reads the changed officers from the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
from litestar.response import ServerSentEventMessage
from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.map import layers
from api.map.schemas import OfficerLayer
from api.security import Principal
from domain.geo import CoordType
from domain.org import Scope
from storage import live
from storage import map as layer_rows
from storage.ended_sessions import EndedSessions
from storage.live import LiveHub

log = logging.getLogger("offsite.map")
HEARTBEAT_S = 15.0
# Rings that come close together (500 phones every 10 s) are read as one.
COALESCE_S = 0.05
# A change that committed late, with an earlier timestamp than one already read, is
# still found: each read looks back this far and skips what was sent.
LOOK_BACK = timedelta(seconds=5)


async def position_changed(redis: Redis, squad_id: int | None) -> None:
    """Ring the consoles after a position or duty change has committed. A lost ring only
    delays the marker to the stream's next heartbeat, so Redis being away is logged and
    does not fail the phone's request."""
    try:
        await live.ring_positions(redis, squad_id)
    except (RedisError, OSError) as exc:
        log.warning("positions doorbell not rung: %s", exc)


async def officer_events(
    principal: Principal,
    scope: Scope,
    hub: LiveHub,
    coord_type: CoordType,
    ended: EndedSessions | None = None,
) -> AsyncIterator[ServerSentEventMessage | str]:
    """A full snapshot, then the officers changed since, whenever the doorbell rings."""
    sent: dict[int, tuple[datetime, bool]] = {}
    cursor: datetime | None = None  # the latest change read
    with hub.bell([live.positions_channel(scope.squad_id)]) as bell:
        while True:
            session = principal.session
            if ended is not None and session is not None and await ended.has_ended(session):
                return
            bell.clear()  # before reading: a ring during the read is not lost
            first = cursor is None
            since = None if cursor is None else cursor - LOOK_BACK
            rows = await layer_rows.officers(scope, changed_since=since)
            now = datetime.now(UTC)
            fresh = [r for r in rows if sent.get(r["id"]) != (r["changed_at"], r["on_duty"])]
            sent.update((r["id"], (r["changed_at"], r["on_duty"])) for r in fresh)
            cursor = max([r["changed_at"] for r in rows] + ([cursor] if cursor else [now]))
            if fresh or first:
                body = OfficerLayer(
                    coord_type=coord_type,
                    at=now,
                    features=[layers.officer(r, coord_type, now) for r in fresh],
                )
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(body).decode(), event="positions"
                )
            try:
                await asyncio.wait_for(bell.wait(), HEARTBEAT_S)
                await asyncio.sleep(COALESCE_S)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive")
