"""The indicators' formulas."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.cases.indicators import rework_rate, share


def test_nothing_to_rate_is_none() -> None:
    assert share(0, 0) is None
    assert rework_rate(0, 0) is None


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_a_rate_is_always_within_0_and_1(part: int, whole: int) -> None:
    rate = share(part, whole)
    assert rate is None if whole == 0 else 0.0 <= rate <= 1.0  # type: ignore[operator]


def test_rework_rate() -> None:
    assert rework_rate(1, 4) == 0.25
    assert rework_rate(3, 3) == 1.0
