"""The leaders' dashboard at scale (issue 15): every figures endpoint over 1,000,000 cases
of the last 12 months, beside a bare Litestar route served the same way in the same run;
the weekly hotspot refresh beside a bare ``GROUP BY`` over the same week's rows; and the
pre-aggregated figures' rebuild and one-minute refresh, where this branch has them.

    .venv/bin/python benchmarks/bench_dashboard.py [--cases 1000000] [--requests 50]

Uses the embedded services of the ``bench`` profile (.data/bench; data is kept between
runs, so only the first run pays for the load). Cases are generated in SQL from a pool of
places drawn inside the seeded squads' polygons, with their H3 cells computed as create
does (``domain.hotspots.cells``); a few tight clusters of one violation type per squad
make hotspots and repeat places (高发点位), and a skewed draw of subjects makes repeat
offenders. Requests are sequential (httpx, keep-alive), as a district commander and as a
squad leader; the goal is p99 ≤ 100 ms for every endpoint, and a weekly hotspot refresh
≤ 3× the bare ``GROUP BY``. Prints a table and the ratios.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import on_bench_stack, serve, wait_up

if TYPE_CHECKING:
    from api.security import Principal

API_PORT, BARE_PORT = 18110, 18111
# Clear of bench_cases.py (1..N) and bench_grading.py (20,000,001 and up).
FIRST_CASE = 10_000_001
PLACES = 40_000  # background places, spread over the district
SUBJECTS = 20_000  # subject k sits at background place k
CLUSTERS_PER_SQUAD = 3  # planted hot places, one violation type each
CLUSTER_POINTS = 20  # points within about 25 m of a cluster's centre
CHUNK = 100_000
OPEN_STATES = ("dispatched", "in_progress", "awaiting_rectification", "pending_review")
SUBJECT_NAME = "DB-"
PLACE_TABLE = "bench_dashboard_place"
MINUTE_CHANGES = 10  # cases changed in a minute: 1M a year is 2 new a minute, each ~4 steps


def u(salt: int, column: str = "g") -> str:
    """An independent pseudo-random draw in [0, 1) from the case id, in SQL."""
    return f"((abs(hashint4(({column} + {salt})::int)) % 1000000) / 1000000.0)"


async def make_places() -> int:
    """The pool of places (kept between runs): background points inside a squad, then
    the clusters; each with its squad, grid and H3 cells. Returns the pool's size."""
    from domain.geo import Area, LngLat, Locator
    from domain.hotspots.cells import cells_of
    from storage.cases import catalogue
    from storage.db import engine
    from storage.tables import GridCell, Squad

    db = engine()
    await db.run_ddl(
        f"""CREATE TABLE IF NOT EXISTS {PLACE_TABLE} (id int PRIMARY KEY, lng float8,
                lat float8, squad int, grid int, h3_r9 varchar(15), h3_r10 varchar(15),
                violation_type varchar(16))"""
    )
    have = (await db.run_ddl(f"SELECT count(*) AS n FROM {PLACE_TABLE}"))[0]["n"]
    if have:
        return int(have)
    squads = await Squad.select(Squad.id, Squad.code, Squad.boundary).output(load_json=True)
    grids = await GridCell.select(GridCell.id, GridCell.code, GridCell.boundary).output(
        load_json=True
    )
    squad_of = Locator(Area(r["id"], r["code"], r["boundary"]) for r in squads)
    grid_of = Locator(Area(r["id"], r["code"], r["boundary"]) for r in grids)
    rnd = random.Random(15)
    lngs = [c[0] for r in squads for ring in _rings(r["boundary"]) for c in ring]
    lats = [c[1] for r in squads for ring in _rings(r["boundary"]) for c in ring]
    points: list[tuple[LngLat, int]] = []
    while len(points) < PLACES:
        batch = [
            LngLat(rnd.uniform(min(lngs), max(lngs)), rnd.uniform(min(lats), max(lats)))
            for _ in range(20_000)
        ]
        for p, area in zip(batch, squad_of.locate_many(batch), strict=True):
            if area is not None and len(points) < PLACES:
                points.append((p, area.id))
    types = [t.code for t in await catalogue.all_types()]
    kinds: list[str | None] = [None] * PLACES
    by_squad: dict[int, list[LngLat]] = {}
    for p, squad in points[SUBJECTS:]:  # cluster centres away from the subjects' doors
        by_squad.setdefault(squad, []).append(p)
    for squad, candidates in sorted(by_squad.items()):
        for k, centre in enumerate(candidates[:CLUSTERS_PER_SQUAD]):
            for _ in range(CLUSTER_POINTS):
                jitter = LngLat(
                    centre.lng + rnd.uniform(-0.00024, 0.00024),
                    centre.lat + rnd.uniform(-0.0002, 0.0002),
                )
                points.append((jitter, squad))
                kinds.append(types[(squad + k) % len(types)])
    located = grid_of.locate_many([p for p, _ in points])
    rows = []
    for i, ((p, squad), grid, kind) in enumerate(zip(points, located, kinds, strict=True)):
        r9, r10 = cells_of(p)
        rows.append((i, p.lng, p.lat, squad, grid.id if grid else None, r9, r10, kind))
    from storage.tables import Case

    cols = [list(c) for c in zip(*rows, strict=True)]
    await Case.raw(
        f"""INSERT INTO {PLACE_TABLE} SELECT * FROM unnest({{}}::int[], {{}}::float8[],
                {{}}::float8[], {{}}::int[], {{}}::int[], {{}}::varchar[], {{}}::varchar[],
                {{}}::varchar[])""",
        *cols,
    )
    return len(rows)


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


async def load_subjects() -> int:
    """Subjects at the first ``SUBJECTS`` places, graded A 50 %, B 30 %, C 14 %, D 6 %;
    the id of the first."""
    from storage.db import engine

    db = engine()
    like = f"name LIKE '{SUBJECT_NAME}%'"
    if (await db.run_ddl(f"SELECT count(*) AS n FROM subject WHERE {like}"))[0]["n"] < SUBJECTS:
        grade = f"""CASE WHEN {u(1, "p.id")} < 0.5 THEN 'A' WHEN {u(1, "p.id")} < 0.8 THEN 'B'
                         WHEN {u(1, "p.id")} < 0.94 THEN 'C' ELSE 'D' END"""
        await db.run_ddl(
            f"""INSERT INTO subject (kind, name, address, lng, lat, squad, grid, details,
                                    grade, grade_computed, grade_points, created_at, updated_at)
                SELECT 'merchant', '{SUBJECT_NAME}' || p.id, 'bench road ' || p.id, p.lng,
                       p.lat, p.squad, p.grid, '{{}}'::jsonb, {grade}, {grade}, 0, now(), now()
                  FROM {PLACE_TABLE} p WHERE p.id < {SUBJECTS} ORDER BY p.id"""
        )
    return int((await db.run_ddl(f"SELECT min(id) AS lo FROM subject WHERE {like}"))[0]["lo"])


def case_select(
    start: int,
    end: int,
    *,
    first_subject: int,
    places: int,
    versions: list[tuple[str, int]],
    cameras: list[int],
) -> str:
    """The SELECT of cases ``start``..``end``: created uniformly over the last 365 days;
    6 % at the clusters (their type), 30 % of the rest with a subject (skewed, so some
    repeat), the rest anywhere; camera 35 %, alarm 10 %, patrol 30 %, complaint 25 %."""
    cluster_points = places - PLACES
    types = ", ".join(f"'{code}'" for code, _ in versions)
    type_rows = ", ".join(f"('{code}', {version})" for code, version in versions)
    camera = f"(ARRAY{cameras}::int[])[1 + g % {len(cameras)}]" if cameras else "NULL::int"
    return f"""
        SELECT g, 'DB' || lpad(g::text, 10, '0'), src.source, vt.code, vt.version,
               st.state,
               CASE WHEN st.state = 'closed' THEN CASE
                    WHEN {u(11)} < 0.08 THEN 'not_found'
                    WHEN {u(11)} < 0.53 THEN 'corrected_on_site'
                    WHEN {u(11)} < 0.78 THEN 'rectification_ordered'
                    WHEN {u(11)} < 0.93 THEN 'self_corrected' ELSE 'case_filed' END END,
               p.squad, p.grid, pl.subject,
               CASE WHEN src.source = 'camera' THEN {camera} END,
               CASE WHEN src.source = 'camera' THEN 'bench-zone-' || (g % 4) END,
               p.lng, p.lat, 'bench road ' || p.id, p.h3_r9, p.h3_r10, '', '[]'::jsonb, false,
               CASE WHEN st.state IN ('closed', 'pending_review') AND {u(12)} < 0.07
                    THEN 1 ELSE 0 END,
               CASE WHEN {u(13)} < 0.06 THEN 1 + g % 2 ELSE 0 END,
               CASE WHEN st.state IN {OPEN_STATES} THEN t.created + interval '2 days' END,
               st.state IN {OPEN_STATES} AND {u(14)} < 0.12, {u(14)} < 0.12,
               t.created, least(now(), t.created + interval '1 day'),
               ts.dispatched, ts.accepted, ts.handled, ts.closed, 1, 0, repeat('0', 64)
          FROM generate_series({start}, {end}) g
          CROSS JOIN LATERAL (SELECT now() - {u(2)} * interval '365 days' AS created) t
          CROSS JOIN LATERAL (SELECT CASE
                WHEN {u(3)} < 0.35 THEN 'camera' WHEN {u(3)} < 0.45 THEN 'alarm'
                WHEN {u(3)} < 0.75 THEN 'patrol' ELSE 'complaint' END AS source) src
          CROSS JOIN LATERAL (SELECT CASE
                WHEN {u(4)} < 0.06 THEN {PLACES} + floor({u(5)} * {cluster_points})::int
                WHEN {u(6)} < 0.30 THEN floor({SUBJECTS} * power({u(5)}, 3))::int
                ELSE floor({u(5)} * {PLACES})::int END AS place,
                {u(4)} >= 0.06 AND {u(6)} < 0.30 AS with_subject) pk
          JOIN {PLACE_TABLE} p ON p.id = pk.place
          CROSS JOIN LATERAL (SELECT CASE WHEN pk.with_subject
                THEN {first_subject} + pk.place END AS subject) pl
          CROSS JOIN LATERAL (SELECT coalesce(p.violation_type, (ARRAY[{types}])[1 +
                floor({len(versions)} * power({u(7)}, 1.5))::int]) AS code) vc
          JOIN (VALUES {type_rows}) AS vt(code, version) ON vt.code = vc.code
          CROSS JOIN LATERAL (SELECT CASE
                WHEN src.source IN ('camera', 'alarm') THEN 0.18 ELSE 0.05 END AS d,
                extract(epoch FROM now() - t.created) / 86400 AS age) k
          CROSS JOIN LATERAL (SELECT CASE
                WHEN {u(8)} < k.d THEN 'dismissed'
                WHEN k.age < 2 AND {u(8)} < k.d + 0.1 THEN 'pending_triage'
                WHEN {u(8)} < k.d + 0.02 + CASE WHEN k.age < 14 THEN 0.3 ELSE 0 END
                     THEN (ARRAY{list(OPEN_STATES)})[1 + floor({u(9)} * 4)::int]
                ELSE 'closed' END AS state) st
          CROSS JOIN LATERAL (SELECT
                t.created + (5 + 55 * {u(10)}) * interval '1 minute' AS d) dt
          CROSS JOIN LATERAL (SELECT
                CASE WHEN st.state NOT IN ('dismissed', 'pending_triage')
                     THEN least(now(), dt.d) END AS dispatched,
                CASE WHEN st.state NOT IN ('dismissed', 'pending_triage', 'dispatched')
                     THEN least(now(), dt.d + (5 + 115 * {u(15)}) * interval '1 minute')
                     END AS accepted,
                CASE WHEN st.state IN ('closed', 'pending_review')
                     THEN least(now(), dt.d + (2 + 47 * {u(16)}) * interval '1 hour')
                     END AS handled,
                CASE WHEN st.state = 'closed'
                     THEN least(now(), dt.d + (3 + 70 * {u(16)}) * interval '1 hour')
                     END AS closed) ts"""


def events_select(start: int, end: int) -> str:
    """The timeline entries the figures read, for cases ``start``..``end``: notify_party
    (15 % of accepted cases), a return (退回, ``rework``) where ``rework_count`` is 1, the
    close, and the dismissal (70 % as false positive)."""
    notified = f"{u(17, 'c.id')} < 0.15 AND c.dispatched_at IS NOT NULL"
    reason = f"CASE WHEN {u(18, 'c.id')} < 0.7 THEN 'false_positive' ELSE 'duplicate' END"
    return f"""
        SELECT c.id, e.seq, e.at, e.role, e.action, e.from_state, e.to_state, e.data::jsonb,
               repeat('0', 64), repeat('0', 64)
          FROM enforcement_case c
          CROSS JOIN LATERAL (VALUES
            (1, c.dispatched_at + interval '10 minutes', 'system', 'notify_party',
             'dispatched', 'dispatched', '{{}}', {notified}),
            (2, c.accepted_at + (c.handled_at - c.accepted_at) / 2, 'squad_leader', 'return',
             'pending_review', 'dispatched', '{{"rework": true}}', c.rework_count = 1),
            (3, c.closed_at, 'squad_leader', 'close', 'pending_review', 'closed', '{{}}',
             c.state = 'closed'),
            (1, c.created_at + interval '15 minutes', 'commander', 'dismiss',
             'pending_triage', 'dismissed', '{{"reason": "' || {reason} || '"}}',
             c.state = 'dismissed'))
            AS e(seq, at, role, action, from_state, to_state, data, wanted)
         WHERE c.id BETWEEN {start} AND {end} AND e.wanted"""


async def load_data(cases: int) -> None:
    """The places, subjects, ``cases`` cases from ``FIRST_CASE`` and their timeline
    entries, resuming where an earlier run stopped."""
    from storage.cases import catalogue
    from storage.db import engine

    db = engine()
    started = time.perf_counter()
    places = await make_places()
    first_subject = await load_subjects()
    have = (
        await db.run_ddl(
            f"SELECT count(*) AS n FROM enforcement_case WHERE id >= {FIRST_CASE}"
            f" AND id < {FIRST_CASE + 10_000_000}"
        )
    )[0]["n"]
    if have >= cases:
        print(f"reusing {have:,} cases")
        return
    versions = [(t.code, await catalogue.version_of(t)) for t in await catalogue.all_types()]
    cameras = [r["id"] for r in await db.run_ddl("SELECT id FROM camera ORDER BY id")]
    print(f"loading {cases - have:,} cases ...", flush=True)
    await db.run_ddl("ALTER TABLE case_event DISABLE TRIGGER case_event_append_only")
    try:
        for start in range(FIRST_CASE + have, FIRST_CASE + cases, CHUNK):
            end = min(start + CHUNK, FIRST_CASE + cases) - 1
            select = case_select(
                start,
                end,
                first_subject=first_subject,
                places=places,
                versions=versions,
                cameras=cameras,
            )
            await db.run_ddl(
                f"""INSERT INTO enforcement_case (id, number, source, violation_type,
                        type_version, state, outcome, squad, grid, subject, camera, zone_key,
                        lng, lat, address, h3_r9, h3_r10, description, flags, urgent,
                        rework_count, extension_count, next_due_at, overdue, ever_overdue,
                        created_at, updated_at, dispatched_at, accepted_at, handled_at,
                        closed_at, version, chain_seq, chain_hash) {select}"""
            )
            await db.run_ddl(
                f"""INSERT INTO case_event ("case", seq, at, actor_role, action, from_state,
                        to_state, data, prev_hash, hash) {events_select(start, end)}"""
            )
            done = end - FIRST_CASE + 1
            print(f"  {done:,} cases ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        await db.run_ddl("ALTER TABLE case_event ENABLE TRIGGER case_event_append_only")
    # A table as it is in steady state (visibility map set, statistics fresh), and no
    # autovacuum of the load competing with the measurements.
    await db.run_ddl("VACUUM (ANALYZE) enforcement_case")
    await db.run_ddl("VACUUM (ANALYZE) case_event")
    await db.run_ddl("ANALYZE")
    print(f"loaded in {time.perf_counter() - started:.0f} s (with VACUUM and ANALYZE)")


async def principal(role: str) -> Principal:
    """The seeded user with this role (the lowest id), as a Principal."""
    from api.security import Principal
    from domain.org import Role
    from storage.db import engine

    row = (
        await engine().run_ddl(
            f"SELECT id, squad FROM staff_user WHERE role = '{role}' AND is_active"
            " ORDER BY id LIMIT 1"
        )
    )[0]
    return Principal(row["id"], Role(role), row["squad"], uuid.uuid4())


def bearer(who: Principal) -> dict[str, str]:
    """A fresh access token: they are short-lived, and a full run outlasts one."""
    from api.security import issue_access_token
    from offsite.settings import get_settings

    token = issue_access_token(who, get_settings().auth, datetime.now(UTC))
    return {"Authorization": f"Bearer {token}"}


def dashboard_urls(month: str, year: str, squad: int) -> dict[str, str]:
    """The dashboard's reads, as its pages make them."""
    return {
        "indicators, month": f"/api/v1/stats/indicators?period={month}",
        "indicators, year": f"/api/v1/stats/indicators?period={year}",
        "ranking": f"/api/v1/stats/ranking?month={month}",
        "trend, 12 months": f"/api/v1/stats/trend?end={month}&months=12",
        "cases by source/type/day": f"/api/v1/stats/cases?period={month}",
        "camera precision": f"/api/v1/stats/precision?period={month}",
        "programmes": f"/api/v1/stats/programmes?month={month}",
        "repeat offenders": f"/api/v1/stats/repeat-offenders?month={month}",
        "hotspots": "/api/v1/hotspots",
        "hotspots, GeoJSON": "/api/v1/hotspots/geojson",
        "repeat places": "/api/v1/hotspots/places",
        "patrol priorities": f"/api/v1/squads/{squad}/patrol-priorities",
    }


def latencies(
    client: httpx.Client, url: str, headers: dict[str, str], count: int, budget_s: float
) -> tuple[list[float], int]:
    """Milliseconds of ``count`` sequential GETs (fewer, but at least 5, once ``budget_s``
    is spent), after one warm-up, and the answer's size in bytes; every answer must be
    200."""
    client.get(url, headers=headers).raise_for_status()
    out: list[float] = []
    size = 0
    deadline = time.perf_counter() + budget_s
    while len(out) < count and (len(out) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
        size = len(response.content)
    return out, size


Row = tuple[int, float, float, float, int]


def summary(measured: tuple[list[float], int]) -> Row:
    """n, p50, p99 (nearest rank: the max below 100 requests), max, and bytes."""
    ordered = sorted(measured[0])
    p99 = ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    return len(ordered), statistics.median(ordered), p99, ordered[-1], measured[1]


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> float:
    """The median seconds of ``repeat`` calls."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


async def hotspot_refresh(week: date, repeat: int) -> tuple[float, float, int, int, int]:
    """The weekly refresh (``refresh_week``) and the bare GROUP BY over the same rows:
    (refresh s, bare s, the week's cases, hotspot rows written, hot cells found)."""
    from storage.db import engine
    from storage.hotspots import refresh_week, week_start

    start = week_start(week)
    end = start + timedelta(days=7)
    where = (
        f"created_at >= '{start.isoformat()}' AND created_at < '{end.isoformat()}'"
        " AND squad IS NOT NULL AND h3_r9 IS NOT NULL AND state <> 'dismissed'"
    )
    bare_sql = (
        "SELECT h3_r9, violation_type, count(*) AS n FROM enforcement_case"
        f" WHERE {where} GROUP BY h3_r9, violation_type"
    )
    db = engine()
    cases = (await db.run_ddl(f"SELECT count(*) AS n FROM enforcement_case WHERE {where}"))[0]
    await db.run_ddl(bare_sql)  # warm-up: both read the week from the cache
    bare = await timed(lambda: db.run_ddl(bare_sql), repeat)
    written = 0

    async def refresh() -> None:
        nonlocal written
        written = await refresh_week(week)

    refresh_s = await timed(refresh, repeat)
    hot = await db.run_ddl(
        f"SELECT count(*) AS n FROM hotspot WHERE week = '{week}' AND hot AND resolution = 9"
        " AND violation_type = ''"
    )
    return refresh_s, bare, cases["n"], written, hot[0]["n"]


def figures_refresh() -> (
    tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]] | None
):
    """The pre-aggregated figures' (full rebuild, refresh of what changed), where this
    branch has them (another change adds them to storage/cases); None otherwise."""
    for module, full, changed in (
        ("storage.cases.aggregates", "rebuild", "refresh"),
        ("storage.cases.aggregates", "refresh_figures", "refresh_figures"),
        ("storage.cases.figures", "refresh_figures", "refresh_figures"),
    ):
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        if hasattr(found, full) and hasattr(found, changed):
            return f"{module}.{full} / .{changed}", getattr(found, full), getattr(found, changed)
    return None


async def aggregates(repeat: int) -> tuple[str, float, float] | None:
    """(the functions' names, full rebuild s, incremental refresh s). The incremental
    refresh follows a minute's changes: ``MINUTE_CHANGES`` cases of different days have
    ``ever_overdue`` flipped (an even number of times over the run, so the data ends as
    it began), as the refresh job sees every minute."""
    from storage.db import engine

    found = figures_refresh()
    if found is None:
        return None
    name, rebuild, refresh = found
    full = await timed(rebuild, repeat)
    spacing = max(1, CHUNK // MINUTE_CHANGES)
    ids = ", ".join(str(FIRST_CASE + k * spacing) for k in range(MINUTE_CHANGES))

    async def minute() -> None:
        await engine().run_ddl(
            f"UPDATE enforcement_case SET ever_overdue = NOT ever_overdue WHERE id IN ({ids})"
        )
        await refresh()

    return name, full, await timed(minute, 2 * repeat)


def http_table(
    args: argparse.Namespace, roles: dict[str, Principal], month: str
) -> list[tuple[str, Row]]:
    """Every dashboard read, as each role, and the bare route, served by granian."""
    api = serve(os.environ.copy(), "api.app:create_app", API_PORT)
    bare = serve(os.environ.copy(), "benchmarks.bare_app:create_app", BARE_PORT)
    rows = []
    try:
        wait_up(f"http://127.0.0.1:{API_PORT}/healthz", 60)
        wait_up(f"http://127.0.0.1:{BARE_PORT}/bare")
        with httpx.Client(timeout=120) as client:
            bare_url = f"http://127.0.0.1:{BARE_PORT}/bare"
            measured = latencies(client, bare_url, {}, 1000, args.budget)
            rows.append(("bare Litestar route (20 Structs)", summary(measured)))
            leader_squad = roles["squad leader"].squad_id or 1
            for label, path in dashboard_urls(month, month[:4], leader_squad).items():
                for role, who in roles.items():
                    measured = latencies(
                        client,
                        f"http://127.0.0.1:{API_PORT}{path}",
                        bearer(who),
                        args.requests,
                        args.budget,
                    )
                    rows.append((f"{label} ({role})", summary(measured)))
                    print(f"  {rows[-1][0]}: p99 {rows[-1][1][2]:.1f} ms", flush=True)
    finally:
        for server in (api, bare):
            server.terminate()
    return rows


async def run(args: argparse.Namespace) -> None:
    from storage.db import close_pool, engine, open_pool
    from storage.hotspots import last_complete_week, refresh_week

    await open_pool(2, 8)
    try:
        await load_data(args.cases)
        week = last_complete_week()
        for k in (3, 2, 1):  # the weeks before, so trends (new / persistent) have history
            await refresh_week(week - timedelta(days=7 * k))
        refresh_s, bare_s, week_cases, written, hot = await hotspot_refresh(week, args.repeat)
        figures = await aggregates(args.repeat)
        from storage import repeat_places

        started = time.perf_counter()
        places = await repeat_places.refresh()  # what /hotspots/places reads
        places_s = time.perf_counter() - started
        roles = {
            "commander": await principal("commander"),
            "squad leader": await principal("squad_leader"),
        }
        total = (await engine().run_ddl("SELECT count(*) AS n FROM enforcement_case"))[0]["n"]
    finally:
        await close_pool()
    month_start = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).replace(day=1)
    month = f"{month_start:%Y-%m}"
    rows = http_table(args, roles, month)
    base_p99 = rows[0][1][2]
    print(
        f"\n{total:,} cases; month {month}; sequential httpx, one granian worker on the"
        f" machine's cores; up to {args.requests} requests per row ({args.budget:.0f} s budget)\n"
    )
    print(f"{'route (role)':<46} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}", end="")
    print(f" {'p99/bare':>9} {'KB':>7}")
    for name, (n, p50, p99, top, size) in rows:
        goal = "" if name.startswith("bare") else ("  ok" if p99 <= 100 else "  > 100 ms")
        print(f"{name:<46} {n:>5} {p50:>8.1f} {p99:>8.1f} {top:>8.1f}", end="")
        print(f" {p99 / base_p99:>8.1f}x {size / 1024:>7.1f}{goal}")
    print(
        f"\nweekly hotspot refresh, week of {week} ({week_cases:,} cases, {written:,} rows"
        f" written; {hot:,} hot r9 cells, all types), median of {args.repeat}:"
    )
    print(f"  bare GROUP BY h3_r9, violation_type   {bare_s:>8.3f} s")
    print(f"  storage.hotspots.refresh_week          {refresh_s:>8.3f} s")
    print(f"  ratio {refresh_s / bare_s:.1f}x (goal ≤ 3x)")
    print(
        f"\nrepeat places (高发点位) of the last 7, 30 and 90 days, all squads:"
        f" {places:,} found in {places_s:.1f} s (hourly job)"
    )
    if figures is None:
        print("\npre-aggregated figures: no refresh on this branch (storage.cases.aggregates)")
    else:
        name, full, incremental = figures
        print(f"\npre-aggregated figures ({name}), median of {args.repeat} and {2 * args.repeat}:")
        print(f"  full rebuild                          {full:>8.3f} s")
        print(f"  refresh after a minute's {MINUTE_CHANGES} changes    {incremental:>8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per route and role")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per route and role")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each refresh timed")
    args = parser.parse_args()
    on_bench_stack(lambda: run(args))


if __name__ == "__main__":
    main()
