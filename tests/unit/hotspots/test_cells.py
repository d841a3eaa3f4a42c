"""A position's H3 cells."""

from __future__ import annotations

import h3

from domain.geo import LngLat
from domain.hotspots.cells import cells_of, ring1

JIANGCHUAN = LngLat(121.3994755, 30.9995505)


def test_the_cells_of_a_position() -> None:
    r9, r10 = cells_of(JIANGCHUAN)
    assert r9 == "89309b8083bffff"
    assert (h3.get_resolution(r9), h3.get_resolution(r10)) == (9, 10)
    assert h3.cell_to_parent(r10, 9) == r9  # the fine cell lies in the coarse one


def test_ring1_is_the_six_around() -> None:
    r9, _ = cells_of(JIANGCHUAN)
    around = ring1(r9)
    assert len(around) == 6 and r9 not in around
    assert all(h3.grid_distance(r9, c) == 1 for c in around)
