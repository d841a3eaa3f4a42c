"""Patrol priorities (巡查重点), pure: the week's hot cells, repeat places and supervised
subjects of grade D and C ranked into one list, each with a reason in Chinese.

Order (score, highest first):
1. D subjects inside a hot cell (1000 + z), then C subjects inside a hot cell (900 + z);
2. hot cells by trend — persistent (500), new (400), intermittent (300), fading (200) —
   plus their z-score;
3. repeat places (100 + cases);
4. D subjects elsewhere (50), then C subjects elsewhere (40).
Ties keep the input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import msgspec

TREND_SCORE = {"persistent": 500.0, "new": 400.0, "intermittent": 300.0, "fading": 200.0}
TREND_ZH = {
    "persistent": "连续{weeks}周高发",
    "new": "新出现高发",
    "intermittent": "间歇高发",
    "fading": "高发减弱",
}


class Kind(StrEnum):
    hotspot = "hotspot"
    repeat_place = "repeat_place"
    subject = "subject"


class HotCell(msgspec.Struct, frozen=True, kw_only=True):
    cell: str
    z: float
    trend: str | None
    weeks_hot: int
    cases: int
    type_name: str  # Chinese name of the violation type, or 全部类型
    violation_type: str | None
    lng: float
    lat: float


class Place(msgspec.Struct, frozen=True, kw_only=True):
    violation_type: str
    type_name: str
    cases: int
    cell: str | None
    lng: float
    lat: float


class GradedSubject(msgspec.Struct, frozen=True, kw_only=True):
    subject_id: int
    name: str
    grade: str
    cell: str | None
    lng: float
    lat: float


class Priority(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    score: float
    reason: str
    lng: float
    lat: float
    cell: str | None = None
    subject_id: int | None = None
    grade: str | None = None
    violation_type: str | None = None


def _hot_reason(h: HotCell) -> str:
    label = TREND_ZH.get(h.trend or "", "高发").format(weeks=h.weeks_hot)
    return f"{label}：{h.type_name}{h.cases}起"


def rank_priorities(
    hot: Sequence[HotCell], places: Sequence[Place], subjects: Sequence[GradedSubject]
) -> list[Priority]:
    """The priorities, best first (see the module docstring)."""
    by_cell = {h.cell: h for h in hot}
    out: list[Priority] = []
    for h in hot:
        out.append(
            Priority(
                kind=Kind.hotspot,
                score=TREND_SCORE.get(h.trend or "", 100.0) + h.z,
                reason=_hot_reason(h),
                lng=h.lng,
                lat=h.lat,
                cell=h.cell,
                violation_type=h.violation_type,
            )
        )
    for p in places:
        out.append(
            Priority(
                kind=Kind.repeat_place,
                score=100.0 + p.cases,
                reason=f"高发点位：{p.type_name}{p.cases}起",
                lng=p.lng,
                lat=p.lat,
                cell=p.cell,
                violation_type=p.violation_type,
            )
        )
    for s in subjects:
        if s.grade not in ("C", "D"):
            continue
        inside = by_cell.get(s.cell) if s.cell else None
        if inside is not None:
            score = (1000.0 if s.grade == "D" else 900.0) + inside.z
            reason = f"{s.grade}级监管对象位于高发区域：{s.name}（{_hot_reason(inside)}）"
        else:
            score = 50.0 if s.grade == "D" else 40.0
            reason = f"{s.grade}级监管对象：{s.name}"
        out.append(
            Priority(
                kind=Kind.subject,
                score=score,
                reason=reason,
                lng=s.lng,
                lat=s.lat,
                cell=s.cell,
                subject_id=s.subject_id,
                grade=s.grade,
            )
        )
    return sorted(out, key=lambda p: -p.score)
