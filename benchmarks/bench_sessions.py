"""What checking "has this sign-in ended?" costs an authenticated request, beside the
token check it follows (a cached, already verified JWT) measured in the same run; and
what a Redis GET or a PostgreSQL query per request would have cost instead.

    .venv/bin/python benchmarks/bench_sessions.py [--calls 20000] [--ended 1000]

Uses the embedded services of the ``bench`` profile (.data/bench). Prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_cases import stack_env
from benchmarks.harness import offsite
from offsite import devstack


async def per_call_us(calls: int, step: Callable[[], Awaitable[object]]) -> float:
    for _ in range(min(calls, 500)):  # warm-up
        await step()
    started = time.perf_counter()
    for _ in range(calls):
        await step()
    return (time.perf_counter() - started) / calls * 1e6


async def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    import os

    os.environ.update(env)
    offsite(env, "migrate")
    from redis.asyncio import Redis

    from api.security import Principal, VerifiedTokens, issue_access_token
    from domain.org import Role
    from offsite.settings import get_settings
    from storage.db import close_pool, open_pool
    from storage.ended_sessions import EndedSessions, ended_in_database

    settings = get_settings()
    auth = settings.auth
    await open_pool(2, 8)
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    ended = EndedSessions(auth.access_ttl_s + auth.clock_skew_s + 60)
    listener = asyncio.create_task(ended.listen(settings.database.url))
    while not ended.connected:
        await asyncio.sleep(0.01)
    ended.note(uuid.uuid4() for _ in range(args.ended))  # a busy quarter hour of sign-outs
    session = uuid.uuid4()
    token = issue_access_token(Principal(1, Role.officer, 1, session), auth, datetime.now(UTC))
    tokens = VerifiedTokens()
    await redis.set(f"bench:session:{session}", "0")

    async def token_only() -> object:
        return tokens.read(token, auth)

    async def token_and_check() -> object:
        principal = tokens.read(token, auth)
        assert principal.session is not None
        return await ended.has_ended(principal.session)

    async def redis_get() -> object:
        return await redis.get(f"bench:session:{session}")

    async def database_query() -> object:
        return await ended_in_database(session)

    rows = {
        "cached token check (baseline)": await per_call_us(args.calls, token_only),
        "  + ended-session check (set lookup)": await per_call_us(args.calls, token_and_check),
        "  a Redis GET instead": await per_call_us(args.calls // 4, redis_get),
        "  a PostgreSQL query (listener down)": await per_call_us(args.calls // 4, database_query),
    }
    base = rows["cached token check (baseline)"]
    print(f"{'':40} {'µs/request':>11} {'× baseline':>11}")
    for name, us in rows.items():
        print(f"{name:40} {us:11.2f} {us / base:11.2f}")
    listener.cancel()
    await redis.aclose()
    await close_pool()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--ended", type=int, default=1_000)
    args = parser.parse_args()
    stack = devstack.Stack(ROOT / ".data", "bench")
    try:
        await run(args, stack_env(stack))
    finally:
        stack.stop_started()  # what ran before is someone else's


if __name__ == "__main__":
    asyncio.run(main())
