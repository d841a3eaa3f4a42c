"""A position's H3 cells, and their local IJ coordinates."""

from __future__ import annotations

import h3
import pytest

from domain.geo import LngLat
from domain.hotspots.cells import anchor_of, cell_ints, cells_of, local_ijs
from domain.hotspots.grouped import HEX_STEPS

JIANGCHUAN = LngLat(121.3994755, 30.9995505)


def test_the_cells_of_a_position() -> None:
    r9, r10 = cells_of(JIANGCHUAN)
    assert r9 == "89309b8083bffff"
    assert (h3.get_resolution(r9), h3.get_resolution(r10)) == (9, 10)
    assert h3.cell_to_parent(r10, 9) == r9  # the fine cell lies in the coarse one


def test_ring1_neighbours_are_the_six_unit_steps_in_local_ij() -> None:
    for cell in cells_of(JIANGCHUAN):
        centre = h3.str_to_int(cell)
        anchor = anchor_of(centre)
        # Also across the district (≈ 30 km): the frame is one for all of it.
        far = h3.str_to_int(h3.latlng_to_cell(31.2, 121.55, h3.get_resolution(cell)))
        for c in (centre, far):
            ring = [h3.str_to_int(n) for n in h3.grid_ring(h3.int_to_str(c), 1)]
            (a, b), *around = local_ijs(anchor, [c, *ring]).tolist()
            assert sorted((i - a, j - b) for i, j in around) == sorted(HEX_STEPS)


def test_cells_as_integers() -> None:
    cells = [*cells_of(JIANGCHUAN), h3.latlng_to_cell(31.2, 121.55, 10)]
    assert cell_ints(cells).tolist() == [h3.str_to_int(c) for c in cells]
    assert cell_ints([]).size == 0
    for bad in (["89309b8083bfff"], ["89309b8083bfffg"], ["89309b8083bfff", "889309b8083bfff"]):
        with pytest.raises(ValueError):
            cell_ints(bad)
