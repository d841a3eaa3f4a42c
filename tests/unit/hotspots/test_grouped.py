"""The weekly refresh's batched Gi* (``hot_cells_by_group``) against the reference
functions run group by group on the same study areas."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.hotspots import benjamini_hochberg, gi_star, neighbourhood_poisson_p
from domain.hotspots.gistar import poisson_sf
from domain.hotspots.grouped import (
    _STEPS,
    HEX_STEPS,
    _found,
    _keys,
    _neighbours,
    _tail_table,
    _tails,
    hot_cells_by_group,
)

Q = 0.05


def _reference(cells: dict[tuple[int, int], int]) -> dict[tuple[int, int], tuple[float, ...]]:
    """One group: its cells with cases and their ring-1 neighbours, as ``_gi`` did it."""
    area = list(cells)
    for a, b in cells:
        area += [(a + da, b + db) for da, db in HEX_STEPS]
    index = {c: k for k, c in enumerate(dict.fromkeys(area))}
    names = list(index)
    neighbours = [
        [index[(a + da, b + db)] for da, db in HEX_STEPS if (a + da, b + db) in index]
        for a, b in names
    ]
    counts = np.array([cells.get(c, 0) for c in names])
    z = gi_star(counts, neighbours)
    p = neighbourhood_poisson_p(counts, neighbours)
    reject, q = benjamini_hochberg(p, Q)
    hot = reject & (z > 0)
    return {c: (z[k], p[k], bool(hot[k]), q[k]) for k, c in enumerate(names) if c in cells}


def _check(entries: list[tuple[int, int, int, int]]) -> None:
    g, i, j, x = (np.array(col, dtype=np.int64) for col in zip(*entries, strict=True))
    got = hot_cells_by_group(g, i, j, x, Q)
    for group in set(g.tolist()):
        mine = np.flatnonzero(g == group)
        cells = {(int(i[k]), int(j[k])): int(x[k]) for k in mine}
        want = _reference(cells)
        for k in mine:
            z, p, hot, q = want[(int(i[k]), int(j[k]))]
            assert got.z[k] == pytest.approx(z, rel=1e-9, abs=1e-9)
            assert got.p[k] == pytest.approx(p, rel=1e-9, abs=1e-300)
            assert bool(got.hot[k]) == hot
            if hot:
                assert got.q[k] == pytest.approx(q, rel=1e-9)
            else:
                assert np.isnan(got.q[k])
        by_rank = sorted(mine, key=lambda k: int(got.rank[k]))
        assert sorted(int(got.rank[k]) for k in mine) == list(range(1, len(mine) + 1))
        assert all(got.z[a] >= got.z[b] for a, b in pairwise(by_rank))


entry_lists = st.lists(
    st.tuples(st.integers(0, 3), st.integers(-6, 6), st.integers(-6, 6), st.integers(1, 12)),
    min_size=1,
    max_size=60,
    unique_by=lambda e: (e[0], e[1], e[2]),
)


@settings(max_examples=150, deadline=None)
@given(entry_lists)
def test_it_equals_the_reference_group_by_group(entries: list[tuple[int, int, int, int]]) -> None:
    _check(entries)


def test_a_planted_cluster_among_noise_in_several_groups() -> None:
    rng = np.random.default_rng(11)
    entries = []
    for group in range(5):
        cells = {(int(a), int(b)) for a, b in rng.integers(-25, 25, size=(150, 2))}
        counts = {c: int(rng.poisson(1.0)) + 1 for c in cells}
        if group % 2 == 0:
            for da, db in [(0, 0), *HEX_STEPS]:
                counts[(da, db)] = counts.get((da, db), 0) + 9
        entries += [(group, a, b, n) for (a, b), n in counts.items()]
    _check(entries)
    g, i, j, x = (np.array(col) for col in zip(*entries, strict=True))
    got = hot_cells_by_group(g, i, j, x, Q)
    centre = (i == 0) & (j == 0)
    assert got.hot[centre & (g % 2 == 0)].all()


def test_the_tail_table_equals_the_scalar_tail() -> None:
    mean = np.array([0.0, 0.013, 0.4, 2.5, 31.0])
    table = _tail_table(mean, 120)
    for g, m in enumerate(mean):
        for w in range(8):
            for k in (0, 1, 2, 5, 17, 60, 120):
                want = poisson_sf(k, m * w)
                assert table[g * 8 + w, k] == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_bad_input_is_refused() -> None:
    assert hot_cells_by_group([], [], [], []).z.size == 0
    with pytest.raises(ValueError):
        hot_cells_by_group([0, 0], [1, 1], [2, 2], [1, 3])  # the same cell twice
    with pytest.raises(ValueError):
        hot_cells_by_group([0], [1], [2], [0])
    with pytest.raises(ValueError):
        hot_cells_by_group([0], [1 << 21], [0], [1])


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(-5, 5), st.integers(-5, 5)),
        min_size=1,
        max_size=80,
        unique=True,
    )
)
def test_neighbour_lookup_equals_a_search_per_step(cells: list[tuple[int, int, int]]) -> None:
    g, i, j = (np.array(col, dtype=np.int64) for col in zip(*cells, strict=True))
    keys = np.sort(_keys(g, i, j))
    fast = _neighbours(keys)
    for (at, there), step in zip(fast, _STEPS, strict=True):
        want_at, want = _found(keys, keys + step)
        assert (there == want).all()
        assert (at[there] == want_at[want]).all()


def test_large_counts_and_means_take_the_scalar_tail() -> None:
    mean = np.array([0.5, 9.0])
    rows = np.array([7, 8 + 7, 7, 8 + 3])
    k = np.array([3, 400, 2000, 20])
    got = _tails(mean, rows, k)
    want = [poisson_sf(3, 3.5), poisson_sf(400, 63.0), poisson_sf(2000, 3.5), poisson_sf(20, 27.0)]
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)
