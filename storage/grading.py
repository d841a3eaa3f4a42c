"""Grades of subjects: computed from their established violations (nightly, in batches,
and on demand), overridden by hand with a reason and an expiry, and kept as history.

An established violation is a case of the subject whose outcome confirmed it:
corrected on site, rectification ordered, filed, or self-corrected after a notice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import msgspec

from domain.errors import NotFound
from domain.subjects.grading import Grade, GradingPolicy, Violation, effective, grade
from domain.subjects.inspections import every
from storage.db import engine
from storage.tables import Subject

ESTABLISHED = ("corrected_on_site", "rectification_ordered", "case_filed", "self_corrected")
BATCH = 5_000


class GradeState(msgspec.Struct, frozen=True, kw_only=True):
    grade: Grade
    computed: Grade
    points: float
    graded_at: datetime | None
    override: Grade | None
    override_reason: str | None
    override_until: datetime | None


class GradeEntry(msgspec.Struct, frozen=True):
    at: datetime
    grade: Grade
    computed: Grade
    points: float
    source: str
    reason: str
    actor: int | None


class GradingRun(msgspec.Struct, frozen=True):
    subjects: int
    violations: int
    changed: int


async def grade_all(
    policy: GradingPolicy, severities: dict[str, int], now: datetime, batch: int = BATCH
) -> GradingRun:
    """Recompute every subject's grade (the nightly job), ``batch`` subjects per
    transaction; expired overrides end. Only changes are written."""
    subjects = violations = changed = 0
    after = 0
    while True:
        ids = [
            r["id"]
            for r in await Subject.raw(
                "SELECT id FROM subject WHERE id > {} ORDER BY id LIMIT {}", after, batch
            )
        ]
        if not ids:
            return GradingRun(subjects, violations, changed)
        after = ids[-1]
        async with engine().transaction():
            counts = await _grade_batch(ids, policy, severities, now, "nightly")
        subjects += len(ids)
        violations += counts[0]
        changed += counts[1]


async def grade_one(
    subject_id: int, policy: GradingPolicy, severities: dict[str, int], now: datetime
) -> GradeState:
    """Recompute one subject's grade now (on demand)."""
    async with engine().transaction():
        if not await Subject.exists().where(Subject.id == subject_id):
            raise NotFound("subject_not_found", f"no subject {subject_id}")
        await _grade_batch([subject_id], policy, severities, now, "on_demand")
    return await state(subject_id)


async def _grade_batch(
    ids: list[int],
    policy: GradingPolicy,
    severities: dict[str, int],
    now: datetime,
    source: str,
) -> tuple[int, int]:
    start = now - timedelta(days=policy.window_days)
    rows = await Subject.raw(
        """SELECT subject, created_at, violation_type, outcome = 'self_corrected' AS corrected
             FROM enforcement_case
            WHERE subject = ANY({}::int[]) AND created_at > {} AND created_at <= {}
              AND outcome = ANY({}::text[])""",
        ids,
        start,
        now,
        list(ESTABLISHED),
    )
    by_subject: dict[int, list[Violation]] = defaultdict(list)
    for r in rows:
        by_subject[r["subject"]].append(
            Violation(
                r["created_at"],
                r["violation_type"],
                severities.get(r["violation_type"], 2),
                r["corrected"],
            )
        )
    current = await Subject.raw(
        """SELECT id, grade, grade_computed, grade_points, grade_override, grade_override_until
             FROM subject WHERE id = ANY({}::int[]) FOR UPDATE""",
        ids,
    )
    updates: list[tuple[int, str, str, float, bool, datetime]] = []
    for c in current:
        graded = grade(by_subject.get(c["id"], []), policy, now.date())
        override = Grade(c["grade_override"]) if c["grade_override"] else None
        until = c["grade_override_until"]
        expired = override is not None and until is not None and until <= now
        in_force = effective(graded.grade, None if expired else override, until, now)
        if (
            in_force.value != c["grade"]
            or graded.grade.value != c["grade_computed"]
            or abs(graded.points - c["grade_points"]) > 1e-9
            or expired
            or source == "on_demand"
        ):
            soonest = now + every(in_force, policy)
            updates.append(
                (c["id"], in_force.value, graded.grade.value, graded.points, expired, soonest)
            )
    if updates:
        cols = list(zip(*updates, strict=True))
        await Subject.raw(
            """UPDATE subject s SET grade = u.grade, grade_computed = u.computed,
                      grade_points = u.points, graded_at = {},
                      grade_override = CASE WHEN u.expired THEN NULL ELSE s.grade_override END,
                      grade_override_reason = CASE WHEN u.expired THEN NULL
                                                   ELSE s.grade_override_reason END,
                      grade_override_until = CASE WHEN u.expired THEN NULL
                                                  ELSE s.grade_override_until END,
                      -- a riskier grade brings the next routine inspection forward
                      next_inspection_at = least(s.next_inspection_at, u.soonest)
                 FROM unnest({}::int[], {}::text[], {}::text[], {}::float8[], {}::bool[],
                             {}::timestamptz[])
                      AS u(id, grade, computed, points, expired, soonest)
                WHERE s.id = u.id""",
            now,
            *[list(c) for c in cols],
        )
        before = {c["id"]: (c["grade"], c["grade_computed"]) for c in current}
        history = [
            (i, g, comp, pts, "override_ended" if exp else source)
            for i, g, comp, pts, exp, _ in updates
            if (g, comp) != before[i] or exp or source == "on_demand"
        ]
        if history:
            hcols = list(zip(*history, strict=True))
            await Subject.raw(
                """INSERT INTO subject_grade (subject, at, grade, computed, points, source,
                                              reason, actor)
                   SELECT h.id, {}, h.grade, h.computed, h.points, h.source, '', NULL
                     FROM unnest({}::int[], {}::text[], {}::text[], {}::float8[], {}::text[])
                          AS h(id, grade, computed, points, source)""",
                now,
                *[list(c) for c in hcols],
            )
    return len(rows), len(updates)


async def set_override(
    subject_id: int,
    override: Grade,
    reason: str,
    until: datetime,
    actor: int,
    now: datetime,
    policy: GradingPolicy,
) -> GradeState:
    """Hold a subject at ``override`` until ``until``, for ``reason`` (kept in history)."""
    async with engine().transaction():
        rows = await Subject.raw(
            """UPDATE subject SET grade = {}, grade_override = {}, grade_override_reason = {},
                      grade_override_until = {},
                      next_inspection_at = least(next_inspection_at, {})
                WHERE id = {} RETURNING grade_computed, grade_points""",
            override.value,
            override.value,
            reason,
            until,
            now + every(override, policy),
            subject_id,
        )
        if not rows:
            raise NotFound("subject_not_found", f"no subject {subject_id}")
        await _history(
            subject_id,
            now,
            override,
            rows[0],
            "override",
            f"{reason} (until {until:%Y-%m-%d})",
            actor,
        )
    return await state(subject_id)


async def clear_override(subject_id: int, actor: int, now: datetime) -> GradeState:
    """End an override at once: the computed grade is in force again."""
    async with engine().transaction():
        rows = await Subject.raw(
            """UPDATE subject SET grade = grade_computed, grade_override = NULL,
                      grade_override_reason = NULL, grade_override_until = NULL
                WHERE id = {} RETURNING grade_computed, grade_points""",
            subject_id,
        )
        if not rows:
            raise NotFound("subject_not_found", f"no subject {subject_id}")
        computed = Grade(rows[0]["grade_computed"])
        await _history(subject_id, now, computed, rows[0], "override_ended", "ended by hand", actor)
    return await state(subject_id)


async def _history(
    subject_id: int,
    now: datetime,
    in_force: Grade,
    row: dict[str, Any],
    source: str,
    reason: str,
    actor: int | None,
) -> None:
    await Subject.raw(
        """INSERT INTO subject_grade (subject, at, grade, computed, points, source, reason, actor)
           VALUES ({}, {}, {}, {}, {}, {}, {}, {})""",
        subject_id,
        now,
        in_force.value,
        row["grade_computed"],
        row["grade_points"],
        source,
        reason[:500],
        actor,
    )


async def state(subject_id: int) -> GradeState:
    rows = await Subject.raw(
        """SELECT grade, grade_computed AS computed, grade_points AS points, graded_at,
                  grade_override AS override, grade_override_reason AS override_reason,
                  grade_override_until AS override_until
             FROM subject WHERE id = {}""",
        subject_id,
    )
    if not rows:
        raise NotFound("subject_not_found", f"no subject {subject_id}")
    return msgspec.convert(rows[0], GradeState)


async def history(subject_id: int, limit: int = 100) -> list[GradeEntry]:
    rows = await Subject.raw(
        """SELECT at, grade, computed, points, source, reason, actor FROM subject_grade
            WHERE subject = {} ORDER BY at DESC, id DESC LIMIT {}""",
        subject_id,
        limit,
    )
    return [msgspec.convert(r, GradeEntry) for r in rows]
