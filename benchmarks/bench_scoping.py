"""What the jurisdiction guard costs: a case read (whose ``{case_id}`` the guard looks up
before the handler runs) beside ``GET /api/v1/me`` (no owned path parameter: the same
auth and framework, no lookup) and the guard's own statement as raw SQL, in one run.

    .venv/bin/python benchmarks/bench_scoping.py [--requests 2000]

Uses the embedded services of the ``bench`` profile; requests go one at a time over one
keep-alive connection to one granian worker. Prints p50/p99 per request and the share of
a case read that the lookup is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import offsite, serve, wait_up
from offsite import devstack
from storage.seed import DEMO_PASSWORD

PORT = 18110
POINT = {"lng": 121.3994755, "lat": 30.9995505, "coord_type": "wgs84"}


def _times(call: object, n: int) -> list[float]:
    assert callable(call)
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def _raw_lookup(dsn: str, case_id: int, n: int) -> list[float]:
    connection = await asyncpg.connect(dsn)
    try:
        out = []
        for _ in range(n):
            started = time.perf_counter()
            await connection.fetchrow("SELECT squad FROM enforcement_case WHERE id = $1", case_id)
            out.append((time.perf_counter() - started) * 1000)
        return out
    finally:
        await connection.close()


def _row(name: str, times: list[float]) -> str:
    q = statistics.quantiles(times, n=100)
    return f"| {name:<44} | {q[49]:>7.3f} | {q[98]:>7.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    stack = devstack.Stack(ROOT / ".data", "bench")
    env = dict(os.environ, **stack.up().env, OFFSITE_LOG_LEVEL="WARNING", OFFSITE_ENV="bench")
    api = None
    try:
        offsite(env, "migrate")
        offsite(env, "seed")
        api = serve(env, "api.app:create_app", PORT)
        base = f"http://127.0.0.1:{PORT}"
        wait_up(f"{base}/healthz")
        with httpx.Client(base_url=base, timeout=10) as http:
            login = http.post(
                "/api/v1/auth/login",
                json={"username": "officer.jiangchuan1", "password": DEMO_PASSWORD},
            )
            login.raise_for_status()
            http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            case = http.post(
                "/api/v1/cases",
                json={"violation_type": "05-05", "location": POINT, "description": "bench"},
                headers={"Idempotency-Key": f"bench-scoping-{time.time_ns()}"},
            )
            case.raise_for_status()
            case_id = case.json()["id"]
            for _ in range(200):  # warm up both routes
                http.get(f"/api/v1/cases/{case_id}")
                http.get("/api/v1/me")
            detail = _times(
                lambda: http.get(f"/api/v1/cases/{case_id}").raise_for_status(), args.requests
            )
            me = _times(lambda: http.get("/api/v1/me").raise_for_status(), args.requests)
        raw = asyncio.run(_raw_lookup(env["DATABASE_URL"], case_id, args.requests))
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=20)
        stack.stop_started()  # what ran before is someone else's
    print(f"\n{args.requests} sequential requests each, one keep-alive connection, ms\n")
    print(f"| {'what':<44} | {'p50':>7} | {'p99':>7} |")
    print(f"|{'-' * 46}|{'-' * 9}|{'-' * 9}|")
    print(_row("GET /api/v1/cases/{id} (guard looks it up)", detail))
    print(_row("GET /api/v1/me (no owned path parameter)", me))
    print(_row("guard's SELECT squad ... WHERE id = $1, raw", raw))
    share = statistics.median(raw) / statistics.median(detail)
    print(f"\nthe lookup is {share:.0%} of a case read's median")


if __name__ == "__main__":
    main()
