"""Routine inspections (日常检查): how often each grade is visited, when a subject's first
visit falls (spread, not all on one day), and what is checked for each kind of subject."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.subjects.grading import Grade, GradingPolicy
from domain.subjects.model import SubjectKind

INSPECTION_TYPE = "90-01"  # the catalogue's routine-inspection type

CHECKLISTS: dict[SubjectKind, tuple[str, ...]] = {
    SubjectKind.merchant: ("门责区整洁", "无跨门营业", "无乱堆物", "店招规范", "垃圾分类"),
    SubjectKind.construction_site: (
        "围挡完好",
        "出入口车辆冲洗",
        "渣土覆盖",
        "扬尘控制",
        "夜间施工许可",
    ),
    SubjectKind.business_premises: ("证照公示", "门前秩序", "噪声控制", "消防通道畅通"),
    SubjectKind.illegal_structure: ("无新增搭建", "拆除进度", "现场安全"),
}

_GOLDEN = 0.6180339887498949


def every(grade: Grade, policy: GradingPolicy) -> timedelta:
    return timedelta(days=policy.inspect_every_days[grade])


def first_due(subject_id: int, interval: timedelta, start: datetime) -> datetime:
    """A subject's first visit: somewhere in its first interval, by a low-discrepancy
    phase of its id, so that subjects of one grade spread over the days."""
    return start + interval * ((subject_id * _GOLDEN) % 1.0)


def next_due(due: datetime, interval: timedelta, now: datetime) -> datetime:
    """The visit after one due at ``due``: one interval on, or a fresh interval from now
    when the schedule fell more than an interval behind (no backlog piles up)."""
    following = due + interval
    return following if following > now else now + interval
