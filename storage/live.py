"""Live updates across processes: Redis pub/sub as a doorbell, the database as the record.

Workers publish a short message when a user's inbox or a squad's board gets something
new; every API process holds one pattern subscription and rings the streams that care.
A stream then reads what is new *from the database* after its cursor, so a message lost
or reordered on the way costs latency, never an event; streams also re-read on their
heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from storage.feed import FeedItem
from storage.inbox import NotificationItem

log = logging.getLogger("offsite.live")
PREFIX = "offsite:live:"
DISTRICT = "district"


def user_channel(user: int) -> str:
    return f"{PREFIX}user:{user}"


def board_channel(squad: int | None) -> str:
    return f"{PREFIX}squad:{squad}" if squad is not None else f"{PREFIX}{DISTRICT}"


def positions_channel(squad: int | None) -> str:
    """Officers' positions of a squad (None: of the district) changed: the console map."""
    return f"{PREFIX}positions:squad:{squad}" if squad is not None else f"{PREFIX}positions:all"


async def ring_positions(redis: Redis, squad: int | None) -> None:
    """The doorbell after a position or duty change committed: the squad's console
    streams and the district's re-read the officers from the database."""
    if squad is not None:
        await redis.publish(positions_channel(squad), "positions")
    await redis.publish(positions_channel(None), "positions")


async def publish_notifications(
    redis: Redis, items: Iterable[tuple[int, NotificationItem]]
) -> None:
    for user in sorted({user for user, _ in items}):
        await redis.publish(user_channel(user), "inbox")


async def publish_feed(redis: Redis, items: Iterable[FeedItem]) -> None:
    squads = {item.squad_id for item in items}
    for squad in squads:
        if squad is not None:
            await redis.publish(board_channel(squad), "board")
    if squads:
        await redis.publish(board_channel(None), "board")


class LiveHub:
    """One process's subscription to every live channel, ringing the waiting streams."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._bells: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def bell(self, channels: Iterable[str]) -> Iterator[asyncio.Event]:
        """An event set whenever one of ``channels`` is published to (clear it yourself)."""
        event = asyncio.Event()
        names = list(channels)
        for name in names:
            self._bells.setdefault(name, set()).add(event)
        try:
            yield event
        finally:
            for name in names:
                bells = self._bells.get(name)
                if bells is not None:
                    bells.discard(event)
                    if not bells:
                        del self._bells[name]

    def _ring(self, channel: str) -> None:
        for event in self._bells.get(channel, ()):
            event.set()

    def _ring_all(self) -> None:
        for bells in self._bells.values():
            for event in bells:
                event.set()

    async def run(self) -> None:
        """Hold the subscription for the life of the process (run as a task)."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.psubscribe(PREFIX + "*")
                self._ring_all()  # anything missed while away: let every stream re-read
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                    if message is not None:
                        self._ring(str(message["channel"]))
            except (RedisError, OSError) as exc:
                log.warning("live subscription lost: %s; retrying", exc)
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(1.0)
