"""The task board at scale: "my tasks" and the squad board over 1,000,000 cases, beside a
bare Litestar route served the same way in the same run; and escalating 10,000 deadlines.

    .venv/bin/python benchmarks/bench_cases.py [--cases 1000000] [--seconds 10]

Needs wrk (apt-get install -y wrk). Uses the embedded services of the ``bench`` profile
(.data/bench; data is kept between runs, so the second run skips the load). Prints a
table, the ratios, and the query plans.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import offsite, serve, wait_up
from offsite import devstack

API_PORT, BARE_PORT, NOCACHE_PORT = 18100, 18101, 18102
OPEN_STATES = ("dispatched", "in_progress", "awaiting_rectification")


def stack_env(stack: devstack.Stack) -> dict[str, str]:
    info = stack.up()
    return dict(os.environ, **info.env, OFFSITE_LOG_LEVEL="WARNING", OFFSITE_ENV="bench")


async def load_data(cases: int) -> None:
    """Officers and cases generated in SQL: a year of them, 1.5 % still open (about 36
    tasks per officer), 0.5 % waiting for triage."""
    from storage.cases import catalogue
    from storage.db import engine

    db = engine()
    have = (await db.run_ddl("SELECT count(*) AS n FROM enforcement_case"))[0]["n"]
    if have >= cases:
        print(f"reusing {have:,} cases")
        return
    versions = [await catalogue.version_of(vt) for vt in await catalogue.all_types()]
    print(f"loading {cases - have:,} cases ...", flush=True)
    started = time.perf_counter()
    await db.run_ddl(
        """INSERT INTO staff_user (username, display_name, role, squad, on_duty, is_active,
                                   created_at, updated_at)
           SELECT 'bench.officer.' || s.id || '.' || n, '队员' || n, 'officer', s.id, true, true,
                  now(), now()
             FROM squad s, generate_series(1, 30) n
           ON CONFLICT (username) DO NOTHING"""
    )
    officers = await db.run_ddl(
        "SELECT id, squad FROM staff_user WHERE username LIKE 'bench.officer.%' ORDER BY id"
    )
    by_squad: dict[int, list[int]] = {}
    for o in officers:
        by_squad.setdefault(o["squad"], []).append(o["id"])
    await db.run_ddl("ALTER TABLE case_event DISABLE TRIGGER case_event_append_only")
    chunk = 100_000
    for start in range(have + 1, cases + 1, chunk):
        end = min(start + chunk - 1, cases)
        await db.run_ddl(
            f"""INSERT INTO enforcement_case (id, number, source, violation_type, type_version,
                    state, outcome, squad, assignee, lng, lat, address, description, flags,
                    urgent, rework_count, extension_count, next_due_at, overdue, ever_overdue,
                    created_at, updated_at, dispatched_at, accepted_at, handled_at, closed_at,
                    version, chain_seq, chain_hash)
                SELECT g, 'B' || lpad(g::text, 10, '0'), 'patrol', '05-05',
                       (ARRAY{versions})[1 + g % {len(versions)}],
                       st.state, CASE WHEN st.state = 'closed' THEN 'corrected_on_site' END,
                       sq.id,
                       CASE WHEN st.state IN {OPEN_STATES} THEN o.id END,
                       121.40 + (g % 1000) / 100000.0, 31.0 + (g % 777) / 100000.0,
                       'bench address ' || g, '', '[]'::jsonb, false, 0, 0,
                       CASE WHEN st.state IN {OPEN_STATES}
                            THEN t.created + interval '1 day' END,
                       st.state IN {OPEN_STATES} AND g % 7 = 0, g % 11 = 0,
                       t.created, t.created, t.created, t.created + interval '20 minutes',
                       t.created + interval '3 hours',
                       CASE WHEN st.state = 'closed' THEN t.created + interval '5 hours' END,
                       1, 0, repeat('0', 64)
                  FROM generate_series({start}, {end}) g
                  CROSS JOIN LATERAL (SELECT now() - (g % 525600) * interval '1 minute'
                                      AS created) t
                  -- independent pseudo-random draws for state, squad and officer
                  CROSS JOIN LATERAL (SELECT abs(hashint4(g)) % 200 AS s,
                                             abs(hashint4(g + 7919)) % 14 AS q,
                                             abs(hashint4(g + 104729)) % 30 AS o) r
                  CROSS JOIN LATERAL (SELECT CASE
                        WHEN r.s = 0 THEN 'pending_triage'
                        WHEN r.s = 1 THEN 'dispatched'
                        WHEN r.s = 2 THEN 'in_progress'
                        WHEN r.s = 3 THEN 'awaiting_rectification'
                        ELSE 'closed' END AS state) st
                  JOIN squad sq ON sq.id = 1 + r.q
                  LEFT JOIN LATERAL (SELECT u.id FROM staff_user u
                                      WHERE u.squad = sq.id AND u.username LIKE 'bench.%'
                                      ORDER BY u.id OFFSET r.o LIMIT 1) o ON true"""
        )
        print(f"  {end:,} cases ({time.perf_counter() - started:.0f} s)", flush=True)
    await db.run_ddl("ALTER TABLE case_event ENABLE TRIGGER case_event_append_only")
    await db.run_ddl(
        "SELECT setval(pg_get_serial_sequence('enforcement_case', 'id'), "
        "(SELECT max(id) FROM enforcement_case))"
    )
    await db.run_ddl("ANALYZE")
    del by_squad


def hammer(
    urls: list[tuple[str, dict[str, str]]], seconds: int, concurrency: int
) -> tuple[float, float, float]:
    """req/s, p50 ms, p99 ms from wrk (one thread, ``concurrency`` connections), rotating
    through the given URLs and headers; every answer must be 2xx."""
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark drives load with wrk: apt-get install -y wrk")
    requests = ",".join(
        "{%s, {%s}}"
        % (
            json.dumps(urlsplit(u).path + ("?" + urlsplit(u).query if urlsplit(u).query else "")),
            ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in h.items()),
        )
        for u, h in urls
    )
    script = f"""
local reqs = {{{requests}}}
local i = 0
request = function()
  i = i + 1
  local r = reqs[(i % #reqs) + 1]
  return wrk.format("GET", r[1], r[2])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.timeout))
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    base = "{0.scheme}://{0.netloc}".format(urlsplit(urls[0][0]))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", f.name, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    rps, p50, p99, errors = line.split()[1:]
    assert int(errors) == 0, out
    return float(rps), float(p50), float(p99)


async def tokens(role: str, count: int) -> list[dict[str, str]]:
    from api.security import Principal, issue_access_token
    from domain.org import Role
    from offsite.settings import get_settings
    from storage.db import engine

    rows = await engine().run_ddl(
        f"""SELECT u.id, u.squad FROM staff_user u WHERE u.role = 'officer'
              AND u.username LIKE 'bench.%' ORDER BY random() LIMIT {count}"""
    )
    auth = get_settings().auth
    now = datetime.now(UTC)
    return [
        {
            "Authorization": "Bearer "
            + issue_access_token(
                Principal(r["id"], Role(role), r["squad"], uuid.uuid4()), auth, now
            )
        }
        for r in rows
    ]


async def explain() -> None:
    from storage.db import engine

    db = engine()
    officer = (
        await db.run_ddl(
            "SELECT assignee FROM enforcement_case WHERE assignee IS NOT NULL"
            " AND state IN ('dispatched', 'in_progress') LIMIT 1"
        )
    )[0]["assignee"]
    from storage.cases.board import board_query, tasks_query

    for name, sql in (
        (
            "my tasks (GET /me/tasks)",
            tasks_query(100).replace("{}", str(officer), 1).replace("{}", "NULL", 1),
        ),
        (
            "squad board (GET /cases?state=dispatched)",
            board_query(["c.squad = 3", "c.state = 'dispatched'"], 50),
        ),
    ):
        plan = await db.run_ddl("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        print(f"\nplan: {name}")
        for row in plan:
            print("   ", row["QUERY PLAN"])


async def escalation(count: int) -> tuple[float, int]:
    from domain.sla.calendar import WorkCalendar
    from storage.cases.escalation import escalate_due
    from storage.db import engine

    db = engine()
    # Start from no deadlines, so every run escalates the same number afresh.
    await db.run_ddl("DELETE FROM case_escalation")
    await db.run_ddl("DELETE FROM case_deadline")
    await db.run_ddl(
        f"""INSERT INTO case_deadline ("case", kind, due_at, next_escalation_at, level,
                                       started_at, missed)
            SELECT c.id, 'accept', now() - interval '5 minutes', now() - interval '5 minutes',
                   0, now() - interval '1 hour', false
              FROM enforcement_case c
             WHERE c.state IN {OPEN_STATES} ORDER BY c.id LIMIT {count}"""
    )
    due = (
        await db.run_ddl(
            "SELECT count(*) AS n FROM case_deadline WHERE next_escalation_at <= now()"
        )
    )[0]["n"]
    started = time.perf_counter()
    done = await escalate_due(WorkCalendar.load(), datetime.now(UTC))
    elapsed = time.perf_counter() - started
    assert done == due, (done, due)
    return elapsed, done


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per route")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--escalate", type=int, default=10_000)
    args = parser.parse_args()

    stack = devstack.Stack(ROOT / ".data", "bench")
    try:
        await run(args, stack_env(stack))
    finally:
        stack.stop_started()  # what ran before is someone else's


async def run(args: argparse.Namespace, env: dict[str, str]) -> None:
    os.environ.update(env)
    offsite(env, "migrate")
    offsite(env, "seed")
    from storage.db import close_pool, open_pool

    await open_pool(2, 8)
    await load_data(args.cases)
    officers = await tokens("officer", 200)
    leaders = await tokens("squad_leader", 14)
    api = serve(env, "api.app:create_app", API_PORT)
    uncached = serve(dict(env, OFFSITE_LIST_CACHE_TTL_S="0"), "api.app:create_app", NOCACHE_PORT)
    bare = serve(env, "benchmarks.bare_app:create_app", BARE_PORT)
    try:
        wait_up(f"http://127.0.0.1:{API_PORT}/healthz")
        wait_up(f"http://127.0.0.1:{BARE_PORT}/bare")
        wait_up(f"http://127.0.0.1:{NOCACHE_PORT}/healthz")
        raw_base = f"http://127.0.0.1:{NOCACHE_PORT}"
        api_base, bare_base = f"http://127.0.0.1:{API_PORT}", f"http://127.0.0.1:{BARE_PORT}"
        routes = {
            "bare Litestar route (20 Structs)": [(f"{bare_base}/bare", {})],
            "my tasks (GET /me/tasks)": [(f"{api_base}/api/v1/me/tasks", h) for h in officers],
            "squad board (GET /cases?state=dispatched)": [
                (f"{api_base}/api/v1/cases?state=dispatched&limit=50", h) for h in leaders
            ],
            "squad board, newest (GET /cases)": [
                (f"{api_base}/api/v1/cases?limit=50", h) for h in leaders
            ],
            "my tasks, list cache off": [(f"{raw_base}/api/v1/me/tasks", h) for h in officers],
            "squad board, list cache off": [
                (f"{raw_base}/api/v1/cases?state=dispatched&limit=50", h) for h in leaders
            ],
        }
        for urls in routes.values():  # warm-up
            hammer(urls, 2, 8)
        results = {
            name: hammer(urls, args.seconds, args.concurrency) for name, urls in routes.items()
        }
    finally:
        for server in (api, uncached, bare):
            server.terminate()
    cases = (
        await __import__("storage.db", fromlist=["engine"])
        .engine()
        .run_ddl("SELECT count(*) AS n FROM enforcement_case")
    )[0]["n"]
    base_p99 = results["bare Litestar route (20 Structs)"][2]
    print(
        f"\n{cases:,} cases; wrk -t1 -c{args.concurrency} -d{args.seconds}s per route,"
        " one granian worker; wrk shares the machine's 2 cores\n"
    )
    print(f"{'route':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99 / bare':>11}")
    for name, (rps, p50, p99) in results.items():
        print(f"{name:<44} {rps:>8.0f} {p50:>8.2f} {p99:>8.2f} {p99 / base_p99:>10.2f}x")
    await explain()
    elapsed, done = await escalation(args.escalate)
    print(
        f"\nescalation: {done:,} due deadlines escalated in {elapsed:.2f} s "
        f"({done / elapsed:,.0f}/s; goal: 10,000 in under 10 s)"
    )
    await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
