"""The pre-aggregated case figures (migration 2026-12-03T09:00): per Shanghai day, what
``figures`` and ``dashboard`` sum for any period of whole days, so a dashboard read costs
a year's day rows at most, never a scan of the cases.

- ``case_figures_day``: the cases created on ``day``, per squad, violation type, source,
  camera and zone: the cohort counts of ``domain.assessment.Counts`` as the cases are
  now, the camera-rule counts (false positives, undecided), and the sums and counts of
  the minutes to accept and to handle (a mean is their ratio, so days sum).
- ``review_figures_day``: the cases with a review decision on ``day`` (``rework``: the
  cases with a return or reopen that day), per the case's squad and type, and ``since``:
  the case's previous day with a decision (with a rework, for the rework rows). A case has
  a decision in [s, e) iff it has one on a day there, and it is counted once: on its first
  such day, the only one whose ``since`` is null or before ``s``. So
  ``sum(cases) WHERE s <= day < e AND (since IS NULL OR since < s)`` is exactly the number
  of distinct cases decided in the period, for any period of whole days.
- ``case_figures_month``, ``review_figures_month``: the same summed per month (``day``
  and ``since`` the month's first day; ``since < s`` stays exact for ``s`` a month's
  first day), for periods of whole months: a year reads twelve months of rows.

Statement triggers record in ``figures_dirty`` each day whose rows a change may alter
(a case's counted columns, a timeline notice, dismissal or decision, a flag on its
evidence); ``refresh`` recomputes just those days, and moves their months by the
change (the days' old rows off, their new ones on), in one transaction; what was
committed after its snapshot stays dirty for the next one. Refreshing twice changes
nothing: a day's rows are deleted and written again from the cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from storage.cases.figures import ACCEPTED, FALSE_POSITIVE, NOTIFIED, REVIEW_DECISION
from storage.db import engine
from storage.tables import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
_SHANGHAI_DAY = "(({}) AT TIME ZONE 'Asia/Shanghai')::date"
# One refresh at a time (the cron, a rebuild); released at commit.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('figures_refresh'))"

# The notices and dismissals of the run's cases: all that ``NOTIFIED`` and
# ``FALSE_POSITIVE`` read (their ``case_event`` is this, below). Over the whole timeline
# the planner hashed every notice and dismissal ever written for each run of days, so a
# dirty day cost the whole timeline; this reads the day's cases' entries only.
_DAY_EVENTS = """WITH day_events AS MATERIALIZED (
        SELECT e."case", e.action, e.data
          FROM enforcement_case d JOIN case_event e ON e."case" = d.id
         WHERE d.created_at >= {} AND d.created_at < {}
           AND e.action IN ('notify_party', 'dismiss'))"""


def _of_day_events(fragment: str) -> str:
    return fragment.replace("FROM case_event ", "FROM day_events ")


# The days of one run of consecutive days, [start, end) as instants: one range scan of
# the cases created in it (a join to a list of days lets the planner scan every case).
_CASE_DAYS = f"""{_DAY_EVENTS}
    INSERT INTO case_figures_day (
        day, squad, violation_type, source, camera, zone_key, created, cases, dismissed,
        closed, closed_on_time, extended, overdue, notified, self_corrected,
        flagged_evidence, false_positives, undecided, accept_seconds, accepted_n,
        handle_seconds, handled_n)
    SELECT {_SHANGHAI_DAY.format("c.created_at")},
           c.squad, c.violation_type, c.source, c.camera, c.zone_key,
           count(*),
           count(*) FILTER (WHERE c.cohort),
           count(*) FILTER (WHERE c.state = 'dismissed'),
           count(*) FILTER (WHERE c.cohort AND c.state = 'closed'),
           count(*) FILTER (WHERE c.cohort AND c.state = 'closed' AND NOT c.ever_overdue),
           count(*) FILTER (WHERE c.cohort AND c.extension_count > 0),
           count(*) FILTER (WHERE c.cohort AND c.ever_overdue),
           count(*) FILTER (WHERE c.notified),
           count(*) FILTER (WHERE c.notified AND c.outcome = 'self_corrected'),
           coalesce(sum((SELECT count(*) FROM evidence e WHERE e."case" = c.id
                           AND e.flags <> '[]'::jsonb)) FILTER (WHERE c.cohort), 0),
           count(*) FILTER (WHERE c.false_positive),
           count(*) FILTER (WHERE c.state = 'pending_triage'),
           coalesce(sum(extract(epoch FROM c.accepted_at - c.dispatched_at))
                        FILTER (WHERE c.cohort), 0),
           count(c.accepted_at - c.dispatched_at) FILTER (WHERE c.cohort),
           coalesce(sum(extract(epoch FROM c.handled_at - c.dispatched_at))
                        FILTER (WHERE c.cohort), 0),
           count(c.handled_at - c.dispatched_at) FILTER (WHERE c.cohort)
      FROM (SELECT c.*, {ACCEPTED} AS cohort,
                   {ACCEPTED} AND {_of_day_events(NOTIFIED)} AS notified,
                   {_of_day_events(FALSE_POSITIVE)} AS false_positive
              FROM enforcement_case c
             WHERE c.created_at >= {{}} AND c.created_at < {{}}) c
     GROUP BY 1, 2, 3, 4, 5, 6"""

# Per case and Shanghai day, whether it had a decision (and a rework) that day, for the
# cases with a decision on one of the days; the window reads each case's earlier days.
_REVIEW_DAYS = f"""WITH touched AS (
        SELECT DISTINCT e."case" AS id
          FROM case_event e
         WHERE e.at >= {{}} AND e.at < {{}} AND {REVIEW_DECISION}),
    per_day AS (
        SELECT e."case" AS id, {_SHANGHAI_DAY.format("e.at")} AS day,
               bool_or(coalesce((e.data->>'rework')::boolean, false)) AS rework
          FROM touched t JOIN case_event e ON e."case" = t.id
         WHERE {REVIEW_DECISION}
         GROUP BY 1, 2),
    dated AS (
        SELECT p.*,
               max(p.day) OVER w AS since_review,
               max(p.day) FILTER (WHERE p.rework) OVER w AS since_rework
          FROM per_day p
        WINDOW w AS (PARTITION BY p.id ORDER BY p.day
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
    INSERT INTO review_figures_day (day, squad, violation_type, rework, since, cases)
    SELECT r.day, c.squad, c.violation_type, r.rework, r.since, count(*)
      FROM (SELECT id, day, false AS rework, since_review AS since FROM dated
            UNION ALL
            SELECT id, day, true, since_rework FROM dated WHERE rework) r
      JOIN enforcement_case c ON c.id = r.id
     WHERE r.day >= {{}} AND r.day < {{}}
     GROUP BY 1, 2, 3, 4, 5"""


_COUNTS = (
    "created, cases, dismissed, closed, closed_on_time, extended, overdue, notified,"
    " self_corrected, flagged_evidence, false_positives, undecided, accept_seconds,"
    " accepted_n, handle_seconds, handled_n"
)
_COLUMNS = tuple(c.strip() for c in _COUNTS.split(","))
_KEY = "squad, violation_type, source, camera, zone_key"
_MONTH = "date_trunc('month', {})::date"


def _moved(columns: Iterable[str]) -> tuple[str, str]:
    """The sums of the signed rows, and the HAVING that keeps the groups that moved."""
    sums = [f"sum(d.sign * {c})" for c in columns]
    return ", ".join(sums), " OR ".join(f"{s} <> 0" for s in sums)


def _added(table: str, columns: Iterable[str]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


# A month row is the sum of its days' rows, so a refresh moves it by what its dirty days
# changed: their rows as they are now less their rows before (kept in ``old_*_days`` as
# they are deleted), for the groups whose sums moved (most of a day's groups do not),
# then the rows left at zero deleted. It reads the dirty days' rows only; summing whole
# months again would read a month of day rows per dirty day (most of the day table when
# the changes are spread over the year).
_OLD_DAYS = (
    "CREATE TEMP TABLE old_case_days (LIKE case_figures_day) ON COMMIT DROP",
    "CREATE TEMP TABLE old_review_days (LIKE review_figures_day) ON COMMIT DROP",
)
_KEEP_OLD_DAYS = (
    """WITH gone AS (DELETE FROM case_figures_day WHERE day = ANY({}) RETURNING *)
       INSERT INTO old_case_days SELECT * FROM gone""",
    """WITH gone AS (DELETE FROM review_figures_day WHERE day = ANY({}) RETURNING *)
       INSERT INTO old_review_days SELECT * FROM gone""",
)
_CASE_SUMS, _CASE_MOVED = _moved(_COLUMNS)
_CASE_MONTHS_MOVE = f"""INSERT INTO case_figures_month AS m (day, {_KEY}, {_COUNTS})
    SELECT {_MONTH.format("day")}, {_KEY}, {_CASE_SUMS}
      FROM (SELECT 1 AS sign, * FROM case_figures_day WHERE day = ANY({{}}::date[])
            UNION ALL SELECT -1, * FROM old_case_days) d
     GROUP BY 1, 2, 3, 4, 5, 6
    HAVING {_CASE_MOVED}
    ON CONFLICT ON CONSTRAINT case_figures_month_key
    DO UPDATE SET {_added("m", _COLUMNS)}"""
_REVIEW_SUMS, _REVIEW_MOVED = _moved(["cases"])
_REVIEW_MONTHS_MOVE = f"""INSERT INTO review_figures_month AS m (day, squad, violation_type,
                                           rework, since, cases)
    SELECT {_MONTH.format("day")}, squad, violation_type, rework, {_MONTH.format("since")},
           {_REVIEW_SUMS}
      FROM (SELECT 1 AS sign, * FROM review_figures_day WHERE day = ANY({{}}::date[])
            UNION ALL SELECT -1, * FROM old_review_days) d
     GROUP BY 1, 2, 3, 4, 5
    HAVING {_REVIEW_MOVED}
    ON CONFLICT ON CONSTRAINT review_figures_month_key DO UPDATE SET {_added("m", ["cases"])}"""
# A group's row counts at least one case (``created``, ``cases``); zero: none are left.
_EMPTY_MONTHS = (
    "DELETE FROM case_figures_month WHERE day = ANY({}) AND created = 0",
    "DELETE FROM review_figures_month WHERE day = ANY({}) AND cases = 0",
)
# ``rebuild``: every month summed again from its days (a repair starts from the days).
_CASE_MONTHS = f"""INSERT INTO case_figures_month (day, {_KEY}, {_COUNTS})
    SELECT {_MONTH.format("day")}, {_KEY}, {", ".join(f"sum({c})" for c in _COLUMNS)}
      FROM case_figures_day GROUP BY 1, 2, 3, 4, 5, 6"""
_REVIEW_MONTHS = f"""INSERT INTO review_figures_month (day, squad, violation_type, rework, since,
                                      cases)
    SELECT {_MONTH.format("day")}, squad, violation_type, rework, {_MONTH.format("since")},
           sum(cases)
      FROM review_figures_day GROUP BY 1, 2, 3, 4, 5"""


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """The days as runs of consecutive days, each [first, stop)."""
    out: list[tuple[date, date]] = []
    for d in sorted(set(days)):
        if out and out[-1][1] == d:
            out[-1] = (out[-1][0], d + timedelta(days=1))
        else:
            out.append((d, d + timedelta(days=1)))
    return out


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=SHANGHAI)


class Refresh(msgspec.Struct, frozen=True):
    refreshed_at: datetime
    days: int  # the days recomputed


async def refresh() -> Refresh:
    """Recompute the dirty days, in one transaction; the watermark is its start (every
    change committed before it is in the figures)."""
    return await _refresh(whole_months=False)


async def _refresh(*, whole_months: bool) -> Refresh:
    """``refresh``; ``whole_months``: the month tables summed again from all the days
    (``rebuild``), not moved by the dirty days' change."""
    async with engine().transaction():
        await Case.raw(_LOCK)
        rows = await Case.raw(
            """WITH gone AS (DELETE FROM figures_dirty RETURNING day)
               SELECT coalesce(array_agg(DISTINCT day), ARRAY[]::date[]) AS days,
                      now() AS at
                 FROM gone"""
        )
        days: list[date] = list(rows[0]["days"])
        if days and whole_months:
            await Case.raw("DELETE FROM case_figures_day WHERE day = ANY({})", days)
            await Case.raw("DELETE FROM review_figures_day WHERE day = ANY({})", days)
        elif days:
            for statement in _OLD_DAYS:
                await Case.raw(statement)
            for statement in _KEEP_OLD_DAYS:
                await Case.raw(statement, days)
        for first, stop in runs(days):
            start, end = _midnight(first), _midnight(stop)
            await Case.raw(_CASE_DAYS, start, end, start, end)
            await Case.raw(_REVIEW_DAYS, start, end, first, stop)
        if days and not whole_months:
            await Case.raw(_CASE_MONTHS_MOVE, days)
            await Case.raw(_REVIEW_MONTHS_MOVE, days)
            months = sorted({d.replace(day=1) for d in days})
            for statement in _EMPTY_MONTHS:
                await Case.raw(statement, months)
        if whole_months:
            await Case.raw("DELETE FROM case_figures_month")
            await Case.raw("DELETE FROM review_figures_month")
            await Case.raw(_CASE_MONTHS)
            await Case.raw(_REVIEW_MONTHS)
        at: datetime = rows[0]["at"]
        await Case.raw(
            """INSERT INTO figures_refresh (refreshed_at, days) VALUES ({}, {})
               ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at,
                                              days = excluded.days""",
            at,
            len(days),
        )
    return Refresh(at.astimezone(SHANGHAI), len(days))


async def rebuild() -> Refresh:
    """Mark every day with cases or decisions dirty and refresh: after a migration, a
    repair, or a change the triggers cannot see (a TRUNCATE, a restore)."""
    async with engine().transaction():
        await Case.raw(
            f"""INSERT INTO figures_dirty (day)
                SELECT DISTINCT {_SHANGHAI_DAY.format("created_at")} FROM enforcement_case
                UNION SELECT DISTINCT {_SHANGHAI_DAY.format("e.at")} FROM case_event e
                       WHERE {REVIEW_DECISION}
                UNION SELECT day FROM case_figures_day
                UNION SELECT day FROM review_figures_day
                UNION SELECT day FROM case_figures_month
                UNION SELECT day FROM review_figures_month"""
        )
    return await _refresh(whole_months=True)


async def refreshed_at() -> datetime | None:
    """When the figures were last refreshed (``None``: never)."""
    rows = await Case.raw("SELECT refreshed_at FROM figures_refresh")
    return rows[0]["refreshed_at"].astimezone(SHANGHAI) if rows else None
