"""The nightly grading (分类分级) of 100,000 subjects with 1,000,000 violations.

    .venv/bin/python benchmarks/bench_grading.py [--subjects 100000] [--violations 1000000]

Uses the embedded services of the ``bench`` profile (data kept between runs: the load
happens once). Subjects and their cases are generated in SQL: violation types drawn from
the catalogue, created over the last 400 days, 90 % with an outcome that establishes the
violation (a tenth of those self-corrected). Times, in the same run:

- baseline: one raw SQL aggregate over the same rows (count and types per subject in the
  window) — the floor for reading what grading reads;
- ``grade_all`` from scratch (every subject's grade written, history for each change);
- ``grade_all`` again with nothing changed (what most nights look like).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import on_bench_stack

FIRST_CASE = 20_000_001  # clear of bench_cases.py's ids
ESTABLISHED = ("corrected_on_site", "rectification_ordered", "case_filed", "self_corrected")


async def load(subjects: int, violations: int) -> None:
    from storage.cases import catalogue
    from storage.db import engine

    db = engine()
    have = (await db.run_ddl("SELECT count(*) AS n FROM subject WHERE name LIKE 'G-%'"))[0]["n"]
    if have < subjects:
        print(f"loading {subjects - have:,} subjects ...", flush=True)
        await db.run_ddl(
            f"""INSERT INTO subject (kind, name, address, lng, lat, details, grade,
                                    grade_computed, grade_points, created_at, updated_at)
                SELECT 'merchant', 'G-' || g, 'bench street ' || g,
                       121.35 + (g % 1000) / 10000.0, 31.0 + (g % 997) / 10000.0,
                       '{{}}'::jsonb, 'A', 'A', 0, now(), now()
                  FROM generate_series({have + 1}, {subjects}) g"""
        )
    ids = await db.run_ddl("SELECT min(id) AS lo, max(id) AS hi FROM subject WHERE name LIKE 'G-%'")
    lo, hi = ids[0]["lo"], ids[0]["hi"]
    done = (
        await db.run_ddl(f"SELECT count(*) AS n FROM enforcement_case WHERE id >= {FIRST_CASE}")
    )[0]["n"]
    if done >= violations:
        print(f"reusing {subjects:,} subjects and {done:,} violations")
        return
    types = [t.code for t in await catalogue.all_types()]
    versions = [await catalogue.version_of(t) for t in await catalogue.all_types()]
    print(f"loading {violations - done:,} cases ...", flush=True)
    started = time.perf_counter()
    chunk = 200_000
    for start in range(FIRST_CASE + done, FIRST_CASE + violations, chunk):
        end = min(start + chunk, FIRST_CASE + violations) - 1
        await db.run_ddl(
            f"""INSERT INTO enforcement_case (id, number, source, violation_type, type_version,
                    state, outcome, squad, subject, lng, lat, address, description, flags,
                    urgent, rework_count, extension_count, overdue, ever_overdue,
                    created_at, updated_at, version, chain_seq, chain_hash)
                SELECT g, 'G' || lpad(g::text, 10, '0'), 'patrol',
                       (ARRAY{types})[1 + r.t], (ARRAY{versions})[1 + r.t], 'closed',
                       CASE WHEN r.o < 10 THEN 'not_found'
                            WHEN r.o < 19 THEN 'self_corrected'
                            ELSE (ARRAY{list(ESTABLISHED[:3])})[1 + r.o % 3] END,
                       NULL, {lo} + r.s, 121.4, 31.0, '', '', '[]'::jsonb, false, 0, 0,
                       false, false, now() - (g % 576000) * interval '1 minute',
                       now(), 1, 0, repeat('0', 64)
                  FROM generate_series({start}, {end}) g
                  CROSS JOIN LATERAL (SELECT abs(hashint4(g)) % {hi - lo + 1} AS s,
                                             abs(hashint4(g + 7919)) % {len(types)} AS t,
                                             abs(hashint4(g + 104729)) % 100 AS o) r"""
        )
        print(
            f"  {end - FIRST_CASE + 1:,} cases ({time.perf_counter() - started:.0f} s)", flush=True
        )
    await db.run_ddl("ANALYZE")


async def baseline(window_days: int) -> float:
    from storage.db import engine

    started = time.perf_counter()
    await engine().run_ddl(
        f"""SELECT subject, count(*) AS n, count(DISTINCT violation_type) AS types,
                   count(*) FILTER (WHERE outcome = 'self_corrected') AS corrected
              FROM enforcement_case
             WHERE subject IS NOT NULL AND outcome = ANY(ARRAY{list(ESTABLISHED)})
               AND created_at > now() - interval '{window_days} days'
             GROUP BY subject"""
    )
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> None:
    from domain.subjects.grading import load_policy
    from storage.cases.catalogue import severities
    from storage.db import close_pool, engine, open_pool
    from storage.grading import grade_all

    await open_pool(2, 4)
    try:
        await load(args.subjects, args.violations)
        policy = load_policy()
        severity = await severities()
        if args.fresh:
            await engine().run_ddl(
                "UPDATE subject SET grade = 'A', grade_computed = 'A', grade_points = 0"
                " WHERE name LIKE 'G-%'"
            )
        base = await baseline(policy.window_days)
        started = time.perf_counter()
        first = await grade_all(policy, severity, datetime.now(UTC))
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await grade_all(policy, severity, datetime.now(UTC))
        again_s = time.perf_counter() - started
        grades = await engine().run_ddl(
            "SELECT grade, count(*) AS n FROM subject WHERE name LIKE 'G-%' GROUP BY grade"
            " ORDER BY grade"
        )
    finally:
        await close_pool()
    print(
        f"\n{first.subjects:,} subjects, {first.violations:,} established violations in the "
        f"{policy.window_days}-day window (of {args.violations:,} cases)\n"
    )
    print(f"{'step':<52} {'seconds':>8} {'× baseline':>11}")
    rows = (
        ("baseline: one SQL aggregate over the same rows", base),
        (f"grade_all, first run ({first.changed:,} subjects changed)", first_s),
        (f"grade_all, nothing new ({again.changed:,} changed)", again_s),
    )
    for label, seconds in rows:
        print(f"{label:<52} {seconds:>8.2f} {seconds / base:>11.1f}")
    print("\ngrades: " + ", ".join(f"{g['grade']} {g['n']:,}" for g in grades))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--violations", type=int, default=1_000_000)
    parser.add_argument(
        "--fresh", action="store_true", default=True, help="reset grades before the first run"
    )
    args = parser.parse_args()
    on_bench_stack(lambda: run(args))


if __name__ == "__main__":
    main()
