"""Equipment assignments: spans and the overlap rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import AppError
from domain.patrol.equipment import EquipmentKind, Span, check_free, check_span

T0 = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
hours = st.integers(0, 100)


@given(hours, st.integers(1, 24), hours, st.integers(1, 24))
def test_two_spans_overlap_exactly_when_they_share_an_instant(
    a: int, la: int, b: int, lb: int
) -> None:
    x = Span(T0 + timedelta(hours=a), T0 + timedelta(hours=a + la))
    y = Span(T0 + timedelta(hours=b), T0 + timedelta(hours=b + lb))
    shared = set(range(a, a + la)) & set(range(b, b + lb))
    assert x.overlaps(y) == y.overlaps(x) == bool(shared)
    if shared:
        with pytest.raises(AppError) as refused:
            check_free(x, [y])
        assert refused.value.code == "equipment_assignment_overlap"
    else:
        check_free(x, [y])


def test_a_span_needs_offsets_an_order_and_at_most_a_month() -> None:
    assert check_span(T0, T0 + timedelta(hours=8)).covers(T0)
    assert not Span(T0, T0 + timedelta(hours=8)).covers(T0 + timedelta(hours=8))
    for start, end in (
        (T0, T0),
        (T0, T0 - timedelta(hours=1)),
        (T0, T0 + timedelta(days=32)),
        (T0.replace(tzinfo=None), T0.replace(tzinfo=None) + timedelta(hours=1)),
    ):
        with pytest.raises(AppError):
            check_span(start, end)


def test_every_kind_has_a_chinese_label() -> None:
    assert [k.label_zh for k in EquipmentKind] == ["执法车辆", "执法记录仪", "对讲机"]
