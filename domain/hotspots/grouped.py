"""Gi* hot cells of many groups at once, on a hexagonal grid: the weekly refresh's
computation (every squad × violation type × resolution in one pass of numpy).

Each input entry is a cell with cases of one group, placed by axial coordinates (i, j)
of a hexagonal grid whose six neighbours are the steps ``HEX_STEPS`` (H3's local IJ
coordinates: ``cells.local_ij``). For every group the result is what ``gi_star``,
``neighbourhood_poisson_p`` and ``benjamini_hochberg`` give on that group's study area —
its cells with cases and their ring-1 neighbours (zeros), each neighbourhood restricted
to the area — which the property tests check against them.

Why it is fast: no per-group or per-cell Python. The cells with cases are looked up in
one sorted key array (six ``searchsorted`` of already sorted keys); the zero cells of
every area come from merging the six shifted copies of it; the Poisson tails come from
one table per (group, neighbourhood size). A zero cell first gets a lower bound of its
p-value (its neighbourhood counted as itself and its neighbours with cases only); with C
the number of the group's bounds ≤ q, BH's cut-off rank is at most C, so a p-value above
C q / m (m cells) can be neither rejected nor below the BH line at any rank it can
hold, and a bound above that stands in for the exact value without changing the
rejections or the rejected cells' adjusted p-values. The few zero cells below it get
their exact neighbourhood size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.hotspots.gistar import poisson_sf

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

HEX_STEPS = ((1, 0), (0, 1), (1, 1), (-1, 0), (0, -1), (-1, -1))
NEIGHBOURHOOD = len(HEX_STEPS) + 1  # a cell and its ring 1
_COORD_BITS = 21
_COORD_LIMIT = (1 << (_COORD_BITS - 1)) - 2  # |i|, |j| below this: a step never carries
_GROUP_LIMIT = 1 << (63 - 2 * _COORD_BITS)
_STEPS = np.array([(di << _COORD_BITS) + dj for di, dj in HEX_STEPS], dtype=np.int64)
_TAIL_MARGIN = 60  # Poisson terms summed beyond the largest count (see ``_tail_table``)
_TABLE_COUNT = 100  # counts and means up to these from the table (``_tails``)
_TABLE_MEAN = 30.0


@dataclass(frozen=True)
class GroupedHotCells:
    """Per input entry: Gi* z, exact Poisson p-value, hot (BH-rejected with z > 0), the
    BH-adjusted p-value where hot (NaN elsewhere), and the rank by z within its group
    (1 = highest; ties by cell)."""

    z: FloatArray
    p: FloatArray
    hot: BoolArray
    q: FloatArray
    rank: IntArray


def _keys(group: IntArray, i: IntArray, j: IntArray) -> IntArray:
    if group.size and (group.min() < 0 or group.max() >= _GROUP_LIMIT):
        raise ValueError("group ids are 0 .. 2**21 - 1")
    if i.size and max(int(np.abs(i).max()), int(np.abs(j).max())) > _COORD_LIMIT:
        raise ValueError("coordinates are within ±2**20")
    offset = 1 << (_COORD_BITS - 1)
    keys: IntArray = (group << (2 * _COORD_BITS)) | ((i + offset) << _COORD_BITS) | (j + offset)
    return keys


def _found(sorted_keys: IntArray, wanted: IntArray) -> tuple[IntArray, BoolArray]:
    """Where each wanted key sits in ``sorted_keys``, and whether it is there."""
    if sorted_keys.size == 0:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=np.bool_)
    at = np.minimum(np.searchsorted(sorted_keys, wanted), sorted_keys.size - 1)
    return at, sorted_keys[at] == wanted


def _neighbours(keys: IntArray) -> list[tuple[IntArray, BoolArray]]:
    """``_found(keys, keys + step)`` for each step of ``HEX_STEPS``, with two searches
    instead of six: in (group, i, j) order the cell at j + 1 is the next key if it is
    there, and the cells at (i ± 1, j) and (i ± 1, j ± 1) are neighbours in the order."""
    last = keys.size - 1
    index = np.arange(keys.size)
    up = np.minimum(index + 1, last)
    down = np.maximum(index - 1, 0)
    right = (keys[up] == keys + 1) & (index < last)
    left = (keys[down] == keys - 1) & (index > 0)
    one_i = np.int64(1 << _COORD_BITS)
    # Row i + 1: (i + 1, j) then (i + 1, j + 1).
    at = np.minimum(np.searchsorted(keys, keys + one_i), last)
    above = keys[at] == keys + one_i
    beside_at = np.where(above, np.minimum(at + 1, last), at)
    beside = keys[beside_at] == keys + one_i + 1
    # Row i - 1: (i - 1, j - 1) then (i - 1, j).
    at2 = np.minimum(np.searchsorted(keys, keys - one_i - 1), last)
    below_left = keys[at2] == keys - one_i - 1
    below_at = np.where(below_left, np.minimum(at2 + 1, last), at2)
    below = keys[below_at] == keys - one_i
    # The order of HEX_STEPS: (1, 0), (0, 1), (1, 1), (-1, 0), (0, -1), (-1, -1).
    return [
        (at, above),
        (up, right),
        (beside_at, beside),
        (below_at, below),
        (down, left),
        (at2, below_left),
    ]


def _tail_table(mean: FloatArray, largest: int, used: BoolArray | None = None) -> FloatArray:
    """P(Poisson(mean_g · w) ≥ k) for every group g, neighbourhood size w (0..7) and
    k = 0..largest: rows g·8 + w (only the ``used`` rows, the others stay 1 at k = 0 and
    0 beyond). The tail sums run from the far end (small terms first, accurate in the
    far tail) and start ``_TAIL_MARGIN`` terms past both k and the mean plus ten
    standard deviations, where the terms no longer count."""
    mu = (mean[:, None] * np.arange(NEIGHBOURHOOD + 1, dtype=np.float64)[None, :]).ravel()
    if used is not None:
        mu = np.where(used, mu, 0.0)
    top = int(np.ceil(mu.max() + 10.0 * np.sqrt(mu.max()))) if mu.size else 0
    terms = max(largest, top) + _TAIL_MARGIN
    k = np.arange(terms, dtype=np.float64)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, terms)))])
    positive = mu > 0.0
    table = np.zeros((mu.size, largest + 1))
    table[:, 0] = 1.0
    if positive.any():
        m = mu[positive][:, None]
        pmf = np.exp(-m + k[None, :] * np.log(m) - log_factorial[None, :])
        tail = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
        table[positive] = np.minimum(tail[:, : largest + 1], 1.0)
    return table


def _tails(mean: FloatArray, rows: IntArray, k: IntArray) -> FloatArray:
    """P(Poisson(mean_g · w) ≥ k) element-wise, for rows g·8 + w: from one table where
    counts and means are small (nearly always), from the scalar tail elsewhere (a
    camera's hundreds of cases in one cell would make the table huge)."""
    mu = (mean[:, None] * np.arange(NEIGHBOURHOOD + 1, dtype=np.float64)[None, :]).ravel()
    out = np.empty(k.size)
    big = (k > _TABLE_COUNT) | (mu[rows] > _TABLE_MEAN)
    small = np.flatnonzero(~big)
    if small.size:
        used = np.zeros(mu.size, dtype=np.bool_)
        used[rows[small]] = True
        table = _tail_table(mean, int(k[small].max()), used)
        out[small] = table[rows[small], k[small]]
    for at in np.flatnonzero(big).tolist():
        out[at] = poisson_sf(int(k[at]), round(float(mu[rows[at]]), 12))
    return out


def _zero_cells(
    keys: IntArray, x: IntArray, neighbours: list[tuple[IntArray, BoolArray]]
) -> tuple[IntArray, IntArray, IntArray]:
    """The areas' cells without cases: their keys (sorted), neighbourhood counts and how
    many neighbours with cases each has. ``neighbours``: per step, ``_found`` of the
    stepped keys."""
    candidates = np.concatenate(
        [(keys + step)[~there] for step, (_, there) in zip(_STEPS, neighbours, strict=True)]
    )
    weights = np.concatenate([x[~there] for _, there in neighbours])
    order = np.argsort(candidates, kind="stable")  # merges six sorted runs
    ordered = candidates[order]
    if ordered.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    first = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(first)
    local = np.add.reduceat(weights[order], starts)
    neighbours_with_cases = np.diff(np.append(starts, ordered.size))
    return ordered[starts], local, neighbours_with_cases


def _benjamini_hochberg(
    group: IntArray, p: FloatArray, m: IntArray, q: float
) -> tuple[BoolArray, FloatArray]:
    """BH within each group (m[g] hypotheses) for the given p-values, all ≤ q (the rest
    rank after them and change nothing here): rejections and adjusted p-values."""
    if group.size == 0:
        return np.zeros(0, dtype=np.bool_), np.zeros(0)
    order = np.lexsort((p, group))
    g, ranked = group[order], p[order]
    first = np.concatenate([[True], g[1:] != g[:-1]])
    starts = np.flatnonzero(first)
    rank = np.arange(g.size) - np.repeat(starts, np.diff(np.append(starts, g.size))) + 1
    below = ranked <= rank * q / m[g]
    # The largest rank below the line, per group; ranks up to it are rejected.
    last = np.zeros(g.size, dtype=np.int64)
    last[below] = rank[below]
    cut = np.maximum.reduceat(last, starts)
    rejected = rank <= np.repeat(cut, np.diff(np.append(starts, g.size)))
    scaled = np.minimum(ranked * m[g] / rank, 1.0)
    adjusted = np.empty(g.size)
    for a, b in zip(starts, np.append(starts[1:], g.size), strict=True):
        adjusted[a:b] = np.minimum.accumulate(scaled[a:b][::-1])[::-1]
    reject_out = np.empty(g.size, dtype=np.bool_)
    adjusted_out = np.empty(g.size)
    reject_out[order], adjusted_out[order] = rejected, adjusted
    return reject_out, adjusted_out


def _gi_z(g: IntArray, x: IntArray, local: IntArray, n: IntArray) -> tuple[FloatArray, FloatArray]:
    """Gi* of the cells with cases (their neighbourhoods are all in the area: size 7),
    and each group's mean count over its area."""
    groups = n.size
    total = np.bincount(g, weights=x, minlength=groups)
    squares = np.bincount(g, weights=x.astype(np.float64) ** 2, minlength=groups)
    mean = np.divide(total, n, out=np.zeros(groups), where=n > 0)
    meansq = np.divide(squares, n, out=np.zeros(groups), where=n > 0)
    s = np.sqrt(np.maximum(meansq - mean * mean, 0.0))
    w = float(NEIGHBOURHOOD)
    ng = n[g].astype(np.float64)
    spread = np.sqrt(np.maximum(ng * w - w * w, 0.0) / np.maximum(ng - 1.0, 1.0))
    denominator = s[g] * spread
    ok = (ng >= 2) & (denominator > 1e-12 * np.maximum(1.0, np.abs(mean[g])))
    z = np.zeros(g.size)
    z[ok] = (local[ok] - mean[g][ok] * w) / denominator[ok]
    return z, mean


def _zero_p(
    mean: FloatArray,
    zero_keys: IntArray,
    zero_local: IntArray,
    with_cases: IntArray,
    could_of_cases: IntArray,
    n: IntArray,
    q: float,
) -> FloatArray:
    """The zero cells' p-values: the bound (their neighbours with cases only), exact
    where it can decide anything. BH's cut-off rank is at most C, the number of
    p-values that can be ≤ q, so only those ≤ C q / m count (module docstring)."""
    rows = NEIGHBOURHOOD + 1
    zero_g = zero_keys >> (2 * _COORD_BITS)
    zero_p = _tails(mean, zero_g * rows + 1 + with_cases, zero_local)
    could = could_of_cases + np.bincount(zero_g[zero_p <= q], minlength=n.size)
    deciding = np.divide(could * q, n, out=np.zeros(n.size), where=n > 0)
    near = np.flatnonzero(zero_p <= deciding[zero_g])
    if near.size:
        exact = 1 + with_cases[near]
        for step in _STEPS:
            exact += _found(zero_keys, zero_keys[near] + step)[1]
        zero_p[near] = _tails(mean, zero_g[near] * rows + exact, zero_local[near])
    return zero_p


def _ranks(g: IntArray, z: FloatArray) -> IntArray:
    """Rank by z within each group, 1 = highest (``g`` sorted; ties by position)."""
    by_z = np.lexsort((-z, g))
    starts = np.flatnonzero(np.concatenate([[True], g[by_z][1:] != g[by_z][:-1]]))
    within = np.arange(g.size) - np.repeat(starts, np.diff(np.append(starts, g.size)))
    rank = np.empty(g.size, dtype=np.int64)
    rank[by_z] = within + 1
    return rank


def hot_cells_by_group(
    group: npt.ArrayLike,
    i: npt.ArrayLike,
    j: npt.ArrayLike,
    counts: npt.ArrayLike,
    q: float = 0.05,
) -> GroupedHotCells:
    """Gi* and the BH-corrected exact Poisson test of every group's cells with cases
    (see the module docstring). One entry per (group, cell); counts ≥ 1."""
    if not 0.0 < q < 1.0:
        raise ValueError("q is in (0, 1)")
    g_in = np.asarray(group, dtype=np.int64)
    x_in = np.asarray(counts, dtype=np.int64)
    keys_in = _keys(g_in, np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64))
    if x_in.size and x_in.min() < 1:
        raise ValueError("each entry is a cell with cases")
    if x_in.size == 0:
        nothing = np.zeros(0)
        return GroupedHotCells(
            nothing, nothing, np.zeros(0, np.bool_), nothing, np.zeros(0, np.int64)
        )
    order = np.argsort(keys_in)
    keys, x = keys_in[order], x_in[order]
    if (keys[1:] == keys[:-1]).any():
        raise ValueError("one entry per group and cell")
    g = keys >> (2 * _COORD_BITS)

    neighbours = _neighbours(keys)
    local = x.copy()
    for at, there in neighbours:
        local += np.where(there, x[at], 0)
    zero_keys, zero_local, with_cases = _zero_cells(keys, x, neighbours)
    groups = int(g.max()) + 1
    n = np.bincount(g, minlength=groups) + np.bincount(
        zero_keys >> (2 * _COORD_BITS), minlength=groups
    )
    z, mean = _gi_z(g, x, local, n)
    p = _tails(mean, g * (NEIGHBOURHOOD + 1) + NEIGHBOURHOOD, local)
    small = p <= q
    zero_p = _zero_p(
        mean, zero_keys, zero_local, with_cases, np.bincount(g[small], minlength=groups), n, q
    )
    small_zero = zero_p <= q
    rejected, adjusted = _benjamini_hochberg(
        np.concatenate([g[small], (zero_keys >> (2 * _COORD_BITS))[small_zero]]),
        np.concatenate([p[small], zero_p[small_zero]]),
        n,
        q,
    )
    hot = np.zeros(keys.size, dtype=np.bool_)
    hot[small] = rejected[: int(small.sum())]
    hot &= z > 0
    q_out = np.full(keys.size, np.nan)
    q_out[small] = adjusted[: int(small.sum())]
    q_out[~hot] = np.nan
    rank = _ranks(g, z)

    back = np.empty(keys.size, dtype=np.int64)
    back[order] = np.arange(keys.size)
    return GroupedHotCells(z=z[back], p=p[back], hot=hot[back], q=q_out[back], rank=rank[back])
