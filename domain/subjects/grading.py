"""Classify and grade (分类分级): how closely a subject is watched, from its record.

A subject's established violations within a rolling window earn points: by severity of
the violation type, more for a repeat of the same type within ``repeat_days``, less
when the party corrected it themselves after a notice (自行整改). The total against the
thresholds gives the grade, A (low risk) to D (high risk). Every contribution is
non-negative, so more violations, or worse ones, never improve a grade (tested as a
property). The policy is data (``grading_policy.json``, or ``OFFSITE_GRADING_POLICY``)
and is documented by its own fields.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import msgspec

DEFAULT_POLICY = Path(__file__).with_name("grading_policy.json")


class Grade(StrEnum):
    A = "A"  # low risk: routine inspection monthly
    B = "B"
    C = "C"
    D = "D"  # high risk: daily, and its new cases are urgent

    @property
    def rank(self) -> int:
        return "ABCD".index(self.value)


NonNegative = Annotated[float, msgspec.Meta(ge=0)]


class GradingPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The grading standard. ``thresholds`` are the least points for B, C and D."""

    window_days: Annotated[int, msgspec.Meta(ge=1)] = 365
    points_by_severity: dict[str, NonNegative] = msgspec.field(
        default_factory=lambda: {"1": 1.0, "2": 3.0, "3": 6.0}
    )
    repeat_days: Annotated[int, msgspec.Meta(ge=0)] = 90
    repeat_extra: NonNegative = 0.5  # a repeat counts (1 + repeat_extra) times
    self_corrected_factor: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.5
    thresholds: tuple[NonNegative, NonNegative, NonNegative] = (3.0, 8.0, 15.0)
    # Routine inspections per grade: every N days (D daily, C twice a week, ...).
    inspect_every_days: dict[Grade, Annotated[float, msgspec.Meta(gt=0)]] = msgspec.field(
        default_factory=lambda: {Grade.A: 30.0, Grade.B: 7.0, Grade.C: 3.5, Grade.D: 1.0}
    )
    urgent_from: Grade = Grade.D  # new cases of subjects this grade or worse are urgent

    def __post_init__(self) -> None:
        if list(self.thresholds) != sorted(self.thresholds):
            raise ValueError("thresholds must not decrease (B <= C <= D)")
        if set(self.points_by_severity) != {"1", "2", "3"}:
            raise ValueError("points_by_severity needs severities 1, 2 and 3")


class Violation(msgspec.Struct, frozen=True):
    """An established violation of the subject (a case whose outcome confirmed it)."""

    at: datetime
    violation_type: str
    severity: int
    self_corrected: bool = False


class Graded(msgspec.Struct, frozen=True):
    grade: Grade
    points: float
    violations: int  # in the window
    repeats: int


@functools.cache
def load_policy(path: str = "") -> GradingPolicy:
    return msgspec.json.decode(Path(path or DEFAULT_POLICY).read_bytes(), type=GradingPolicy)


def grade_of(points: float, policy: GradingPolicy) -> Grade:
    b, c, d = policy.thresholds
    if points >= d:
        return Grade.D
    if points >= c:
        return Grade.C
    if points >= b:
        return Grade.B
    return Grade.A


def grade(violations: Iterable[Violation], policy: GradingPolicy, today: date) -> Graded:
    """The grade a record earns on ``today`` (violations outside the window drop out)."""
    start = today - timedelta(days=policy.window_days)
    recent = sorted((v for v in violations if v.at.date() > start), key=lambda v: v.at)
    points, repeats = 0.0, 0
    last_of_type: dict[str, datetime] = {}
    for v in recent:
        value = policy.points_by_severity[str(min(3, max(1, v.severity)))]
        previous = last_of_type.get(v.violation_type)
        if previous is not None and (v.at - previous).days <= policy.repeat_days:
            value *= 1 + policy.repeat_extra
            repeats += 1
        if v.self_corrected:
            value *= policy.self_corrected_factor
        points += value
        last_of_type[v.violation_type] = v.at
    return Graded(grade_of(points, policy), round(points, 3), len(recent), repeats)


def effective(
    computed: Grade, override: Grade | None, until: datetime | None, now: datetime
) -> Grade:
    """The grade in force: a manual override until it expires, else the computed one."""
    if override is not None and (until is None or until > now):
        return override
    return computed
