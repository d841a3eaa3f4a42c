"""Gi* on synthetic grids, and the Benjamini–Hochberg correction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.hotspots import (
    benjamini_hochberg,
    gi_star,
    hot_cells,
    neighbourhood_poisson_p,
    square_grid_neighbours,
    upper_tail_p,
)
from domain.hotspots.gistar import poisson_sf

GRID = 20  # 20 × 20 cells
NEIGHBOURS = square_grid_neighbours(GRID, GRID)


def _cell(r: int, c: int) -> int:
    return r * GRID + c


def test_a_planted_cluster_is_found() -> None:
    rng = np.random.default_rng(7)
    counts = rng.poisson(1.0, GRID * GRID)
    planted = [_cell(r, c) for r in (9, 10, 11) for c in (4, 5, 6)]
    counts[planted] += 8
    hot, z = hot_cells(counts, NEIGHBOURS)
    # The centre of the cluster is the hottest cell, and the cluster is found.
    assert int(np.argmax(z)) == _cell(10, 5)
    assert hot[_cell(10, 5)]
    assert hot[planted].sum() >= 7
    # Nothing far from it is hot.
    far = [i for i in range(GRID * GRID) if abs(i // GRID - 10) > 3 or abs(i % GRID - 5) > 3]
    assert not hot[far].any()


def test_uniform_noise_gives_no_hotspot_after_fdr() -> None:
    rng = np.random.default_rng(20261202)
    trials = 200
    with_any = 0
    for _ in range(trials):
        hot, _ = hot_cells(rng.poisson(3.0, GRID * GRID), NEIGHBOURS)
        with_any += bool(hot.any())
    # Under the complete null FDR is the chance of any false discovery; BH at q = 0.05
    # bounds it by about q (neighbourhoods overlap, so allow a little margin).
    assert with_any / trials <= 0.06


@pytest.mark.parametrize("mean", [0.3, 1.0, 10.0])
def test_sparse_or_dense_noise_gives_no_hotspot_either(mean: float) -> None:
    rng = np.random.default_rng(int(mean * 10))
    trials = 100
    with_any = sum(
        bool(hot_cells(rng.poisson(mean, GRID * GRID), NEIGHBOURS)[0].any()) for _ in range(trials)
    )
    assert with_any / trials <= 0.06


def test_the_poisson_tail() -> None:
    assert poisson_sf(0, 2.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - np.exp(-2.0))
    assert poisson_sf(3, 0.0) == 0.0
    assert poisson_sf(30, 2.0) == pytest.approx(
        sum(
            np.exp(-2.0) * 2.0**k / np.prod(np.arange(1, k + 1, dtype=float)) for k in range(30, 80)
        ),
        rel=1e-9,
    )
    with pytest.raises(ValueError):
        neighbourhood_poisson_p([1.5, 2], [[1], [0]])


def test_without_fdr_noise_would_give_hotspots() -> None:
    """The correction matters: raw p < 0.05 flags cells in nearly every noise grid."""
    rng = np.random.default_rng(1)
    flagged = sum(
        bool((neighbourhood_poisson_p(rng.poisson(3.0, GRID * GRID), NEIGHBOURS) < 0.05).any())
        for _ in range(20)
    )
    assert flagged >= 18


def test_gi_star_matches_the_formula_on_a_small_example() -> None:
    # A line of 5 cells, each next to the one before and after.
    neighbours = [[1], [0, 2], [1, 3], [2, 4], [3]]
    x = np.array([1.0, 2.0, 6.0, 2.0, 1.0])
    n, mean = 5, x.mean()
    s = np.sqrt((x * x).mean() - mean**2)
    local, w = x[1] + x[2] + x[3], 3.0
    want = (local - mean * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
    assert gi_star(x, neighbours)[2] == pytest.approx(want)
    # Symmetric input, symmetric scores.
    z = gi_star(x, neighbours)
    assert z[0] == pytest.approx(z[4]) and z[1] == pytest.approx(z[3])


def test_it_works_on_any_neighbour_structure() -> None:
    # A hexagonal grid in axial coordinates (6 neighbours a cell, like H3's grid_ring 1).
    cells = [(a, b) for a in range(-5, 6) for b in range(-5, 6) if abs(a + b) <= 5]
    index = {c: i for i, c in enumerate(cells)}
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)]
    neighbours = [
        [index[(a + da, b + db)] for da, db in steps if (a + da, b + db) in index] for a, b in cells
    ]
    assert max(len(n) for n in neighbours) == 6
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.5, len(cells))
    cluster = [index[(1, 1)], *neighbours[index[(1, 1)]]]
    counts[cluster] += 4
    hot, z = hot_cells(counts, neighbours)
    assert int(np.argmax(z)) == index[(1, 1)] and hot[index[(1, 1)]]
    assert not hot[[index[(-4, -1)], index[(4, -5)], index[(-5, 5)]]].any()


def test_flat_counts_and_tiny_inputs_give_no_hotspot() -> None:
    assert not gi_star([4] * 9, square_grid_neighbours(3, 3)).any()
    assert gi_star([3], [[]]).tolist() == [0.0]
    assert gi_star([], []).size == 0
    with pytest.raises(ValueError):
        gi_star([1, 2], [[1]])
    with pytest.raises(ValueError):
        gi_star([1, 2], [[5], [0]])


def test_benjamini_hochberg_on_the_papers_example() -> None:
    """Benjamini & Hochberg (1995), §4: 15 p-values at q = 0.05 reject the 4 smallest."""
    p = [
        0.0201, 0.0001, 0.0004, 0.0019, 0.0095, 0.0278, 0.0298, 0.0344,
        0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
    ]  # fmt: skip
    reject, adjusted = benjamini_hochberg(p, 0.05)
    assert [v for v, r in zip(p, reject, strict=True) if r] == [0.0001, 0.0004, 0.0019, 0.0095]
    # Adjusted: min over j ≥ i of m p_(j) / j (R's p.adjust(method = "BH")).
    assert adjusted[1] == pytest.approx(0.0015)
    assert adjusted[4] == pytest.approx(15 * 0.0095 / 4)
    assert adjusted[0] == pytest.approx(15 * 0.0201 / 5)
    assert adjusted[14] == 1.0
    assert ((adjusted <= 0.05) == reject).all()


def test_benjamini_hochberg_step_up() -> None:
    # p_(2) = 0.03 is above 2q/3 = 0.0333...? no: 0.03 ≤ 0.0333, and p_(3) = 0.05 ≤ q:
    # step-up rejects all three although p_(1) alone would be borderline.
    reject, _ = benjamini_hochberg([0.05, 0.03, 0.016], 0.05)
    assert reject.tolist() == [True, True, True]
    reject, _ = benjamini_hochberg([0.9, 0.04, 0.03], 0.05)
    assert reject.tolist() == [False, False, False]
    assert benjamini_hochberg([], 0.05)[0].size == 0
    with pytest.raises(ValueError):
        benjamini_hochberg([0.1], 0.0)


@given(st.lists(st.floats(0.0, 1.0), max_size=50), st.floats(0.001, 0.5))
def test_bh_rejects_a_prefix_of_the_sorted_p_values(p: list[float], q: float) -> None:
    reject, adjusted = benjamini_hochberg(p, q)
    values = np.asarray(p)
    if reject.any():
        assert values[reject].max() <= values[~reject].min() if (~reject).any() else True
    assert ((adjusted >= values - 1e-12) | (adjusted == 1.0)).all()
    assert ((adjusted <= q) == reject).all() or np.isclose(adjusted, q).any()


def test_upper_tail() -> None:
    assert upper_tail_p([0.0])[0] == pytest.approx(0.5)
    assert upper_tail_p([1.6448536])[0] == pytest.approx(0.05, rel=1e-6)
    assert upper_tail_p([]).size == 0
