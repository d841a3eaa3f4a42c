"""A position's H3 cells: resolution 9 (≈ 0.1 km², edge ≈ 200 m) for the district's
hotspots, resolution 10 (≈ 0.015 km², edge ≈ 75 m) for a street's; and the cells' local
IJ coordinates, on which ring-1 neighbours are the six unit steps (``grouped``)."""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np
import numpy.typing as npt
from h3.api import basic_int

from domain.geo import LngLat

RESOLUTIONS = (9, 10)
# The anchor of local IJ coordinates: the centre cell of a resolution-3 ancestor (a
# region ≈ 100 km across) of one of the cells, so a district's weeks mostly share one
# anchor and the cached coordinates are reused.
ANCHOR_RESOLUTION = 3


def cells_of(position: LngLat) -> tuple[str, str]:
    """The resolution-9 and -10 cells (hex strings) of a WGS-84 position."""
    r9, r10 = (h3.latlng_to_cell(position.lat, position.lng, r) for r in RESOLUTIONS)
    return r9, r10


def anchor_of(cell: int) -> int:
    """The anchor for local IJ coordinates of cells near ``cell`` (same resolution)."""
    region = basic_int.cell_to_parent(cell, ANCHOR_RESOLUTION)
    return int(basic_int.cell_to_center_child(region, basic_int.get_resolution(cell)))


def local_ijs(anchor: int, cells: Sequence[int]) -> npt.NDArray[np.int64]:
    """The cells' IJ coordinates relative to the anchor (H3's own frame for grid
    distances), one row (i, j) per cell: ring-1 neighbours differ by (±1, 0), (0, ±1)
    or ±(1, 1)."""
    out = np.zeros((len(cells), 2), dtype=np.int64)
    for k, cell in enumerate(cells):
        out[k] = basic_int.cell_to_local_ij(anchor, cell)
    return out


_HEX = np.full(256, -1, dtype=np.int64)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16)
_HEX[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16)
_NIBBLES = np.arange(14, -1, -1, dtype=np.int64) * 4


def cell_ints(cells: Sequence[str]) -> npt.NDArray[np.int64]:
    """H3 cells (15 hex digits, as stored) as H3's 64-bit integers, vectorised."""
    if not cells:
        return np.zeros(0, dtype=np.int64)
    raw = "".join(cells).encode("ascii")
    if len(raw) != 15 * len(cells):
        raise ValueError("an H3 cell is 15 hex digits")
    digits = _HEX[np.frombuffer(raw, dtype=np.uint8).reshape(-1, 15)]
    # A cell's first digit is 8 (H3's cell mode): a shorter cell next to a longer one
    # would shift the rows after it and show here.
    if (digits < 0).any() or (digits[:, 0] != 8).any():
        raise ValueError("an H3 cell is 15 hex digits")
    ints: npt.NDArray[np.int64] = (digits << _NIBBLES).sum(axis=1)
    return ints
