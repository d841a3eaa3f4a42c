"""The assessment indicators (数字城管考核指标), counted in SQL.

The indicators are defined once in ``domain.assessment`` (the formulas, and ``count``
over per-case facts); this module counts the same things on the rows, with the same
predicates: ``ACCEPTED`` is ``CaseFacts.accepted``, ``NOTIFIED`` is ``CaseFacts.notified``,
``REVIEW_DECISION`` the timeline entries that are a ``Review``. ``case_facts`` reads the
facts of given cases, so a test can check that the SQL's counts are ``count``'s.

``indicators``, ``indicators_by_month`` (the trend, one read) and ``precision`` sum the
per-day (per-month) tables of ``storage.cases.aggregates`` (as of its last refresh;
periods of whole Shanghai days);
``live_indicators`` and ``live_precision`` count the same over the cases themselves, now:
the reference the tests and ``offsite figures rebuild`` hold the sums to.

Every rate is ``None`` when its denominator is 0, and at most 100 %: each numerator is
counted over the same population as its denominator (the accepted cases), so a
soft-enforcement case closed without a dispatch counts in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from domain.assessment import CaseFacts, Counts, false_positive_rate, rates
from domain.assessment import precision as precision_of
from storage.tables import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The timeline entries that are a review decision; the partial index case_event_review
# (migration 2026-12-02T13:30) has this very predicate, so keep the two the same.
REVIEW_DECISION = "(e.to_state = 'closed' OR (e.data->>'rework')::boolean)"
# ``CaseFacts.accepted``: dispatched or out of triage, and not dismissed.
ACCEPTED = """(c.state <> 'dismissed'
                AND (c.dispatched_at IS NOT NULL OR c.state <> 'pending_triage'))"""
# ``CaseFacts.notified``: soft enforcement told the party to correct it.
NOTIFIED = """EXISTS (SELECT 1 FROM case_event n WHERE n."case" = c.id
                          AND n.action = 'notify_party')"""


class GroupBy(StrEnum):
    squad = "squad"
    type = "type"
    squad_type = "squad_type"
    district = "district"


class Indicators(msgspec.Struct, frozen=True, kw_only=True):
    squad_id: int | None
    violation_type: str | None
    cases: int
    dismissed: int
    closed: int
    closed_on_time: int
    reviewed: int  # closed, returned or reopened in the period
    reworked: int  # returned or reopened in the period
    extended: int
    overdue: int
    flagged_evidence: int
    notified: int = 0  # accepted cases whose party was notified (soft enforcement)
    self_corrected: int = 0  # of those, corrected by the party (自行整改)
    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    self_correction_rate: float | None = None  # 自治率
    mean_minutes_to_accept: float | None
    mean_minutes_to_handle: float | None


_KEYS = {
    GroupBy.squad: ("c.squad", "NULL"),
    GroupBy.type: ("NULL", "c.violation_type"),
    GroupBy.squad_type: ("c.squad", "c.violation_type"),
    GroupBy.district: ("NULL", "NULL"),
}


# The cohort counts summed from ``case_figures_*``; the review counts from
# ``review_figures_*`` (the month tables or the day tables, ``tables_of``).
_COHORT = (
    "cases",
    "dismissed",
    "closed",
    "closed_on_time",
    "extended",
    "overdue",
    "notified",
    "self_corrected",
    "flagged_evidence",
)
_REVIEWED = ("reviewed", "reworked")
# The keys of each grouping over the day and month tables (``_KEYS``: over the cases).
_DAY_KEYS = {
    GroupBy.squad: ("squad", "NULL::int"),
    GroupBy.type: ("NULL::int", "violation_type"),
    GroupBy.squad_type: ("squad", "violation_type"),
    GroupBy.district: ("NULL::int", "NULL::varchar"),
}


async def indicators(
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    *,
    squad_id: int | None = None,
    violation_type: str | None = None,
) -> list[Indicators]:
    """``live_indicators``' figures, summed over [start, end) (whole Shanghai days) in
    the day tables, or the month tables for whole months: the cohort's from the creation
    days, the review counts from each case's first decision day in the period (``since``
    before it)."""
    first, stop = days_of(start, end)
    rows = await _summed(first, stop, group_by, squad_id, violation_type, by_month=False)
    return [_indicators(r) for r in rows]


class MonthIndicators(msgspec.Struct, frozen=True):
    month: date  # its first day
    indicators: Indicators


async def indicators_by_month(
    start: datetime, end: datetime, group_by: GroupBy, *, squad_id: int | None = None
) -> list[MonthIndicators]:
    """``indicators`` of each month of [start, end) (whole months), in one read of the
    month tables: each month is its own period (a review counts in a month when
    ``since`` is before that month). Months with nothing in them are left out."""
    first, stop = days_of(start, end)
    if tables_of(first, stop)[0] != "case_figures_month":
        raise ValueError(f"not whole months: {first} to {stop}")
    rows = await _summed(first, stop, group_by, squad_id, None, by_month=True)
    return [MonthIndicators(r["month"], _indicators(r)) for r in rows]


async def _summed(
    first: date,
    stop: date,
    group_by: GroupBy,
    squad_id: int | None,
    violation_type: str | None,
    *,
    by_month: bool,
) -> list[dict[str, Any]]:
    """The indicators' counts per group over [first, stop) (per group and month when
    ``by_month``, the month tables' ``day``), summed from the day or month tables."""
    cases_table, reviews_table = tables_of(first, stop)
    squad_key, type_key = _DAY_KEYS[group_by]
    month_key = "day" if by_month else "NULL::date"
    where = "day >= {} AND day < {}"
    args: list[object] = [first, stop]
    if squad_id is not None:
        where += " AND squad = {}"
        args.append(squad_id)
    if violation_type is not None:
        where += " AND violation_type = {}"
        args.append(violation_type)
    # A case's first decision in the period (each month, ``by_month``) is the row whose
    # previous decision day is before it.
    since_before, since_args = ("day", []) if by_month else ("{}", [first])
    # Each table is summed to its groups first, so the union and the outer sums (of
    # sums: the same totals) see a few rows per group, not every row of the period.
    sums = ("accept_seconds", "accepted_n", "handle_seconds", "handled_n")
    zeros = ", ".join(f"0 AS {k}" for k in (*_COHORT, *sums))
    rows: list[dict[str, Any]] = await Case.raw(
        f"""SELECT month, squad_id, violation_type,
                   {", ".join(f"sum({k})::int AS {k}" for k in (*_COHORT, *_REVIEWED))},
                   sum(accept_seconds) / nullif(sum(accepted_n), 0) / 60
                       AS mean_minutes_to_accept,
                   sum(handle_seconds) / nullif(sum(handled_n), 0) / 60
                       AS mean_minutes_to_handle
              FROM (SELECT {month_key} AS month, {squad_key} AS squad_id,
                           {type_key} AS violation_type,
                           {", ".join(f"sum({k}) AS {k}" for k in (*_COHORT, *sums))},
                           0 AS reviewed, 0 AS reworked
                      FROM {cases_table} WHERE {where}
                     GROUP BY 1, 2, 3
                    UNION ALL
                    SELECT {month_key}, {squad_key}, {type_key}, {zeros},
                           coalesce(sum(cases) FILTER (WHERE NOT rework), 0),
                           coalesce(sum(cases) FILTER (WHERE rework), 0)
                      FROM {reviews_table}
                     WHERE {where} AND (since IS NULL OR since < {since_before})
                     GROUP BY 1, 2, 3) u
             GROUP BY 1, 2, 3
             ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST""",
        *args,
        *args,
        *since_args,
    )
    return rows


async def live_indicators(
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    *,
    squad_id: int | None = None,
    violation_type: str | None = None,
) -> list[Indicators]:
    """The indicators per group: cohort counts over the cases created in [start, end),
    review counts over the decisions taken in it (see the module docstring). Counted
    over the cases, now: the reference of ``indicators``."""
    squad_key, type_key = _KEYS[group_by]
    where: list[str] = ["TRUE"]
    args: list[object] = [start, end, start, end]
    if squad_id is not None:
        where.append("c.squad = {}")
        args.append(squad_id)
    if violation_type is not None:
        where.append("c.violation_type = {}")
        args.append(violation_type)
    # r: per case, whether a review decision (a close, or a return / reopen, which the
    # state machine marks ``rework`` in its entry) was taken in the period; k: the cases
    # created in it. Each is found by its own index; the groups count over both.
    rows = await Case.raw(
        f"""WITH r AS (
            SELECT e."case" AS id, bool_or(coalesce((e.data->>'rework')::boolean, false))
                       AS reworked
              FROM case_event e
             WHERE e.at >= {{}} AND e.at < {{}} AND {REVIEW_DECISION}
             GROUP BY 1),
        k AS (SELECT id FROM enforcement_case WHERE created_at >= {{}} AND created_at < {{}}),
        ids AS (SELECT id FROM k UNION SELECT id FROM r),
        g AS (
            SELECT c.*, k.id IS NOT NULL AS created,
                   k.id IS NOT NULL AND {ACCEPTED} AS cohort,
                   r.id AS reviewed_id, r.reworked,
                   k.id IS NOT NULL AND {ACCEPTED} AND {NOTIFIED} AS notified
              FROM ids
              JOIN enforcement_case c ON c.id = ids.id
              LEFT JOIN k ON k.id = c.id
              LEFT JOIN r ON r.id = c.id
             WHERE {" AND ".join(where)})
        SELECT {squad_key} AS squad_id, {type_key} AS violation_type,
               count(*) FILTER (WHERE c.cohort) AS cases,
               count(*) FILTER (WHERE c.created AND c.state = 'dismissed') AS dismissed,
               count(*) FILTER (WHERE c.cohort AND c.state = 'closed') AS closed,
               count(*) FILTER (WHERE c.cohort AND c.state = 'closed' AND NOT c.ever_overdue)
                   AS closed_on_time,
               count(c.reviewed_id) AS reviewed,
               count(*) FILTER (WHERE c.reworked) AS reworked,
               count(*) FILTER (WHERE c.cohort AND c.extension_count > 0) AS extended,
               count(*) FILTER (WHERE c.cohort AND c.ever_overdue) AS overdue,
               count(*) FILTER (WHERE c.notified) AS notified,
               count(*) FILTER (WHERE c.notified AND c.outcome = 'self_corrected')
                   AS self_corrected,
               coalesce(sum((SELECT count(*) FROM evidence e WHERE e."case" = c.id
                               AND e.flags <> '[]'::jsonb)) FILTER (WHERE c.cohort),
                        0)::int AS flagged_evidence,
               avg(extract(epoch FROM c.accepted_at - c.dispatched_at) / 60)
                   FILTER (WHERE c.cohort) AS mean_minutes_to_accept,
               avg(extract(epoch FROM c.handled_at - c.dispatched_at) / 60)
                   FILTER (WHERE c.cohort) AS mean_minutes_to_handle
          FROM g c
         GROUP BY 1, 2
         ORDER BY 1 NULLS FIRST, 2 NULLS FIRST""",
        *args,
    )
    return [_indicators(r) for r in rows]


def _indicators(r: Mapping[str, Any]) -> Indicators:
    counts = msgspec.convert({k: v for k, v in r.items() if k in Counts.__struct_fields__}, Counts)
    return msgspec.convert(
        {
            **r,
            **msgspec.structs.asdict(rates(counts)),
            "mean_minutes_to_accept": _float(r.get("mean_minutes_to_accept")),
            "mean_minutes_to_handle": _float(r.get("mean_minutes_to_handle")),
        },
        Indicators,
    )


def empty_indicators(squad_id: int | None, violation_type: str | None = None) -> Indicators:
    """The indicators of a group with nothing in the period."""
    return _indicators(
        {
            "squad_id": squad_id,
            "violation_type": violation_type,
            **dict.fromkeys((*_COHORT, *_REVIEWED), 0),
        }
    )


def days_of(start: datetime, end: datetime) -> tuple[date, date]:
    """[start, end) as Shanghai days [first, stop): the day tables hold whole days only."""
    first, stop = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    for bound in (first, stop):
        if bound.time() != time():
            raise ValueError(f"not a Shanghai midnight: {bound.isoformat()}")
    return first.date(), stop.date()


def tables_of(first: date, stop: date) -> tuple[str, str]:
    """The case and review tables to sum for [first, stop): the months' when it is whole
    months (a year is twelve months of rows), else the days'."""
    if first.day == 1 and stop.day == 1:
        return "case_figures_month", "review_figures_month"
    return "case_figures_day", "review_figures_day"


def _float(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]


class Precision(msgspec.Struct, frozen=True, kw_only=True):
    """How often a camera rule was right: alerts, and the false ones among them (dismissed
    as false positive at triage, or found to be nothing on site)."""

    camera_id: int | None
    zone_key: str | None
    violation_type: str
    alerts: int
    false_positives: int
    undecided: int  # still waiting for triage
    precision: float | None  # 1 - false positives / decided alerts
    false_positive_rate: float | None = None  # false positives / decided alerts


# ``CaseFacts.false_positive``.
FALSE_POSITIVE = """(c.outcome = 'not_found' OR EXISTS (
    SELECT 1 FROM case_event e WHERE e."case" = c.id
       AND e.action = 'dismiss' AND e.data->>'reason' = 'false_positive'))"""


async def precision(
    start: datetime, end: datetime, *, squad_id: int | None = None
) -> list[Precision]:
    """``live_precision``'s figures, summed over [start, end) (whole Shanghai days) in
    ``case_figures_day``, or ``case_figures_month`` for whole months."""
    first, stop = days_of(start, end)
    cases_table = tables_of(first, stop)[0]
    where = "source IN ('camera', 'alarm') AND day >= {} AND day < {}"
    args: list[object] = [first, stop]
    if squad_id is not None:
        where += " AND squad = {}"
        args.append(squad_id)
    rows = await Case.raw(
        f"""SELECT camera AS camera_id, zone_key, violation_type,
                   sum(created)::int AS alerts, sum(false_positives)::int AS false_positives,
                   sum(undecided)::int AS undecided
              FROM {cases_table} WHERE {where}
             GROUP BY 1, 2, 3""",
        *args,
    )
    return _precisions(rows)


def _precisions(rows: list[dict[str, Any]]) -> list[Precision]:
    """The rows' precision, the least precise first."""
    items = []
    for r in rows:
        decided = r["alerts"] - r["undecided"]
        items.append(
            Precision(
                **r,
                precision=precision_of(r["false_positives"], decided),
                false_positive_rate=false_positive_rate(r["false_positives"], decided),
            )
        )
    items.sort(
        key=lambda p: (
            p.precision is None,
            p.precision or 0.0,
            -p.alerts,
            p.camera_id or 0,
            p.zone_key or "",
            p.violation_type,
        )
    )
    return items


async def live_precision(
    start: datetime, end: datetime, *, squad_id: int | None = None
) -> list[Precision]:
    """Per camera, zone and violation type, over camera and alarm cases of the period;
    the least precise first (``domain.assessment.precision``). Counted over the cases:
    the reference of ``precision``."""
    where: list[str] = [
        "c.source IN ('camera', 'alarm')",
        "c.created_at >= {}",
        "c.created_at < {}",
    ]
    args: list[object] = [start, end]
    if squad_id is not None:
        where.append("c.squad = {}")
        args.append(squad_id)
    rows = await Case.raw(
        f"""SELECT c.camera AS camera_id, c.zone_key, c.violation_type, count(*) AS alerts,
                   count(*) FILTER (WHERE {FALSE_POSITIVE}) AS false_positives,
                   count(*) FILTER (WHERE c.state = 'pending_triage') AS undecided
              FROM enforcement_case c
             WHERE {" AND ".join(where)}
             GROUP BY 1, 2, 3""",
        *args,
    )
    return _precisions(rows)


async def case_facts(ids: list[int]) -> list[CaseFacts]:
    """The indicators' facts of these cases, as the SQL above sees them."""
    if not ids:
        return []
    rows = await Case.raw(
        f"""SELECT c.id, c.source, c.state, c.outcome, c.created_at, c.dispatched_at,
                   c.accepted_at, c.handled_at, c.closed_at, c.ever_overdue,
                   c.extension_count,
                   EXISTS (SELECT 1 FROM case_event n WHERE n."case" = c.id
                              AND n.action = 'notify_party') AS notified,
                   (SELECT d.data->>'reason' FROM case_event d WHERE d."case" = c.id
                       AND d.action = 'dismiss' ORDER BY d.seq DESC LIMIT 1)
                       AS dismiss_reason,
                   coalesce((SELECT jsonb_agg(jsonb_build_object(
                                 'at', e.at,
                                 'rework', coalesce((e.data->>'rework')::boolean, false))
                               ORDER BY e.seq)
                               FROM case_event e
                              WHERE e."case" = c.id AND {REVIEW_DECISION}), '[]'::jsonb)
                       AS reviews
              FROM enforcement_case c WHERE c.id = ANY({{}})""",
        ids,
    )
    return [
        msgspec.convert(
            {
                **r,
                "reviews": msgspec.json.decode(r["reviews"])
                if isinstance(r["reviews"], (str, bytes))
                else r["reviews"],
            },
            CaseFacts,
        )
        for r in rows
    ]
