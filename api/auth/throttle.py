"""Sign-in throttling state in Redis, shared by every API process (the rules are in
``domain.auth.throttle``).

Two counters per attempt: the (account, address) pair and the address. Each is a hash
of ``f`` (failures in a row, counting attempts still being checked) and ``t`` (when the
latest of them started or failed). Admission reads both and reserves the attempt in one
optimistic transaction (WATCH/MULTI), so a burst of parallel guesses is heard one at a
time, as the schedule says, not all at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
from collections.abc import Awaitable
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from domain.auth.throttle import ThrottlePolicy, wait_before_attempt
from domain.errors import RateLimited
from offsite.settings import AuthSettings

_PREFIX = "login:throttle:"
_TRIES = 20  # optimistic retries when another attempt changed a counter meanwhile


class Attempt:
    """One sign-in attempt, admitted: report how it ended with ``failed`` or
    ``succeeded``."""

    def __init__(self, redis: Redis, pair: str, address: str, memory_s: int) -> None:
        self.redis, self.pair, self.address, self.memory_s = redis, pair, address, memory_s

    async def failed(self, now: float) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key in (self.pair, self.address):
            pipe.hset(key, "t", str(now))
        pipe.expire(self.pair, self.memory_s)
        pipe.ttl(self.address)
        await self._bounded(await pipe.execute())

    async def succeeded(self) -> None:
        # The account's failures from here are over; the address's others are not (an
        # account of one's own must not wash an address's guesses away).
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.pair)
        pipe.hincrby(self.address, "f", -1)
        pipe.ttl(self.address)
        await self._bounded(await pipe.execute())

    async def _bounded(self, results: list[object]) -> None:
        # The address's window ended while this attempt ran and the write above began a
        # new key: give it its end, or it would count for ever.
        if results[-1] == -1:
            await self.redis.expire(self.address, self.memory_s)


def _keys(username: str, address: str) -> tuple[str, str]:
    # Hashed: a username is user input of any shape; the key stays short and plain.
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"{_PREFIX}pair:{name}:{address}", f"{_PREFIX}address:{address}"


def policies(auth: AuthSettings) -> tuple[ThrottlePolicy, ThrottlePolicy]:
    """The (pair, address) schedules of the settings."""
    pair = ThrottlePolicy(
        free_failures=auth.login_free_failures,
        base_delay_s=auth.login_delay_base_s,
        max_delay_s=auth.login_delay_max_s,
    )
    address = ThrottlePolicy(
        free_failures=auth.login_address_free_failures,
        base_delay_s=auth.login_delay_base_s,
        max_delay_s=auth.login_delay_max_s,
    )
    return pair, address


async def admit(
    redis: Redis, auth: AuthSettings, username: str, address: str, now: float
) -> Attempt:
    """Let the attempt be heard, or refuse with 429 ``login_throttled`` and the wait."""
    pair_key, address_key = _keys(username, address)
    pair_policy, address_policy = policies(auth)
    for _ in range(_TRIES):
        async with redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(pair_key, address_key)
                pair_f, pair_t = await _read(pipe, pair_key)
                addr_f, addr_t = await _read(pipe, address_key)
                addr_ttl = await cast("Awaitable[int]", pipe.ttl(address_key))
                wait = max(
                    wait_before_attempt(int(pair_f or 0), _at(pair_t), now, pair_policy),
                    wait_before_attempt(int(addr_f or 0), _at(addr_t), now, address_policy),
                )
                if wait > 0:
                    raise RateLimited(
                        "login_throttled",
                        "too many failed sign-ins from here; wait before trying again",
                        max(1, math.ceil(wait)),
                    )
                pipe.multi()  # type: ignore[no-untyped-call]
                for key in (pair_key, address_key):
                    # Counted as a failure until it succeeds: a parallel attempt sees it.
                    pipe.hincrby(key, "f", 1)
                    pipe.hset(key, "t", str(now))
                # A pair's failures are forgotten a while after its last attempt (a
                # guesser who keeps trying keeps waiting); an address's a while after
                # the first (a busy shared address always has attempts: it must not
                # collect its users' typos for ever).
                pipe.expire(pair_key, auth.login_failure_memory_s)
                if addr_ttl < 0:
                    pipe.expire(address_key, auth.login_failure_memory_s)
                await pipe.execute()
                return Attempt(redis, pair_key, address_key, auth.login_failure_memory_s)
            except WatchError:
                # Jittered, so that a burst of attempts does not collide again in step.
                await asyncio.sleep(random.uniform(0, 0.005))
    raise RateLimited("login_throttled", "too many sign-ins at once from here; retry", 1)


async def _read(pipe: Pipeline, key: str) -> list[str | None]:
    # While WATCHing, a pipeline runs commands at once (redis-py types it loosely).
    return await cast("Awaitable[list[str | None]]", pipe.hmget(key, ["f", "t"]))


def _at(value: str | None) -> float | None:
    return float(value) if value is not None else None
