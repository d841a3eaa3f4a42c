"""Fixed-window counters in Redis, shared by every API process."""

from __future__ import annotations

from redis.asyncio import Redis

from domain.errors import RateLimited


async def hit(redis: Redis, key: str, *, limit: int, window_s: int, code: str) -> None:
    """Count one event under ``key``; refuse with ``RateLimited`` past ``limit`` per window."""
    pipe = redis.pipeline(transaction=True)
    # SET NX EX starts the window once; INCR keeps the TTL (EXPIRE NX needs Redis 7).
    pipe.set(key, 0, ex=window_s, nx=True)
    pipe.incr(key)
    pipe.ttl(key)
    _, count, ttl = await pipe.execute()
    if int(count) > limit:
        raise RateLimited(code, "too many attempts; wait and try again", max(int(ttl), 1))
