"""Routine inspections (日常检查): how often each grade is visited, when a subject's first
visit falls (spread, not all on one day), and what is checked for each kind of subject.

Patrol priorities feed the plan: a subject inside a hot cell of last week (高发区域) is
visited twice as often as its grade says, but at most once a day, and its next visit is
brought forward to fit that rhythm as soon as the cell turns hot."""

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
HOTSPOT_FACTOR = 0.5  # inside a hot cell: twice as often
MIN_INTERVAL = timedelta(days=1)  # the plan runs once a day


def every(grade: Grade, policy: GradingPolicy, *, in_hotspot: bool = False) -> timedelta:
    """How often a subject of ``grade`` is visited; more often inside a hot cell."""
    interval = timedelta(days=policy.inspect_every_days[grade])
    if not in_hotspot:
        return interval
    return max(interval * HOTSPOT_FACTOR, min(interval, MIN_INTERVAL))


def brought_forward(due: datetime, interval: timedelta, day_start: datetime) -> datetime:
    """The next visit of a subject that now sits in a hot cell: no later than one (hot)
    interval from the day's start; an earlier visit stays where it is."""
    return min(due, day_start + interval)


def first_due(subject_id: int, interval: timedelta, start: datetime) -> datetime:
    """A subject's first visit: somewhere in its first interval, by a low-discrepancy
    phase of its id, so that subjects of one grade spread over the days."""
    return start + interval * ((subject_id * _GOLDEN) % 1.0)


def next_due(due: datetime, interval: timedelta, now: datetime) -> datetime:
    """The visit after one due at ``due``: one interval on, or a fresh interval from now
    when the schedule fell more than an interval behind (no backlog piles up)."""
    following = due + interval
    return following if following > now else now + interval
