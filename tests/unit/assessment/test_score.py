"""The squad ranking score: within 0..100 and monotone in each rate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.assessment import Rates, score

rate = st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0))


def _rates(
    on_time: float | None, closure: float | None, rework: float | None, extension: float | None
) -> Rates:
    return Rates(
        closure_rate=closure,
        on_time_closure_rate=on_time,
        rework_rate=rework,
        extension_rate=extension,
        self_correction_rate=None,
    )


@given(rate, rate, rate, rate)
def test_bounds(a: float | None, b: float | None, c: float | None, d: float | None) -> None:
    assert 0.0 <= score(_rates(a, b, c, d)) <= 100.0


@given(st.floats(0, 1), st.floats(0, 1), rate, rate, rate)
def test_monotone(lo: float, hi: float, x: float | None, y: float | None, z: float | None) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    assert score(_rates(lo, x, y, z)) <= score(_rates(hi, x, y, z))
    assert score(_rates(x, lo, y, z)) <= score(_rates(x, hi, y, z))
    assert score(_rates(x, y, hi, z)) <= score(_rates(x, y, lo, z))  # less rework is better
    assert score(_rates(x, y, z, hi)) <= score(_rates(x, y, z, lo))


def test_extremes() -> None:
    assert score(_rates(1.0, 1.0, 0.0, 0.0)) == 100.0
    assert score(_rates(0.0, 0.0, 1.0, 1.0)) == 0.0
    assert score(_rates(None, None, None, None)) == 50.0
