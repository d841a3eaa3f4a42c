"""A street block's monthly score (美丽街区考核): 100 points, less a deduction for every case
in the block that month — by the violation type's severity, more for one that went
overdue — and less what supervisors' spot checks found. The deductions are data
(``block_policy.json``, or ``OFFSITE_BLOCK_POLICY``)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec

from domain.errors import InvalidInput

DEFAULT_POLICY = Path(__file__).with_name("block_policy.json")
NonNegative = Annotated[float, msgspec.Meta(ge=0)]


class BlockPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    full_score: Annotated[float, msgspec.Meta(gt=0)] = 100.0
    per_case_by_severity: dict[str, NonNegative] = msgspec.field(
        default_factory=lambda: {"1": 0.5, "2": 1.0, "3": 2.0}
    )
    overdue_factor: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    cap_per_type: NonNegative = 10.0  # no one type takes more than this off
    spot_check_items: dict[str, NonNegative] = msgspec.field(
        default_factory=lambda: {
            "道路保洁": 5.0,
            "立面整洁": 5.0,
            "店招店牌": 5.0,
            "绿化养护": 5.0,
            "设施完好": 5.0,
            "街面秩序": 5.0,
        }
    )  # the most each item may take off in one spot check


class CaseInBlock(msgspec.Struct, frozen=True):
    violation_type: str
    severity: int
    overdue: bool


class SpotCheck(msgspec.Struct, frozen=True):
    item: str
    deduction: float


class Score(msgspec.Struct, frozen=True):
    score: float
    cases: int
    case_deduction: float
    spot_check_deduction: float
    by_type: dict[str, float]  # violation type → points taken off


@functools.cache
def load_policy(path: str = "") -> BlockPolicy:
    return msgspec.json.decode(Path(path or DEFAULT_POLICY).read_bytes(), type=BlockPolicy)


def check_item(policy: BlockPolicy, item: str) -> None:
    """A spot check names one of the policy's items, or is refused."""
    if item not in policy.spot_check_items:
        items = "、".join(policy.spot_check_items)
        raise InvalidInput("spot_check_item_unknown", f"the items are: {items}")


def score(cases: Iterable[CaseInBlock], checks: Iterable[SpotCheck], policy: BlockPolicy) -> Score:
    by_type: dict[str, float] = {}
    count = 0
    for case in cases:
        count += 1
        points = policy.per_case_by_severity[str(min(3, max(1, case.severity)))]
        if case.overdue:
            points *= policy.overdue_factor
        by_type[case.violation_type] = by_type.get(case.violation_type, 0.0) + points
    by_type = {t: min(p, policy.cap_per_type) for t, p in by_type.items()}
    case_deduction = sum(by_type.values())
    spot = sum(min(c.deduction, policy.spot_check_items.get(c.item, 0.0)) for c in checks)
    total = max(0.0, policy.full_score - case_deduction - spot)
    return Score(
        round(total, 2),
        count,
        round(case_deduction, 2),
        round(spot, 2),
        {t: round(p, 2) for t, p in sorted(by_type.items())},
    )
