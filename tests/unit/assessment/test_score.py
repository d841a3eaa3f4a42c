"""The squad ranking score: within 0..100, monotone in each rate, none without a rate;
and the ranking by it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.assessment import Rates, ranks, score
from domain.assessment import score as score_of

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
    got = score(_rates(a, b, c, d))
    if (a, b, c, d) == (None, None, None, None):
        assert got is None  # nothing to assess (不参评)
    else:
        assert got is not None and 0.0 <= got <= 100.0


@given(st.floats(0, 1), st.floats(0, 1), rate, rate, rate)
def test_monotone(lo: float, hi: float, x: float | None, y: float | None, z: float | None) -> None:
    lo, hi = min(lo, hi), max(lo, hi)

    def score(r: Rates) -> float:
        got = score_of(r)
        assert got is not None  # one rate at least is measured
        return got

    assert score(_rates(lo, x, y, z)) <= score(_rates(hi, x, y, z))
    assert score(_rates(x, lo, y, z)) <= score(_rates(x, hi, y, z))
    assert score(_rates(x, y, hi, z)) <= score(_rates(x, y, lo, z))  # less rework is better
    assert score(_rates(x, y, z, hi)) <= score(_rates(x, y, z, lo))


def test_extremes() -> None:
    assert score(_rates(1.0, 1.0, 0.0, 0.0)) == 100.0
    assert score(_rates(0.0, 0.0, 1.0, 1.0)) == 0.0
    assert score(_rates(None, None, 0.0, None)) == 20.0 + 15.0 + 20.0 + 5.0
    assert score(_rates(None, None, None, None)) is None


@given(st.dictionaries(st.integers(1, 50), st.one_of(st.none(), st.floats(0, 100)), max_size=20))
def test_ranks(scores: dict[int, float | None]) -> None:
    got = ranks(scores)
    assert sorted(s for s, _ in got) == sorted(scores)
    ranked = [(s, n) for s, n in got if n is not None]
    assert [n for _, n in ranked] == list(range(1, len(ranked) + 1))
    assert [scores[s] for s, _ in ranked] == sorted((scores[s] for s, _ in ranked), reverse=True)
    # The unscored come last, unranked, by id.
    rest = got[len(ranked) :]
    assert all(scores[s] is None and n is None for s, n in rest)
    assert [s for s, _ in rest] == sorted(s for s, _ in rest)
