"""Which WeChat subscribe templates a user has no subscription left for (errcode 43101).

Kept in Redis: losing it costs one refused send, which writes it again.
"""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

_KEY = "offsite:wechat:exhausted:{user}:{template}"


async def exhausted(redis: Redis, user: int, template: str) -> bool:
    return bool(await redis.exists(_KEY.format(user=user, template=template)))


async def remember_exhausted(redis: Redis, user: int, template: str, now: datetime) -> None:
    await redis.set(_KEY.format(user=user, template=template), now.isoformat())


async def subscribed(redis: Redis, user: int, templates: list[str]) -> None:
    """The user accepted these templates on the phone (``wx.requestSubscribeMessage``)."""
    if templates:
        await redis.delete(*(_KEY.format(user=user, template=t) for t in templates))
