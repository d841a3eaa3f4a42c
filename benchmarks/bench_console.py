"""The command console's map for a district with 100,000 open cases and 500 officers
sending a position every 10 s, in Chromium at 1920×1080.

    .venv/bin/python benchmarks/bench_console.py [--cases 100000] [--officers 500]
        [--seconds 60] [--loads 3] [--requests 200] [--profile bench]

Starts the embedded services of the ``bench`` profile and one API process (granian),
fills the district with open cases spread over Minhang (SQL, once) and bench officers,
then measures, in the same run:

- time to the first full map: a cold load of ``/app/console`` as the command centre
  until the 14 squads, the case layer (clusters of all 100,000) and the live officer
  stream are all on screen;
- position → marker: while every officer sends ``PUT /api/v1/me/duty`` every 10 s
  (50 a second), the time from a request's start to the browser moving that officer's
  marker (a MutationObserver on the markers; one machine, one clock), p50/p99;
- ``GET /api/v1/map/cases`` (the whole district, zoom 12: clusters) through the API
  beside the same grid aggregation run bare on asyncpg, p50/p99 and their ratio.

Goals: first map ≤ 2 s, position → marker p99 ≤ 1 s, the API's GeoJSON ≤ 2× the bare
query. Prints a table; nothing asserts on timings.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.harness import offsite, serve, wait_up
from offsite import devstack

API_PORT = 18140
# Minhang's extent (the seed's squads), WGS-84: where the bench cases and officers are.
WEST, EAST, SOUTH, NORTH = 121.27, 121.56, 30.98, 31.24
DISTRICT_BBOX = f"{WEST},{SOUTH},{EAST},{NORTH}"
OPEN_STATES = ["pending_triage", "dispatched", "in_progress", "awaiting_rectification",
               "filed", "pending_review"]  # fmt: skip

MOVES = """() => {
  window.__moves = [];
  const seen = new WeakSet();
  const observe = (el) => {
    if (seen.has(el)) return;
    seen.add(el);
    new MutationObserver(() => {
      const id = el.querySelector('[data-officer-id]')?.dataset.officerId;
      if (id) window.__moves.push([Number(id), Date.now()]);
    }).observe(el, { attributes: true, attributeFilter: ['style'] });
  };
  document.querySelectorAll('.officer-marker').forEach(observe);
  new MutationObserver(() => document.querySelectorAll('.officer-marker').forEach(observe))
    .observe(document.querySelector('.leaflet-marker-pane'), { childList: true });
}"""


async def fill(dsn: str, cases: int, officers: int) -> None:
    """Open cases spread over the district and bench officers (once: kept between runs)."""
    import asyncpg

    db = await asyncpg.connect(dsn)
    try:
        have = await db.fetchval("SELECT count(*) FROM enforcement_case WHERE number LIKE 'BC%'")
        if have < cases:
            template = await db.fetchval("SELECT id FROM enforcement_case ORDER BY id LIMIT 1")
            columns = [
                r["column_name"]
                for r in await db.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name = 'enforcement_case' AND column_name <> 'id'"
                    " ORDER BY ordinal_position"
                )
            ]
            made = {
                "number": "'BC' || lpad(g::text, 8, '0')",
                "external_id": "NULL",
                "lng": f"{WEST} + random() * {EAST - WEST}",
                "lat": f"{SOUTH} + random() * {NORTH - SOUTH}",
                "state": f"(ARRAY{OPEN_STATES})[1 + g % {len(OPEN_STATES)}]",
                "overdue": "g % 7 = 0",
            }
            values = ", ".join(made.get(c, f'"{c}"') for c in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            await db.execute(
                f"INSERT INTO enforcement_case ({names}) SELECT {values}"
                f" FROM enforcement_case, generate_series({have + 1}, {cases}) AS g"
                f" WHERE id = {template}"
            )
        # As autovacuum leaves a settled table: the index-only scans need the visibility map.
        await db.execute("VACUUM (ANALYZE) enforcement_case")
        have = await db.fetchval("SELECT count(*) FROM staff_user WHERE username LIKE 'bc.%'")
        if have < officers:
            squads = [r["id"] for r in await db.fetch("SELECT id FROM squad ORDER BY id")]
            for n in range(have, officers):
                await db.execute(
                    "INSERT INTO staff_user (username, display_name, role, squad, is_active,"
                    " on_duty, created_at, updated_at)"
                    " VALUES ($1, $2, 'officer', $3, true, false, now(), now())",
                    f"bc.{n}",
                    f"队员{n:03d}",
                    squads[n % len(squads)],
                )
    finally:
        await db.close()


async def tokens(dsn: str, officers: int) -> tuple[list[tuple[int, str]], str]:
    import asyncpg

    from api.security import Principal, issue_access_token
    from domain.org import Role
    from offsite.settings import get_settings

    auth = get_settings().auth
    now = datetime.now(UTC)
    db = await asyncpg.connect(dsn)
    try:
        rows = await db.fetch(
            "SELECT id, squad FROM staff_user WHERE username LIKE 'bc.%' ORDER BY id LIMIT $1",
            officers,
        )
        commander = await db.fetchval("SELECT id FROM staff_user WHERE username = 'commander'")
    finally:
        await db.close()
    mint = lambda p: issue_access_token(p, auth, now)  # noqa: E731
    out = [
        (r["id"], mint(Principal(r["id"], Role.officer, r["squad"], uuid.uuid4()))) for r in rows
    ]
    return out, mint(Principal(commander, Role.commander, None, uuid.uuid4()))


def session_script(token: str, user_id: int) -> str:
    session = {
        "accessToken": token,
        "refreshToken": "bench",
        "expiresAt": int(time.time() * 1000) + 15 * 60 * 1000,
        "user": {"id": user_id, "username": "commander", "display_name": "指挥中心值班员",
                 "role": "commander", "squad_id": None, "phone": None, "is_active": True,
                 "wechat_bound": False, "on_duty": False},
    }  # fmt: skip
    return f"localStorage.setItem('offsite.session', {json.dumps(json.dumps(session))});"


READY = """() => document.querySelectorAll('path.squad-shape').length === 14
  && document.querySelector('[data-open-total]')?.textContent.trim() !== '…'
  && document.querySelector('[data-live]')?.textContent.includes('已连接')"""


async def first_maps(browser: Any, base: str, init: str, loads: int) -> list[float]:
    out = []
    for _ in range(loads):
        context = await browser.new_context(viewport={"width": 1920, "height": 1080})
        await context.add_init_script(init)
        page = await context.new_page()
        started = time.perf_counter()
        await page.goto(f"{base}/app/console", wait_until="commit")
        await page.wait_for_function(READY, timeout=60_000, polling="raf")
        out.append((time.perf_counter() - started) * 1000)
        await context.close()
    return out


async def positions(
    browser: Any, base: str, init: str, officers: list[tuple[int, str]], seconds: float
) -> tuple[list[float], int]:
    """Officers report every 10 s, spread evenly; the delays until their markers move."""
    sent: dict[int, list[float]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:

        async def report(officer: int, token: str) -> None:
            at = {"lng": random.uniform(WEST, EAST), "lat": random.uniform(SOUTH, NORTH)}
            started = time.time()
            r = await http.put(
                "/api/v1/me/duty",
                headers={"Authorization": f"Bearer {token}"},
                json={"on_duty": True, "location": at | {"coord_type": "wgs84"}},
            )
            r.raise_for_status()
            sent.setdefault(officer, []).append(started)

        await asyncio.gather(*(report(o, t) for o, t in officers))  # on duty, on the map
        context = await browser.new_context(viewport={"width": 1920, "height": 1080})
        await context.add_init_script(init)
        page = await context.new_page()
        await page.goto(f"{base}/app/console")
        await page.wait_for_function(READY, timeout=60_000)
        await page.wait_for_function(
            f"() => document.querySelectorAll('.officer-marker').length >= {len(officers)}"
        )
        await page.evaluate(MOVES)
        sent.clear()
        interval = 10.0 / len(officers)
        pending = set()
        deadline = time.monotonic() + seconds
        for officer, token in itertools.cycle(officers):
            if time.monotonic() > deadline:
                break
            pending.add(asyncio.create_task(report(officer, token)))
            await asyncio.sleep(interval)
        await asyncio.gather(*pending)
        await asyncio.sleep(2)  # the last markers move
        moves = await page.evaluate("window.__moves")
        await context.close()
    delays = []
    missed = 0
    for officer, times in sent.items():
        theirs = sorted(t / 1000 for o, t in moves if o == officer)
        for t in times:
            after = [m for m in theirs if m >= t - 0.05]
            if after:
                delays.append((after[0] - t) * 1000)
            else:
                missed += 1
    return delays, missed


async def api_vs_bare(
    base: str, commander: str, dsn: str, requests: int
) -> tuple[list[float], list[float]]:
    import asyncpg

    from domain.geo.mapview import BBox
    from domain.org import Scope
    from storage.map_cases import cluster_sql

    sql, args = cluster_sql(Scope(None), BBox.parse(DISTRICT_BBOX), 12)
    params = {"bbox": DISTRICT_BBOX, "zoom": 12}
    headers = {"Authorization": f"Bearer {commander}"}
    db = await asyncpg.connect(dsn)
    api: list[float] = []
    bare: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for i in range(20 + requests):  # interleaved, so both see the same machine
                started = time.perf_counter()
                await db.fetch(sql, *args)
                took_bare = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                r = await http.get("/api/v1/map/cases", params=params, headers=headers)
                r.raise_for_status()
                took_api = (time.perf_counter() - started) * 1000
                if i >= 20:  # after the warm-up
                    bare.append(took_bare)
                    api.append(took_api)
    finally:
        await db.close()
    layer = r.json()
    print(f"zoom 12: {len(layer['features'])} clusters, {layer['total']} open cases", flush=True)
    return api, bare


def q(times: list[float], p: int) -> float:
    return statistics.quantiles(times, n=100)[p - 1] if len(times) > 1 else times[0]


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    # "test": free ports of its own, when the bench profile's fixed ones are taken (its
    # data is wiped by the next `offsite test`).
    parser.add_argument("--profile", default="bench", choices=("bench", "run", "test"))
    args = parser.parse_args()
    from playwright.async_api import async_playwright

    from tests.e2e.browser import LAUNCH_ARGS, ensure_chromium

    stack = devstack.Stack(ROOT_PATH / ".data", args.profile)
    info = stack.up()
    env = {
        **os.environ,
        "OFFSITE_JWT_SECRET": "bench-secret-" + "x" * 40,
        **info.env,
        "OFFSITE_LOG_LEVEL": "WARNING",
        "OFFSITE_ENV": "bench",
    }
    os.environ.update(env)
    dsn = env["DATABASE_URL"]
    offsite(env, "migrate")
    offsite(env, "seed")
    server = serve(env, "api.app:create_app", API_PORT)
    base = f"http://127.0.0.1:{API_PORT}"
    try:
        wait_up(f"{base}/healthz")
        async with httpx.AsyncClient(base_url=base) as http:  # one case to copy from
            await _a_case(http)
        started = time.perf_counter()
        await fill(dsn, args.cases, args.officers)
        print(f"district filled in {time.perf_counter() - started:.1f} s", flush=True)
        officers, commander = await tokens(dsn, args.officers)
        commander_id = int(
            __import__("jwt").decode(commander, options={"verify_signature": False})["sub"]
        )
        init = session_script(commander, commander_id)
        api, bare = await api_vs_bare(base, commander, dsn, args.requests)
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=str(ensure_chromium()), headless=True, args=LAUNCH_ARGS
            )
            loads = await first_maps(browser, base, init, args.loads)
            delays, missed = await positions(browser, base, init, officers, args.seconds)
            await browser.close()
    finally:
        server.terminate()
        server.wait(10)
        stack.stop_started()  # what ran before is someone else's
    report(args, loads, delays, missed, api, bare)


async def _a_case(http: httpx.AsyncClient) -> None:
    from storage.seed import DEMO_PASSWORD

    login = await http.post(
        "/api/v1/auth/login", json={"username": "officer.jiangchuan1", "password": DEMO_PASSWORD}
    )
    login.raise_for_status()
    r = await http.post(
        "/api/v1/cases",
        headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        json={"violation_type": "05-05", "description": "bench console",
              "location": {"lng": 121.3994755, "lat": 30.9995505, "coord_type": "wgs84"}},
    )  # fmt: skip
    r.raise_for_status()


def report(
    args: argparse.Namespace,
    loads: list[float],
    delays: list[float],
    missed: int,
    api: list[float],
    bare: list[float],
) -> None:
    print(
        f"\n{args.cases:,} open cases, {args.officers} officers each sending a position every"
        f" 10 s for {args.seconds:.0f} s; Chromium 1920×1080; one API process (granian) on"
        " this machine\n"
    )
    print(f"| {'what':<58} | {'p50 ms':>8} | {'p99 ms':>8} |")
    print(f"|{'-' * 60}|{'-' * 10}|{'-' * 10}|")
    print(f"| {'first full map (' + str(len(loads)) + ' cold loads; max as p99)':<58} |"
          f" {statistics.median(loads):>8.0f} | {max(loads):>8.0f} |")  # fmt: skip
    if delays:
        print(f"| {f'position → marker ({len(delays)} moves, {missed} not seen)':<58} |"
              f" {q(delays, 50):>8.0f} | {q(delays, 99):>8.0f} |")  # fmt: skip
    print(f"| {'GET /api/v1/map/cases, district, zoom 12 (API)':<58} |"
          f" {q(api, 50):>8.1f} | {q(api, 99):>8.1f} |")  # fmt: skip
    print(f"| {'the same grid aggregation, bare asyncpg':<58} |"
          f" {q(bare, 50):>8.1f} | {q(bare, 99):>8.1f} |")  # fmt: skip
    ratio = statistics.median(api) / statistics.median(bare)
    p99 = q(delays, 99) if delays else float("inf")
    print(
        f"\nAPI / bare (median): {ratio:.2f}×; goals: first map ≤ 2000 ms"
        f" ({'met' if statistics.median(loads) <= 2000 else 'MISSED'}), position → marker p99"
        f" ≤ 1000 ms ({'met' if p99 <= 1000 else 'MISSED'}), API ≤ 2× bare"
        f" ({'met' if ratio <= 2 else 'MISSED'})"
    )
    print(f"\n(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    from pathlib import Path

    ROOT_PATH = Path(ROOT)
    asyncio.run(main())
