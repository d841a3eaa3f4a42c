"""The illegal-structure lifecycle: which step may follow which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import AppError
from domain.subjects.structures import (
    Demolish,
    Facts,
    File,
    OrderDemolition,
    Retain,
    StructureState,
    Verify,
    next_state,
)

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
P = ("photo",)
VERIFY = Verify(
    area_m2=42.5, floors=1, structure_type="彩钢板", built_when="2026", owner="张某", evidence_ids=P
)


def test_the_whole_way_down() -> None:
    facts = Facts(StructureState.discovered, None)
    assert next_state(facts, VERIFY, NOW) is StructureState.verified
    facts = Facts(StructureState.verified, 42.5)
    assert (
        next_state(facts, File(external_ref="WSBA-1", evidence_ids=P), NOW) is StructureState.filed
    )
    order = OrderDemolition(deadline=NOW + timedelta(days=7), evidence_ids=P)
    assert (
        next_state(Facts(StructureState.filed, 42.5), order, NOW)
        is StructureState.demolition_ordered
    )
    down = Demolish(enforced=True, area_m2=42.5, evidence_ids=P)
    assert next_state(Facts(StructureState.demolition_ordered, 42.5), down, NOW) is (
        StructureState.demolished_enforced
    )


@pytest.mark.parametrize(
    ("state", "step", "code"),
    [
        (
            StructureState.discovered,
            File(external_ref="x", evidence_ids=P),
            "structure_state_invalid",
        ),
        (
            StructureState.demolished_self,
            Retain(approval_ref="x", evidence_ids=P),
            "structure_state_invalid",
        ),
        (
            StructureState.verified,
            OrderDemolition(deadline=NOW, evidence_ids=P),
            "deadline_invalid",
        ),
        (
            StructureState.verified,
            Demolish(enforced=False, area_m2=50, evidence_ids=P),
            "area_exceeds_verified",
        ),
    ],
)
def test_what_may_not_happen(state: StructureState, step: object, code: str) -> None:
    with pytest.raises(AppError) as info:
        next_state(Facts(state, 42.5), step, NOW)  # type: ignore[arg-type]
    assert info.value.code == code


def test_an_owner_may_take_it_down_before_any_order() -> None:
    down = Demolish(enforced=False, area_m2=10, evidence_ids=P)
    assert (
        next_state(Facts(StructureState.discovered, None), down, NOW)
        is StructureState.demolished_self
    )
