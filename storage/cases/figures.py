"""The assessment indicators (数字城管考核指标), counted in SQL; the formulas are
``domain.cases.indicators``.

Over the cases created in a period and accepted (dispatched at least once; dismissed
ones counted apart):
- 结案率 closure rate = closed / accepted cases
- 按期结案率 on-time closure rate = closed without any missed deadline / accepted cases
- 延期率 extension rate = cases whose rectification was extended / accepted cases
- mean minutes from dispatch to acceptance and from dispatch to submission for review
- flagged evidence: photos taken far from the case or outside the task's time

Over what happened in the period, whenever the case was created:
- 返工率 rework rate = cases returned or reopened in the period / cases closed, returned
  or reopened in the period (``rework_rate``: counted when the return or reopen happens,
  so a case never closed again still counts; at most 100%)

Every rate is ``None`` when its denominator is 0.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from domain.cases.indicators import rework_rate, share
from storage.tables import Case

# The timeline entries that are a review decision; the partial index case_event_review
# (migration 2026-12-02T13:30) has this very predicate, so keep the two the same.
REVIEW_DECISION = "(e.to_state = 'closed' OR (e.data->>'rework')::boolean)"


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
    closure_rate: float | None
    on_time_closure_rate: float | None
    rework_rate: float | None
    extension_rate: float | None
    mean_minutes_to_accept: float | None
    mean_minutes_to_handle: float | None


_KEYS = {
    GroupBy.squad: ("c.squad", "NULL"),
    GroupBy.type: ("NULL", "c.violation_type"),
    GroupBy.squad_type: ("c.squad", "c.violation_type"),
    GroupBy.district: ("NULL", "NULL"),
}


async def indicators(
    start: datetime,
    end: datetime,
    group_by: GroupBy,
    *,
    squad_id: int | None = None,
    violation_type: str | None = None,
) -> list[Indicators]:
    """The indicators per group: cohort counts over the cases created in [start, end),
    review counts over the decisions taken in it (see the module docstring)."""
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
        ids AS (SELECT id FROM k UNION SELECT id FROM r)
        SELECT {squad_key} AS squad_id, {type_key} AS violation_type,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.dispatched_at IS NOT NULL)
                   AS cases,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.state = 'dismissed') AS dismissed,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.state = 'closed') AS closed,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.state = 'closed'
                                  AND NOT c.ever_overdue) AS closed_on_time,
               count(r.id) AS reviewed,
               count(*) FILTER (WHERE r.reworked) AS reworked,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.extension_count > 0) AS extended,
               count(*) FILTER (WHERE k.id IS NOT NULL AND c.ever_overdue) AS overdue,
               coalesce(sum((SELECT count(*) FROM evidence e WHERE e."case" = c.id
                               AND e.flags <> '[]'::jsonb)) FILTER (WHERE k.id IS NOT NULL),
                        0)::int AS flagged_evidence,
               avg(extract(epoch FROM c.accepted_at - c.dispatched_at) / 60)
                   FILTER (WHERE k.id IS NOT NULL) AS mean_minutes_to_accept,
               avg(extract(epoch FROM c.handled_at - c.dispatched_at) / 60)
                   FILTER (WHERE k.id IS NOT NULL) AS mean_minutes_to_handle
          FROM ids
          JOIN enforcement_case c ON c.id = ids.id
          LEFT JOIN k ON k.id = c.id
          LEFT JOIN r ON r.id = c.id
         WHERE {" AND ".join(where)}
         GROUP BY 1, 2
         ORDER BY 1 NULLS FIRST, 2 NULLS FIRST""",
        *args,
    )
    return [_indicators(r) for r in rows]


def _indicators(r: dict[str, Any]) -> Indicators:
    cases = r["cases"]
    return msgspec.convert(
        {
            **r,
            "closure_rate": share(r["closed"], cases),
            "on_time_closure_rate": share(r["closed_on_time"], cases),
            "rework_rate": rework_rate(r["reworked"], r["reviewed"]),
            "extension_rate": share(r["extended"], cases),
            "mean_minutes_to_accept": _float(r["mean_minutes_to_accept"]),
            "mean_minutes_to_handle": _float(r["mean_minutes_to_handle"]),
        },
        Indicators,
    )


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


async def precision(
    start: datetime, end: datetime, *, squad_id: int | None = None
) -> list[Precision]:
    """Per camera, zone and violation type, over camera and alarm cases of the period."""
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
        f"""WITH g AS (
            SELECT c.camera AS camera_id, c.zone_key, c.violation_type, count(*) AS alerts,
                   count(*) FILTER (WHERE c.outcome = 'not_found' OR EXISTS (
                       SELECT 1 FROM case_event e WHERE e."case" = c.id
                          AND e.action = 'dismiss' AND e.data->>'reason' = 'false_positive'
                   )) AS false_positives,
                   count(*) FILTER (WHERE c.state = 'pending_triage') AS undecided
              FROM enforcement_case c
             WHERE {" AND ".join(where)}
             GROUP BY 1, 2, 3)
        SELECT *, 1 - false_positives::float / NULLIF(alerts - undecided, 0) AS precision
          FROM g ORDER BY precision NULLS LAST, alerts DESC""",
        *args,
    )
    return [msgspec.convert(r, Precision) for r in rows]
