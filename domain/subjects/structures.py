"""Illegal structures (违法建筑) and their own lifecycle:

    discovered → verified → filed → demolition_ordered → demolished_self | demolished_enforced
                                                       → retained (with an approval)

A structure found while being built is *new* (新增: new-construction control, 控违); one
that stood before is *stock* (存量: stock removal, 拆违). The two are counted apart, per
squad and month, against the yearly targets the admin sets. Every step is backed by at
least one photo of the structure's case. Pure: which step may follow which, and what it
must carry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, assert_never

import msgspec

from domain.errors import Conflict, InvalidInput
from domain.moments import AwareDatetime
from domain.org import Role

Text = Annotated[str, msgspec.Meta(max_length=500)]
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Photos = Annotated[tuple[str, ...], msgspec.Meta(min_length=1, max_length=20)]
Area = Annotated[float, msgspec.Meta(gt=0, le=1_000_000)]


class StructureKind(StrEnum):
    new = "new"  # 新增违建: being built or just built (控违)
    stock = "stock"  # 存量违建 (拆违)


class StructureState(StrEnum):
    discovered = "discovered"
    verified = "verified"
    filed = "filed"
    demolition_ordered = "demolition_ordered"
    demolished_self = "demolished_self"  # 自行拆除
    demolished_enforced = "demolished_enforced"  # 强制拆除
    retained = "retained"  # 保留 (approved to stay, e.g. 补办手续)

    @property
    def is_final(self) -> bool:
        return self in (
            StructureState.demolished_self,
            StructureState.demolished_enforced,
            StructureState.retained,
        )


class Verify(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Measured on site."""

    area_m2: Area
    floors: Annotated[int, msgspec.Meta(ge=1, le=200)]
    structure_type: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    built_when: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    owner: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    evidence_ids: Photos
    note: Text = ""


class File(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    external_ref: Ref  # 网上办案系统 case number
    evidence_ids: Photos
    note: Text = ""


class OrderDemolition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    deadline: AwareDatetime
    evidence_ids: Photos
    note: Text = ""


class Demolish(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enforced: bool  # false: the owner took it down (自行拆除)
    area_m2: Area  # what came down (at most the verified area)
    evidence_ids: Photos
    note: Text = ""


class Retain(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    approval_ref: Ref
    evidence_ids: Photos
    note: Text = ""


Step = Verify | File | OrderDemolition | Demolish | Retain

STEP_NAMES: dict[type[Step], str] = {
    Verify: "verify",
    File: "file",
    OrderDemolition: "order_demolition",
    Demolish: "demolish",
    Retain: "retain",
}

# Who takes each step, as for a case's verify / order-rectification / file: the officer
# on it, or a manager of the squad acting for them. Keeping a structure (an approval
# granted elsewhere, 补办手续) is a manager's call. Supervisors audit; they take no step.
_WORKERS = frozenset({Role.officer, Role.squad_leader, Role.commander, Role.admin})
_MANAGERS = frozenset({Role.squad_leader, Role.commander, Role.admin})
REGISTER_ROLES = _WORKERS
STEP_ROLES: dict[type[Step], frozenset[Role]] = {
    Verify: _WORKERS,
    File: _WORKERS,
    OrderDemolition: _WORKERS,
    Demolish: _WORKERS,
    Retain: _MANAGERS,
}


_FROM: dict[type[Step], frozenset[StructureState]] = {
    Verify: frozenset({StructureState.discovered}),
    File: frozenset({StructureState.verified}),
    # A structure may be ordered down at once (new ones: 即查即拆) or after filing.
    OrderDemolition: frozenset({StructureState.verified, StructureState.filed}),
    # Owners often take it down themselves before the order is even written.
    Demolish: frozenset(
        {
            StructureState.discovered,
            StructureState.verified,
            StructureState.filed,
            StructureState.demolition_ordered,
        }
    ),
    Retain: frozenset({StructureState.verified, StructureState.filed}),
}


class Facts(msgspec.Struct, frozen=True):
    state: StructureState
    verified_area_m2: float | None


def next_state(facts: Facts, step: Step, now: datetime) -> StructureState:
    """Where ``step`` takes a structure, or an AppError saying why it may not."""
    if facts.state not in _FROM[type(step)]:
        raise Conflict(
            "structure_state_invalid",
            f"cannot {STEP_NAMES[type(step)]} a structure that is {facts.state.value}",
        )
    match step:
        case Verify():
            return StructureState.verified
        case File():
            return StructureState.filed
        case OrderDemolition():
            if step.deadline.tzinfo is None or step.deadline <= now:
                raise InvalidInput("deadline_invalid", "the deadline must be a future time")
            return StructureState.demolition_ordered
        case Demolish():
            if facts.verified_area_m2 is not None and step.area_m2 > facts.verified_area_m2 * 1.001:
                raise InvalidInput(
                    "area_exceeds_verified", "more came down than was measured: verify again"
                )
            return (
                StructureState.demolished_enforced
                if step.enforced
                else StructureState.demolished_self
            )
        case Retain():
            return StructureState.retained
    assert_never(step)
